//! What an untrusted stack or live system could leak or hide (issue 24): a stack file that is a
//! symbolic link out of the stack, markdown injection through a `for_each` key, a sensitive
//! value in addresses or in `access --live`, and output into a closed pipe. Against moto and
//! the Kubernetes test server.
#![allow(clippy::unwrap_used)]

mod support;
use std::path::{Path, PathBuf};
use support::{text, World};

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

const MAIN: &str = r#"
stack "links" {}
role "r" {
  name = "links-r"
  trust_aws {
    principals = ["arn:aws:iam::ACCOUNT:root"]
  }
}
"#;

/// Text no output may show: the content of a file outside the stack.
const OUTSIDE: &str = "LEAKED_TOKEN_5f3a = \"from outside\" }}} not hcl";

fn link(target: &Path, at: PathBuf) {
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// A stack's own `*.hcl` file that is a symbolic link resolving outside the stack directory
/// is E0203 at that file: nothing of it is read or shown, in any format of `validate` or
/// `plan`. A link to a file inside the stack is read as usual.
#[test]
fn a_stack_file_linking_outside_is_refused_and_never_shown() {
    let w = World::new("links");
    let dir = w.write_stack("links", &[("main.hcl", MAIN)]);
    let outside = w.dir.join("outside.txt");
    std::fs::write(&outside, OUTSIDE).unwrap();
    link(&outside, dir.join("leak.hcl"));
    let d = dir.to_str().unwrap();
    let leak = dir.join("leak.hcl").display().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["validate", d],
        vec!["validate", d, "--format", "json"],
        vec!["validate", d, "--format", "sarif"],
        vec!["validate", d, "--format", "github"],
        vec!["plan", d],
        vec!["plan", d, "--format", "markdown"],
        vec!["plan", d, "--format", "json"],
        vec!["plan", d, "--format", "sarif"],
        vec!["render", d],
        vec!["access", d],
        vec!["fmt", d, "--check"],
    ];
    for args in runs {
        let o = w.eksfed(&args);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {all}");
        assert!(
            !all.contains("LEAKED_TOKEN"),
            "{args:?} shows the file:\n{all}"
        );
        assert!(
            !all.contains("from outside"),
            "{args:?} shows the file:\n{all}"
        );
        assert!(all.contains("E0203"), "{args:?}: {all}");
        assert!(all.contains("leak.hcl"), "{args:?}: {all}");
    }
    let v = w.eksfed(&["validate", d]);
    assert!(
        err(&v).contains(&format!("{leak}:1:1: error[E0203]: ")),
        "{}",
        text(&v)
    );
    assert!(
        err(&v).contains("outside the stack directory"),
        "{}",
        text(&v)
    );

    // A link to a file inside the stack is a stack file like any other.
    std::fs::remove_file(dir.join("leak.hcl")).unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("sub/extra.txt"),
        "role \"q\" {\n  name = \"links-q\"\n  trust_aws {\n    principals = [\"arn:aws:iam::111122223333:root\"]\n  }\n}\n",
    )
    .unwrap();
    link(&dir.join("sub/extra.txt"), dir.join("extra.hcl"));
    let o = w.eksfed(&["render", d, "--format", "json", "--account-id", &w.account]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(out(&o).contains("links-q"), "{}", text(&o));
}

/// A stack file over the 16 MiB cap is E0002 at the file and is never opened (its size comes
/// from the file's metadata), in validate, plan, render and fmt alike.
#[test]
fn a_stack_file_over_the_size_cap_is_refused_unread() {
    let w = World::new("huge");
    let dir = w.write_stack("huge", &[("main.hcl", MAIN)]);
    let mut big = String::from("locals {\n  marker = \"HUGE_FILE_MARKER\"\n");
    let line = format!("  # {}\n", "x".repeat(1000));
    while big.len() <= 16 * 1024 * 1024 {
        big.push_str(&line);
    }
    big.push_str("}\n");
    std::fs::write(dir.join("big.hcl"), &big).unwrap();
    let d = dir.to_str().unwrap();
    for args in [
        vec!["validate", d],
        vec!["validate", d, "--format", "json"],
        vec!["plan", d],
        vec!["render", d],
        vec!["fmt", d, "--check"],
    ] {
        let o = w.eksfed(&args);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {all}");
        assert!(all.contains("E0002"), "{args:?}: {all}");
        assert!(all.contains("big.hcl"), "{args:?}: {all}");
        assert!(!all.contains("HUGE_FILE_MARKER"), "{args:?}: {all}");
    }
}

