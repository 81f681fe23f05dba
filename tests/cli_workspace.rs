//! Workspaces (DSL.md v2 "The workspace"): the nearest `eksfed.workspace.hcl` makes its
//! directory the root files are confined to (modules and files shared between stacks), stack
//! names are unique in it (E0711), and `--untrusted` reads only what git tracks (E0205).
//! Offline (validate, render and the compile step of plan), but for the test that a stack
//! refactored into modules plans no change (moto and the Kubernetes test server).
#![allow(clippy::unwrap_used)]

mod support;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::KubeApi;

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eksfed-ws-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// eksfed run in `cwd`, without AWS credentials.
fn eksfed(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .current_dir(cwd)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn git(root: &Path, args: &[&str]) {
    let st = Command::new("git")
        .current_dir(root)
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .output()
        .unwrap();
    assert!(st.status.success(), "git {args:?}: {}", all(&st));
}

const WORKSPACE: &str = r#"workspace "acme" {
  stacks = ["accounts/*"]
}

check "tolerated here" {
  who_can     = "cluster-admin"
  expect_none = true
}
"#;

const MODULE: &str = r#"variable "team" {
  type = string
}

policy "read" {
  name     = "${var.team}-read"
  document = file("../../policies/read.json")
}

output "policy" {
  value = policy.read
}
"#;

const READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme/*"}]}"#;

fn stack(name: &str, extra: &str) -> String {
    format!(
        r#"stack "{name}" {{
  account_id = "111122223333"
}}

module "payments" {{
  source = "../../modules/team"
  team   = "payments"
}}
{extra}"#
    )
}

fn workspace(name: &str) -> PathBuf {
    let root = tempdir(name);
    write(
        &root,
        &[
            ("eksfed.workspace.hcl", WORKSPACE),
            ("modules/team/main.hcl", MODULE),
            ("policies/read.json", READ),
            ("accounts/prod/main.hcl", &stack("prod", "")),
            ("accounts/dev/main.hcl", &stack("dev", "")),
        ],
    );
    root
}

/// Modules and files outside the stack directory but inside the workspace are read; the
/// module's resources get module addresses.
#[test]
fn stacks_share_modules_and_files_inside_the_workspace() {
    let root = workspace("share");
    for dir in ["accounts/prod", "accounts/dev"] {
        let o = eksfed(&root, &["validate", dir]);
        assert!(o.status.success(), "{dir}: {}", all(&o));
    }
    let o = eksfed(&root, &["render", "accounts/prod"]);
    assert!(o.status.success(), "{}", all(&o));
    let out = all(&o);
    assert!(out.contains("module.payments.policy.read"), "{out}");
    assert!(out.contains("arn:aws:s3:::acme/*"), "{out}");
    // From inside the stack directory too.
    let o = eksfed(&root.join("accounts/prod"), &["validate", "."]);
    assert!(o.status.success(), "{}", all(&o));
}

/// Without the workspace file, the same stack is its own workspace: `../../` leaves it.
#[test]
fn without_a_workspace_file_the_stack_directory_is_the_boundary() {
    let root = workspace("none");
    std::fs::remove_file(root.join("eksfed.workspace.hcl")).unwrap();
    let o = eksfed(&root, &["validate", "accounts/prod"]);
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    let out = all(&o);
    assert!(
        out.contains("accounts/prod/main.hcl:6:12: error[E0203]: module source `../../modules/team` leaves the stack directory"),
        "{out}"
    );
}

/// A file outside the workspace root is E0203 at the call, with or without --untrusted, and
/// nothing of it is printed.
#[test]
fn files_outside_the_workspace_are_refused_and_never_shown() {
    let parent = tempdir("outside");
    std::fs::write(parent.join("secret.json"), "TOPSECRET-outside").unwrap();
    let root = parent.join("ws");
    write(
        &root,
        &[
            ("eksfed.workspace.hcl", WORKSPACE),
            ("modules/team/main.hcl", MODULE),
            ("policies/read.json", READ),
            (
                "accounts/prod/main.hcl",
                &stack(
                    "prod",
                    "\nlocals {\n  leak = file(\"../../../secret.json\")\n}\n",
                ),
            ),
        ],
    );
    git(&root, &["init", "-q", "."]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "init"]);
    for flags in [&["validate"][..], &["validate", "--untrusted"]] {
        let mut args = flags.to_vec();
        args.push("accounts/prod");
        let o = eksfed(&root, &args);
        let out = all(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {out}");
        assert!(
            out.contains("accounts/prod/main.hcl:11:10: error[E0203]: file(): `../../../secret.json` leaves the workspace root"),
            "{args:?}: {out}"
        );
        assert!(!out.contains("TOPSECRET"), "{args:?}: {out}");
    }
}

/// `--untrusted` refuses every file git does not track (E0205 at the call, the stack file or
/// the module block, naming the path as written, its content never shown); without the flag
/// the same files are read.
#[test]
fn untrusted_reads_only_what_git_tracks() {
    let root = workspace("git");
    write(
        &root,
        &[(
            "accounts/prod/main.hcl",
            &stack(
                "prod",
                "\npolicy \"ci\" {\n  name     = \"ci\"\n  document = file(\"../../policies/ci.json\")\n}\n",
            ),
        )],
    );
    git(&root, &["init", "-q", "."]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "init"]);
    // Written by "CI" after the checkout: not tracked.
    write(
        &root,
        &[(
            "policies/ci.json",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::UNTRACKED-MARKER/*"}]}"#,
        )],
    );
    let o = eksfed(&root, &["render", "accounts/prod"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(
        all(&o).contains("UNTRACKED-MARKER"),
        "read without --untrusted"
    );
    let o = eksfed(&root, &["validate", "accounts/prod"]);
    assert!(o.status.success(), "{}", all(&o));

    for cmd in ["validate", "plan"] {
        let o = eksfed(&root, &[cmd, "--untrusted", "accounts/prod"]);
        let out = all(&o);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {out}");
        assert!(
            out.contains("accounts/prod/main.hcl:12:14: error[E0205]: file(): `../../policies/ci.json` is not tracked by git"),
            "{cmd}: {out}"
        );
        assert!(!out.contains("UNTRACKED-MARKER"), "{cmd}: {out}");
    }

    // An untracked file of the stack itself and of a module: not read either.
    write(
        &root,
        &[
            (
                "accounts/dev/zz.hcl",
                "locals {\n  x = \"STACKFILE-MARKER\"\n}\n",
            ),
            ("modules/team/extra.hcl", "locals {\n  y = 1\n}\n"),
        ],
    );
    let o = eksfed(&root, &["validate", "--untrusted", "accounts/dev"]);
    let out = all(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "accounts/dev/zz.hcl:1:1: error[E0205]: `accounts/dev/zz.hcl` is not tracked by git"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "accounts/dev/main.hcl:6:12: error[E0205]: module source `../../modules/team`"
        ),
        "{out}"
    );
    assert!(!out.contains("STACKFILE-MARKER"), "{out}");
    let o = eksfed(&root, &["validate", "accounts/dev"]);
    assert!(o.status.success(), "{}", all(&o));

    // --untrusted outside a git repository: nothing is tracked, so nothing is read.
    let plain = workspace("nogit");
    let o = eksfed(&plain, &["validate", "--untrusted", "accounts/prod"]);
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(all(&o).contains("git ls-files"), "{}", all(&o));
}

/// Two stacks of one workspace named alike: E0711 at both `stack` blocks.
#[test]
fn stack_names_are_unique_in_a_workspace() {
    let root = workspace("dup");
    write(&root, &[("accounts/dev/main.hcl", &stack("prod", ""))]);
    let o = eksfed(&root, &["validate", "accounts/prod"]);
    let out = all(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("accounts/prod/main.hcl:1:1: error[E0711]: stack name `prod` is also the name of the stack in `accounts/dev`"),
        "{out}"
    );
    assert!(
        out.contains("accounts/dev/main.hcl:1:1: error[E0711]: stack name `prod` is also the name of the stack in `accounts/prod`"),
        "{out}"
    );
    // A directory the globs do not list is no stack of the workspace.
    std::fs::write(root.join("accounts/dev/main.hcl"), stack("dev", "")).unwrap();
    write(&root, &[("other/x/main.hcl", &stack("dev", ""))]);
    let o = eksfed(&root, &["validate", "accounts/dev"]);
    assert!(o.status.success(), "{}", all(&o));
    // Without `stacks`, every directory with a `stack` block is one (hidden ones skipped).
    std::fs::write(root.join("eksfed.workspace.hcl"), "workspace \"acme\" {}\n").unwrap();
    write(&root, &[(".hidden/y/main.hcl", &stack("prod", ""))]);
    let o = eksfed(&root, &["validate", "accounts/dev"]);
    let out = all(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("other/x/main.hcl:1:1: error[E0711]: stack name `dev` is also the name of the stack in `accounts/dev`"),
        "{out}"
    );
    let o = eksfed(&root, &["validate", "accounts/prod"]);
    assert!(o.status.success(), "{}", all(&o));
}

/// The workspace file is checked: one `workspace` block, `check` blocks tolerated, anything
/// else an error at its line.
#[test]
fn the_workspace_file_is_checked() {
    let root = workspace("file");
    write(
        &root,
        &[(
            "eksfed.workspace.hcl",
            "workspace \"acme\" {\n  stacks = [\"accounts/*\"]\n  stackz = 1\n}\n\nrole \"x\" {}\n",
        )],
    );
    let o = eksfed(&root, &["validate", "accounts/prod"]);
    let out = all(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("eksfed.workspace.hcl:3:3: error[E0102]: unknown attribute `stackz` in the `workspace` block"),
        "{out}"
    );
    assert!(
        out.contains(
            "eksfed.workspace.hcl:6:1: error[E0101]: unknown block `role` in the workspace file"
        ),
        "{out}"
    );
}

/// `eksfed fmt` formats a module directory and the workspace file as it does a stack.
#[test]
fn fmt_formats_modules_and_the_workspace_file() {
    let root = workspace("fmt");
    write(
        &root,
        &[
            (
                "eksfed.workspace.hcl",
                "workspace \"acme\" {\nstacks = [\"accounts/*\"]\n}\n",
            ),
            (
                "modules/team/main.hcl",
                "variable \"team\" {\ntype = string\n}\n",
            ),
        ],
    );
    let o = eksfed(&root, &["fmt", "--check", "modules/team"]);
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    for dir in [".", "modules/team"] {
        let o = eksfed(&root, &["fmt", dir]);
        assert!(o.status.success(), "{}", all(&o));
    }
    assert_eq!(
        std::fs::read_to_string(root.join("eksfed.workspace.hcl")).unwrap(),
        "workspace \"acme\" {\n  stacks = [\"accounts/*\"]\n}\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("modules/team/main.hcl")).unwrap(),
        "variable \"team\" {\n  type = string\n}\n"
    );
    let o = eksfed(&root, &["fmt", "--check", "modules/team"]);
    assert!(o.status.success(), "{}", all(&o));
    // The formatted workspace is still one.
    let o = eksfed(&root, &["validate", "accounts/prod"]);
    assert!(o.status.success(), "{}", all(&o));
}

/// The flat form examples/multi-team had before it called a module: the same roles and
/// service accounts as `role`/`service_account` blocks with `for_each`.
const MULTI_TEAM_FLAT: &str = r#"
stack "teams" {
  account_id = "123456789012"
}

variable "env" {
  type    = string
  default = "prod"
}

locals {
  teams = {
    payments = { namespace = "payments", apps = ["api", "worker"] }
    search   = { namespace = "search", apps = ["indexer"] }
    reports  = { namespace = "reports", apps = ["reader", "exporter"] }
  }
  service_accounts = merge([
    for team, t in local.teams : {
      for app in t.apps : "${team}-${app}" => { team = team, namespace = t.namespace, app = app }
    }
  ]...)
}

cluster "main" {
  name            = "main-${var.env}"
  region          = "us-east-1"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/MAIN0123456789ABCDEF0123456789AB"
}

oidc_provider "main" {
  url = cluster.main.oidc_issuer_url
}

policy "config_read" {
  name = "${var.env}-config-read"
  statement {
    actions   = ["ssm:GetParameter", "ssm:GetParametersByPath"]
    resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/${var.env}/shared/*"]
  }
}

role "team" {
  for_each = local.teams
  name     = "${var.env}-${each.key}"
  path     = "/teams/"
  tags     = { team = each.key, env = var.env }
  trust_service_account {
    cluster   = cluster.main
    namespace = each.value.namespace
    names     = each.value.apps
  }
  policies = [policy.config_read.arn]
  inline_policy "own-parameters" {
    statement {
      actions   = ["ssm:GetParameter"]
      resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/${var.env}/${each.key}/*"]
    }
  }
}

service_account "app" {
  for_each  = local.service_accounts
  cluster   = cluster.main
  namespace = each.value.namespace
  name      = each.value.app
  role      = role.team[each.value.team]
  labels    = { team = each.value.team }
}
"#;

/// No moves (DSL.md "Modules"): apply the flat form of examples/multi-team against moto and
/// the Kubernetes test server, then plan the example as it is now (a module per team): the
/// plan has no change, though every address moved into `module.team["..."]`.
#[test]
fn multi_team_refactored_into_a_module_plans_no_change() {
    let w = support::World::new("ws-multi-team");
    for ns in ["payments", "search", "reports"] {
        w.kube.create_namespace(ns);
    }
    // This test's account and kube context instead of the example's.
    let local = |text: &str| {
        text.replace("123456789012", &w.account).replace(
            "  region          = \"us-east-1\"\n",
            "  region          = \"us-east-1\"\n  kube_context    = \"prod\"\n",
        )
    };
    let dir = w.write_stack("multi-team", &[("main.hcl", &local(MULTI_TEAM_FLAT))]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(a.status.code(), Some(0), "{}", support::text(&a));
    assert!(
        String::from_utf8_lossy(&a.stdout).contains("role.team[\"payments\"]"),
        "{}",
        support::text(&a)
    );
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(p.status.code(), Some(0), "{}", support::text(&p));

    // The example, as it is in the repository now.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/multi-team");
    let main = std::fs::read_to_string(example.join("main.hcl")).unwrap();
    assert!(
        main.contains("module \"team\""),
        "the example calls no module"
    );
    std::fs::write(dir.join("main.hcl"), local(&main)).unwrap();
    std::fs::create_dir_all(dir.join("team")).unwrap();
    for f in ["main.hcl", "variables.hcl"] {
        let text = std::fs::read_to_string(example.join("team").join(f)).unwrap();
        std::fs::write(dir.join("team").join(f), text).unwrap();
    }
    let v = w.eksfed(&["render", d]);
    assert!(
        String::from_utf8_lossy(&v.stdout).contains("module.team[\\\"payments\\\"].role.this"),
        "{}",
        support::text(&v)
    );
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(p.status.code(), Some(0), "{}", support::text(&p));
    assert!(
        String::from_utf8_lossy(&p.stdout).contains("No changes"),
        "{}",
        support::text(&p)
    );

    // The plan can see a change: one team's app less is one service account to destroy.
    std::fs::write(
        dir.join("main.hcl"),
        local(&main).replace("apps = [\"reader\", \"exporter\"]", "apps = [\"reader\"]"),
    )
    .unwrap();
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(p.status.code(), Some(2), "{}", support::text(&p));
}
