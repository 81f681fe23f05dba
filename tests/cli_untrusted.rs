//! Planning an untrusted pull request (DSL.md "Plans of untrusted changes"): the stack reads
//! no file outside its directory, and values derived from a sensitive variable appear in no
//! text or markdown plan and no diagnostic, while the JSON plan keeps them (with their paths
//! marked) and apply writes them.
#![allow(clippy::unwrap_used)]

mod support;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{text, KubeApi, World};

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eksfed-untrusted-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs eksfed offline with a deadline: a command that opened one of the FIFOs below would
/// block forever (no writer), so finishing in time shows it read nothing there.
fn eksfed_in_time(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("eksfed {args:?} blocked: it opened a file outside the stack");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(st.success(), "mkfifo {}", p.display());
}

const STACK: &str = r#"
stack "files" {
  account_id = "111122223333"
}
role "r" {
  name        = "r"
  description = DESCRIPTION
  trust_aws {
    principals = ["arn:aws:iam::111122223333:root"]
  }
}
"#;

/// Each escape is E0203 at the call (file:line:col of `file(`), naming the path as written,
/// exit 1, and nothing outside is opened (the targets are FIFOs: opening one would block).
#[test]
fn escapes_are_refused_at_the_call_and_nothing_is_read() {
    let root = tempdir("escape");
    let outside = root.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    mkfifo(&outside.join("secret"));
    let stack = root.join("stack");
    std::fs::create_dir_all(stack.join("sub")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret"), stack.join("link")).unwrap();
    std::os::unix::fs::symlink(&outside, stack.join("dirlink")).unwrap();
    let abs = outside.join("secret").display().to_string();
    let cases = [
        (
            format!("file(\"{abs}\")"),
            abs.clone(),
            "is an absolute path",
        ),
        (
            "file(\"../outside/secret\")".to_string(),
            "../outside/secret".to_string(),
            "leaves the stack directory (through `..`)",
        ),
        (
            "file(\"sub/../../outside/secret\")".to_string(),
            "sub/../../outside/secret".to_string(),
            "leaves the stack directory (through `..`)",
        ),
        (
            "file(\"link\")".to_string(),
            "link".to_string(),
            "leaves the stack directory (through a symbolic link)",
        ),
        (
            "file(\"dirlink/secret\")".to_string(),
            "dirlink/secret".to_string(),
            "leaves the stack directory (through a symbolic link)",
        ),
        (
            "templatefile(\"link\", {})".to_string(),
            "link".to_string(),
            "leaves the stack directory (through a symbolic link)",
        ),
    ];
    for (call, path, why) in cases {
        std::fs::write(stack.join("main.hcl"), STACK.replace("DESCRIPTION", &call)).unwrap();
        for cmd in ["validate", "render"] {
            let out = eksfed_in_time(&[cmd, stack.to_str().unwrap()]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{cmd} {call}: {stderr}");
            let main = stack.join("main.hcl").display().to_string();
            assert!(
                stderr.contains(&format!("{main}:7:17: error[E0203]: ")),
                "{cmd} {call}: not at the call\n{stderr}"
            );
            assert!(
                stderr.contains(&format!("`{path}` {why}")),
                "{cmd} {call}: {stderr}"
            );
            assert!(out.stdout.is_empty(), "{cmd} {call}: rendered something");
        }
    }
}

/// Files inside the stack (also through `..` that stays inside, and a symlink to a file
/// inside) are read; a template includes another file of the stack.
#[test]
fn files_inside_the_stack_still_work() {
    let stack = tempdir("inside");
    std::fs::create_dir_all(stack.join("sub")).unwrap();
    std::fs::write(stack.join("sub/desc.txt"), "from a file").unwrap();
    std::os::unix::fs::symlink(stack.join("sub/desc.txt"), stack.join("alias")).unwrap();
    std::fs::write(
        stack.join("sub/greet.j2"),
        "{% include \"sub/name.j2\" %} runs {{ app }}",
    )
    .unwrap();
    std::fs::write(stack.join("sub/name.j2"), "team {{ team }}").unwrap();
    let desc = r#"join(" / ", [file("sub/../sub/desc.txt"), file("./alias"), templatefile("sub/greet.j2", { app = "api", team = "core" })])"#;
    std::fs::write(stack.join("main.hcl"), STACK.replace("DESCRIPTION", desc)).unwrap();
    let out = eksfed_in_time(&["render", stack.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["resources"][0]["description"],
        "from a file / from a file / team core runs api"
    );
    // An include that leaves the stack is refused like file().
    std::fs::write(stack.join("sub/greet.j2"), "{% include \"../../x\" %}").unwrap();
    let out = eksfed_in_time(&["validate", stack.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[E0203]"), "{stderr}");
    assert!(
        stderr.contains("`../../x` leaves the stack directory"),
        "{stderr}"
    );
}

/// A 40,000-character line is shown as at most 200 characters around the caret.
#[test]
fn long_source_lines_are_cut_around_the_caret() {
    let stack = tempdir("longline");
    let pad = "x".repeat(20_000);
    let desc = format!("\"{pad}\" == \"{pad}\" ? lowr(\"a\") : \"{pad}\"");
    std::fs::write(stack.join("main.hcl"), STACK.replace("DESCRIPTION", &desc)).unwrap();
    let out = eksfed_in_time(&["validate", stack.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[E0203]: lowr(): unknown function"),
        "{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let src = lines.iter().position(|l| l.starts_with("7 | ")).unwrap();
    let shown = &lines[src]["7 | ".len()..];
    assert!(
        shown.chars().count() <= 200,
        "{} chars",
        shown.chars().count()
    );
    assert!(shown.contains("lowr(\"a\")"), "{shown}");
    assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
    // The caret is under `lowr`.
    let caret = lines[src + 1];
    let col = caret.find('^').unwrap() - "  | ".len();
    let at: String = shown.chars().skip(col).take(4).collect();
    assert_eq!(at, "lowr", "{shown}\n{caret}");
    assert!(
        stderr.len() < 2_000,
        "{} bytes of diagnostics",
        stderr.len()
    );
}

const SECRET: &str = "s3cr3t-owner-77";

const SENSITIVE_STACK: &str = r#"
stack "sens" {}
variable "owner" {
  type      = string
  sensitive = true
}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
role "r" {
  name        = "sens-app"
  description = "Owned by ${var.owner}"
  tags        = { owner = upper(var.owner), team = "platform" }
  trust_service_account {
    cluster   = cluster.demo
    namespace = "apps"
    names     = ["app"]
  }
  inline_policy "data" {
    statement {
      actions   = ["s3:GetObject"]
      resources = ["arn:aws:s3:::${var.owner}/*", "arn:aws:s3:::public/*"]
    }
  }
}
rbac_binding "owner_admin" {
  cluster      = cluster.demo
  subjects     = [{ kind = "User", name = var.owner }]
  cluster_role = "cluster-admin"
}
"#;

/// A sensitive variable's value (and what derives from it) is absent from the text and
/// markdown plans and from diagnostics (EKS005 would name the subject), present in the JSON
/// plan with its paths listed, and applied as is.
#[test]
fn sensitive_values_are_hidden_in_plans_and_applied() {
    let w = World::new("sensitive");
    let dir = w.write_stack("sens", &[("main.hcl", SENSITIVE_STACK)]);
    let d = dir.to_str().unwrap();
    let var = format!("owner={SECRET}");
    let upper = SECRET.to_uppercase();
    let hidden = |what: &str, s: &str| {
        assert!(!s.contains(SECRET), "{what} shows the value:\n{s}");
        assert!(!s.contains(&upper), "{what} shows the derived value:\n{s}");
        assert!(
            !s.contains("s3cr3t"),
            "{what} shows part of the value:\n{s}"
        );
    };

    let p = w.eksfed(&["plan", d, "--var", &var]);
    assert_eq!(p.status.code(), Some(0), "{}", text(&p));
    let (out, err) = (
        String::from_utf8_lossy(&p.stdout).to_string(),
        String::from_utf8_lossy(&p.stderr).to_string(),
    );
    hidden("text plan", &out);
    hidden("plan diagnostics", &err);
    assert!(
        err.contains("warning[EKS005]: binding User (sensitive value) to cluster-admin"),
        "{err}"
    );
    assert!(
        out.contains("description          = \"(sensitive value)\""),
        "{out}"
    );
    assert!(out.contains("\"owner\": \"(sensitive value)\""), "{out}");
    assert!(out.contains("\"team\": \"platform\""), "{out}");
    assert!(out.contains("\"arn:aws:s3:::public/*\""), "{out}");
    assert!(out.contains("Plan: 2 to add"), "{out}");

    let m = w.eksfed(&["plan", d, "--var", &var, "--format", "markdown"]);
    assert_eq!(m.status.code(), Some(0), "{}", text(&m));
    let md = String::from_utf8_lossy(&m.stdout).to_string();
    hidden("markdown plan", &md);
    hidden("markdown diagnostics", &String::from_utf8_lossy(&m.stderr));
    assert!(md.contains("(sensitive value)"), "{md}");
    assert!(md.contains("EKS005"), "{md}");

    let v = w.eksfed(&["validate", d, "--var", &var, "--format", "json"]);
    let vj = String::from_utf8_lossy(&v.stdout).to_string();
    hidden("validate JSON", &vj);
    assert!(vj.contains("EKS005"), "{vj}");

    let j = w.eksfed(&["plan", d, "--var", &var, "--format", "json"]);
    assert_eq!(j.status.code(), Some(0), "{}", text(&j));
    let plan: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let change = |a: &str| {
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == a)
            .unwrap_or_else(|| panic!("no change {a}: {plan}"))
            .clone()
    };
    let role = change("role.r");
    assert_eq!(role["after"]["description"], format!("Owned by {SECRET}"));
    assert_eq!(role["after"]["tags"]["owner"], upper);
    let paths: Vec<&str> = role["sensitive"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(paths.contains(&"description"), "{paths:?}");
    assert!(paths.contains(&"tags.owner"), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("inline_policies.data.Statement[0].Resource")),
        "{paths:?}"
    );
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("team") || *p == "name" || *p == "arn"),
        "{paths:?}"
    );
    let binding = change("rbac_binding.owner_admin");
    assert!(
        binding["sensitive"]
            .to_string()
            .contains("subjects[0].name"),
        "{binding}"
    );
    // The JSON diagnostics of the plan are redacted like the others.
    hidden("JSON plan diagnostics", &plan["diagnostics"].to_string());

    let a = w.eksfed(&["apply", d, "--var", &var, "--auto-approve"]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    hidden("apply output", &String::from_utf8_lossy(&a.stdout));
    hidden("apply diagnostics", &String::from_utf8_lossy(&a.stderr));
    let got = w.boto3(
        "r = iam.get_role(RoleName='sens-app')['Role']\n\
         p = iam.get_role_policy(RoleName='sens-app', PolicyName='data')['PolicyDocument']\n\
         print(json.dumps({'desc': r.get('Description'), 'tags': {t['Key']: t['Value'] for t in r.get('Tags', [])}, 'doc': p if isinstance(p, dict) else json.loads(p)}))",
    );
    assert_eq!(got["desc"], format!("Owned by {SECRET}"), "{got}");
    assert_eq!(got["tags"]["owner"], upper, "{got}");
    assert!(
        got["doc"]
            .to_string()
            .contains(&format!("arn:aws:s3:::{SECRET}/*")),
        "{got}"
    );
    let (c, crb) = w
        .kube
        .get_json("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings");
    assert_eq!(c, 200, "{crb}");
    assert!(crb.to_string().contains(SECRET), "{crb}");
    // A changed sensitive value is an update whose values stay hidden.
    let p2 = w.eksfed(&["plan", d, "--var", "owner=0ther-owner-88"]);
    let out2 = String::from_utf8_lossy(&p2.stdout).to_string();
    assert!(out2.contains("will be updated in-place"), "{}", text(&p2));
    hidden("second plan", &out2);
    assert!(!out2.contains("0ther-owner-88"), "{out2}");
    assert!(
        out2.contains("description          = \"(sensitive value)\" -> \"(sensitive value)\""),
        "{out2}"
    );
}

/// `eksfed access` shows what derives from a sensitive variable redacted too (here the
/// binding's subject, a user named by the variable), in every format.
#[test]
fn access_review_redacts_sensitive_values() {
    let dir = tempdir("access");
    std::fs::write(dir.join("main.hcl"), SENSITIVE_STACK).unwrap();
    let d = dir.to_str().unwrap();
    let var = format!("owner={SECRET}");
    for format in ["text", "json", "mermaid"] {
        let out = eksfed_in_time(&[
            "access",
            d,
            "--account-id",
            "111122223333",
            "--var",
            &var,
            "--format",
            format,
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !stdout.contains("s3cr3t"),
            "{format} shows the value:\n{stdout}"
        );
        assert!(stdout.contains("(sensitive value)"), "{format}: {stdout}");
    }
}