/// Runs eksfed with its standard output a pipe whose reading end is closed before eksfed
/// starts (`eksfed ... | head -0`).
fn into_closed_pipe(w: &World, args: &[&str]) -> std::process::Output {
    use std::process::{Command, Stdio};
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(args)
        .envs(w.envs())
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// `eksfed plan ... --format json | head` and every other command writing into a closed pipe
/// end quietly: no panic, no backtrace, the status a shell gives a command ended by SIGPIPE.
#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let w = World::new("pipe");
    let many: String = (0..200)
        .map(|i| {
            format!(
                "role \"r{i}\" {{\n  name = \"pipe-{i}\"\n  trust_aws {{\n    principals = [\"arn:aws:iam::ACCOUNT:root\"]\n  }}\n}}\n"
            )
        })
        .collect();
    let dir = w.write_stack(
        "pipe",
        &[("main.hcl", &format!("stack \"pipe\" {{}}\n{many}"))],
    );
    let d = dir.to_str().unwrap();
    let acct = w.account.clone();
    let runs: Vec<Vec<&str>> = vec![
        vec!["plan", d, "--format", "json"],
        vec!["plan", d],
        vec!["plan", d, "--format", "markdown"],
        vec!["render", d, "--account-id", &acct],
        vec!["validate", d, "--format", "json", "--account-id", &acct],
        vec!["graph", d],
        vec!["access", d, "--account-id", &acct],
        vec!["lints", "--format", "markdown"],
        vec!["explain", "IAM001"],
    ];
    for args in runs {
        let o = into_closed_pipe(&w, &args);
        let e = err(&o);
        assert!(!e.contains("panicked"), "{args:?}: {e}");
        assert!(!e.contains("Broken pipe"), "{args:?}: {e}");
        assert!(!e.contains("backtrace"), "{args:?}: {e}");
        assert_eq!(o.status.code(), Some(141), "{args:?}: {e}");
    }
}

const SECRET: &str = "0wner-s3cr3t-7731";

/// A `for_each` key that closes the collapsible block and opens an HTML comment, another
/// resource after it, and a `for_each` key that is a sensitive value.
const MARKDOWN_STACK: &str = r#"
stack "md" {}
variable "owner" {
  type      = string
  sensitive = true
}
role "r" {
  for_each = { "x</code></summary></details>\n\n<!--" = "evil", "plain" = "plain" }
  name     = "md-${each.value}"
  trust_aws {
    principals = ["arn:aws:iam::ACCOUNT:root"]
  }
}
role "z_after" {
  name        = "md-after"
  description = "visible-after-the-key"
  trust_aws {
    principals = ["arn:aws:iam::ACCOUNT:root"]
  }
}
role "s" {
  for_each = toset([var.owner])
  name     = "md-s"
  policies = ["arn:aws:iam::aws:policy/AdministratorAccess"]
  trust_aws {
    principals = ["arn:aws:iam::ACCOUNT:root"]
  }
}
"#;

