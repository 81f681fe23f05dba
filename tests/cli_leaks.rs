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

/// Runs eksfed with its standard output a pipe whose reading end is closed before eksfed
/// writes (`eksfed ... | head -0`).
fn into_closed_pipe(w: &World, args: &[&str]) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(args)
        .envs(w.envs())
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
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