/// Renders GitHub-flavoured markdown to HTML with cmark-gfm (raw HTML kept, as GitHub keeps
/// `<details>` and comments), when it is installed.
fn cmark_gfm(md: &str) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("cmark-gfm")
        .args(["--unsafe", "-e", "table"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(md.as_bytes()).ok()?;
    let o = child.wait_with_output().ok()?;
    Some(String::from_utf8_lossy(&o.stdout).to_string())
}

/// Every value from the stack is escaped in the markdown plan: the hostile key neither closes
/// the block nor hides the next resources' diffs in a comment; every change's diff is there.
#[test]
fn markdown_plans_escape_keys_and_keep_every_diff_visible() {
    let w = World::new("markdown");
    let dir = w.write_stack("md", &[("main.hcl", MARKDOWN_STACK)]);
    let d = dir.to_str().unwrap();
    let var = format!("owner={SECRET}");
    let m = w.eksfed(&["plan", d, "--var", &var, "--format", "markdown"]);
    assert_eq!(m.status.code(), Some(0), "{}", text(&m));
    let md = out(&m);
    // Outside code spans (whose text markdown shows as it is), no HTML from the key.
    let prose: String = md
        .lines()
        .map(|l| l.split('`').step_by(2).collect::<String>() + "\n")
        .collect();
    assert!(
        !prose.contains("<!--"),
        "an HTML comment from the key:\n{md}"
    );
    assert!(!prose.contains("</code></summary></details>"), "{md}");
    assert_eq!(prose.matches("<details>").count(), 4, "{md}");
    assert_eq!(prose.matches("</details>").count(), 4, "{md}");
    assert!(md.contains("visible-after-the-key"), "{md}");
    assert!(md.contains("md-after"), "{md}");
    assert!(
        md.contains("&lt;/code&gt;"),
        "the key is shown, escaped:\n{md}"
    );
    if let Some(html) = cmark_gfm(&md) {
        assert!(!html.contains("<!--"), "{html}");
        assert_eq!(
            html.matches("<details>").count(),
            html.matches("</details>").count(),
            "{html}"
        );
        let after = html
            .find("visible-after-the-key")
            .expect("the last diff is rendered");
        assert!(
            html[after..].contains("</details>"),
            "the last diff is inside its own block:\n{html}"
        );
        assert!(html.contains("role.r[&quot;x&lt;/code&gt;"), "{html}");
    }
}

/// A sensitive value used as a `for_each` key is not printed in addresses: text and markdown
/// plans and diagnostics show `role.s["(sensitive value)"]`; the JSON plan keeps the address
/// (apply needs it) and lists `address` among the change's sensitive paths.
#[test]
fn a_sensitive_for_each_key_is_hidden_in_addresses() {
    let w = World::new("sensaddr");
    let dir = w.write_stack("sensaddr", &[("main.hcl", MARKDOWN_STACK)]);
    let d = dir.to_str().unwrap();
    let var = format!("owner={SECRET}");
    let hidden = "role.s[\"(sensitive value)\"]";
    let p = w.eksfed(&["plan", d, "--var", &var]);
    assert_eq!(p.status.code(), Some(0), "{}", text(&p));
    let all = text(&p);
    assert!(!all.contains("s3cr3t"), "text plan shows the key:\n{all}");
    assert!(
        out(&p).contains(&format!("# {hidden} will be created")),
        "{all}"
    );
    assert!(err(&p).contains("IAM005"), "{all}");
    assert!(err(&p).contains(hidden), "{all}");

    let m = w.eksfed(&["plan", d, "--var", &var, "--format", "markdown"]);
    let md = text(&m);
    assert!(!md.contains("s3cr3t"), "markdown plan shows the key:\n{md}");
    assert!(md.contains("role.s[&quot;(sensitive value)&quot;]"), "{md}");

    let v = w.eksfed(&["validate", d, "--var", &var, "--format", "json"]);
    assert!(!text(&v).contains("s3cr3t"), "{}", text(&v));

    let j = w.eksfed(&["plan", d, "--var", &var, "--format", "json"]);
    assert_eq!(j.status.code(), Some(0), "{}", text(&j));
    let plan: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let real = format!("role.s[\"{SECRET}\"]");
    let c = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == real.as_str())
        .unwrap_or_else(|| panic!("no change {real}: {plan}"));
    assert!(
        c["sensitive"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("address")),
        "{c}"
    );
    assert!(
        !plan["diagnostics"].to_string().contains("s3cr3t"),
        "{}",
        plan["diagnostics"]
    );

    // Apply's progress lines name the change as the plan does; the role is created.
    let a = w.eksfed(&["apply", d, "--var", &var, "--auto-approve"]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    assert!(!text(&a).contains("s3cr3t"), "{}", text(&a));
    assert!(
        out(&a).contains(&format!("{hidden}: created")),
        "{}",
        text(&a)
    );
    let role = w.boto3("print(json.dumps(iam.get_role(RoleName='md-s')['Role']['RoleName']))");
    assert_eq!(role, "md-s");
}

const EXTERNAL_ID_STACK: &str = r#"
stack "ext" {}
variable "external_id" {
  type      = string
  sensitive = true
}
role "partner" {
  name = "ext-partner"
  trust_aws {
    principals = ["arn:aws:iam::444455556666:root"]
    conditions = { "sts:ExternalId" = [var.external_id] }
  }
  policies = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
}
"#;

/// `access --live` shows a live value derived from what the stack marks sensitive redacted:
/// the `sts:ExternalId` of a live role, both when it is the variable's value and when it is
/// the value an earlier apply wrote (the variable has changed since), in every format.
#[test]
fn access_live_redacts_sensitive_live_values() {
    let w = World::new("extid");
    let dir = w.write_stack("ext", &[("main.hcl", EXTERNAL_ID_STACK)]);
    let d = dir.to_str().unwrap();
    let old = "old-3xt3rnal-id-5150";
    let new = "new-3xt3rnal-id-8086";
    let a = w.eksfed(&[
        "apply",
        d,
        "--var",
        &format!("external_id={old}"),
        "--auto-approve",
    ]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    let trust = w.boto3("print(json.dumps(iam.get_role(RoleName='ext-partner')['Role']['AssumeRolePolicyDocument']))");
    assert!(trust.to_string().contains(old), "{trust}");
    for value in [old, new] {
        for format in ["text", "json", "mermaid"] {
            let o = w.eksfed(&[
                "access",
                d,
                "--live",
                "--var",
                &format!("external_id={value}"),
                "--format",
                format,
            ]);
            let all = text(&o);
            assert_eq!(o.status.code(), Some(0), "{value} {format}: {all}");
            assert!(
                !all.contains("3xt3rnal"),
                "{value} {format} shows the value:\n{all}"
            );
            assert!(out(&o).contains("ext-partner"), "{value} {format}: {all}");
        }
    }
    let o = w.eksfed(&[
        "access",
        d,
        "--live",
        "--var",
        &format!("external_id={new}"),
    ]);
    assert!(out(&o).contains("(sensitive value)"), "{}", text(&o));
}
