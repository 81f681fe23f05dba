//! Output for CI (DSL.md "Output for CI"): SARIF validated against the OASIS SARIF 2.1.0
//! schema, GitHub annotation lines, the example workflow against SchemaStore's workflow schema,
//! and the apply progress display in a terminal and without one.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{text, World};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// eksfed run from the repository root (paths in diagnostics are relative to it).
fn eksfed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(args)
        .current_dir(root())
        .env_remove("EKSFED_VAR_env")
        .output()
        .unwrap()
}

/// `check-jsonschema` (PyPI), installed by tests/run.sh; EKSFED_CHECK_JSONSCHEMA overrides.
fn check_jsonschema() -> PathBuf {
    let p = std::env::var("EKSFED_CHECK_JSONSCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join(".venv/bin/check-jsonschema"));
    assert!(
        p.exists(),
        "{} is missing: run tests/run.sh (it installs check-jsonschema), or set EKSFED_CHECK_JSONSCHEMA",
        p.display()
    );
    p
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eksfed-ci-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Validates a SARIF log with check-jsonschema against the vendored OASIS schema.
fn assert_valid_sarif(sarif: &str, name: &str) {
    let f = tempdir(name).join("out.sarif");
    std::fs::write(&f, sarif).unwrap();
    let schema = root().join("tests/vendor/sarif-schema-2.1.0.json");
    let out = Command::new(check_jsonschema())
        .arg("--schemafile")
        .arg(&schema)
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: not valid SARIF 2.1.0\n{}",
        text(&out)
    );
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// The SARIF log agrees with `--format json`: one result per diagnostic at the same line and
/// column, paths relative to the stack directory, one rule per code used.
fn assert_sarif_matches_json(sarif: &Value, json: &Value, stack_dir: &str) {
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "eksfed");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut used: Vec<&str> = vec![];
    let diags = json["diagnostics"].as_array().unwrap();
    for d in diags {
        let c = d["code"].as_str().unwrap();
        if !used.contains(&c) {
            used.push(c);
        }
    }
    assert_eq!(rule_ids, used, "one rule per code used, in first-use order");
    for r in rules {
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["help"]["text"].as_str().unwrap().is_empty());
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), diags.len());
    for (r, d) in results.iter().zip(diags) {
        assert_eq!(r["ruleId"], d["code"]);
        assert_eq!(r["level"], d["severity"]);
        let rel = d["file"]
            .as_str()
            .unwrap()
            .strip_prefix(&format!("{stack_dir}/"))
            .unwrap();
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], rel);
        assert_eq!(loc["region"]["startLine"], d["line"]);
        assert_eq!(loc["region"]["startColumn"], d["column"]);
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with(d["message"].as_str().unwrap()));
        assert_eq!(
            r.get("suppressions").is_some(),
            d.get("allowed").is_some(),
            "allowed findings are suppressed: {r}"
        );
    }
}

#[test]
fn validate_sarif_is_valid_sarif_2_1_0_and_matches_the_diagnostics() {
    for (fixture, exit) in [
        ("lint_all_rules", 1),
        ("lint_allow_lints", 0),
        ("err_unknown_attr", 1),
        ("err_two_files", 1),
        ("lint_clean_realistic", 0),
    ] {
        let dir = format!("tests/fixtures/{fixture}");
        let s = eksfed(&["validate", &dir, "--format", "sarif"]);
        assert_eq!(code(&s), exit, "{fixture}: {}", text(&s));
        let sarif_text = String::from_utf8(s.stdout.clone()).unwrap();
        assert_valid_sarif(&sarif_text, fixture);
        let sarif: Value = serde_json::from_str(&sarif_text).unwrap();
        let j = eksfed(&["validate", &dir, "--format", "json"]);
        let json: Value = serde_json::from_slice(&j.stdout).unwrap();
        assert_sarif_matches_json(&sarif, &json, &dir);
        let base = &sarif["runs"][0]["originalUriBaseIds"]["STACK_DIR"]["uri"];
        assert!(
            base.as_str().unwrap().starts_with("file:///")
                && base.as_str().unwrap().ends_with(&format!("/{dir}/")),
            "{base}"
        );
    }
}

#[test]
fn sarif_has_an_error_and_a_warning_level_and_a_lint_rule_help() {
    let s = eksfed(&[
        "validate",
        "tests/fixtures/lint_all_rules",
        "--format",
        "sarif",
    ]);
    let sarif: Value = serde_json::from_slice(&s.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let level = |id: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == id)
            .map(|r| r["level"].as_str().unwrap().to_string())
    };
    assert_eq!(level("TRUST004").as_deref(), Some("error"));
    assert_eq!(level("IAM002").as_deref(), Some("warning"));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let iam001 = rules.iter().find(|r| r["id"] == "IAM001").unwrap();
    assert_eq!(
        iam001["shortDescription"]["text"],
        "an Allow statement with action *"
    );
    assert!(iam001["help"]["text"]
        .as_str()
        .unwrap()
        .contains("### Why it matters"));
}

#[test]
fn github_annotations_are_workflow_commands() {
    let e = eksfed(&[
        "validate",
        "tests/fixtures/err_unknown_attr",
        "--format",
        "github",
    ]);
    assert_eq!(code(&e), 1, "{}", text(&e));
    assert_eq!(
        String::from_utf8_lossy(&e.stdout),
        "::error file=tests/fixtures/err_unknown_attr/main.hcl,line=9,col=3,title=E0102::unknown attribute `nmae` in `role`\n"
    );
    // A warning, and the one silenced by allow_lints left out (as in text output).
    let w = eksfed(&[
        "validate",
        "tests/fixtures/lint_allow_lints",
        "--format",
        "github",
    ]);
    assert_eq!(code(&w), 0, "{}", text(&w));
    assert_eq!(
        String::from_utf8_lossy(&w.stdout),
        "::warning file=tests/fixtures/lint_allow_lints/main.hcl,line=18,col=18,title=IAM002::policy `writes` allows the write action \"s3:PutObject\" on every resource (\"*\")\n"
    );
    let j = eksfed(&[
        "validate",
        "tests/fixtures/lint_allow_lints",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_slice(&j.stdout).unwrap();
    assert!(
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["allowed"] == true),
        "the fixture has an allowed finding, left out above"
    );
}

#[test]
fn github_annotations_escape_newlines_and_percent_signs() {
    let d = tempdir("escape");
    // An unknown attribute in a file whose name has a comma: the property is escaped.
    std::fs::write(
        d.join("a,b.hcl"),
        "stack \"s\" {\n  account_id = \"111122223333\"\n}\nrole \"r\" {\n  nmae = \"x\"\n}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(["validate", ".", "--format", "github"])
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "::error file=a%2Cb.hcl,line=5,col=3,title=E0102::unknown attribute `nmae` in `role`"
        ),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("::")).count(),
        stdout.lines().count()
    );
}

const WARNED: &str = r#"
stack "ci" {}
policy "writes" {
  name = "ci-writes"
  statement {
    actions   = ["s3:PutObject"]
    resources = ["*"]
  }
}
"#;

#[test]
fn plan_sarif_and_github_carry_the_plans_findings() {
    let w = World::new("ci-plan");
    let dir = w.write_stack("ci", &[("main.hcl", WARNED)]);
    let d = dir.to_str().unwrap();
    let s = w.eksfed(&["plan", d, "--format", "sarif"]);
    assert_eq!(code(&s), 0, "{}", text(&s));
    let sarif_text = String::from_utf8(s.stdout.clone()).unwrap();
    assert_valid_sarif(&sarif_text, "plan");
    let sarif: Value = serde_json::from_str(&sarif_text).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif}");
    assert_eq!(results[0]["ruleId"], "IAM002");
    assert_eq!(results[0]["level"], "warning");
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "main.hcl");
    assert_eq!(loc["region"]["startLine"], 6);
    assert_eq!(loc["region"]["startColumn"], 18);
    // GitHub: the annotation, then the plan as text.
    let g = w.eksfed(&["plan", d, "--format", "github", "--detailed-exitcode"]);
    assert_eq!(code(&g), 2, "{}", text(&g));
    let out = String::from_utf8_lossy(&g.stdout);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        format!("::warning file={d}/main.hcl,line=6,col=18,title=IAM002::policy `ci-writes` allows the write action \"s3:PutObject\" on every resource (\"*\")")
    );
    assert!(
        out.contains("Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{out}"
    );
    // An error stops before the network and is reported in the asked format.
    std::fs::write(dir.join("bad.hcl"), "role \"r\" {\n  nmae = \"x\"\n}\n").unwrap();
    let e = w.eksfed(&["plan", d, "--format", "sarif"]);
    assert_eq!(code(&e), 1, "{}", text(&e));
    let sarif_text = String::from_utf8(e.stdout.clone()).unwrap();
    assert_valid_sarif(&sarif_text, "plan-error");
    let sarif: Value = serde_json::from_str(&sarif_text).unwrap();
    assert!(sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "E0102"
            && r["level"] == "error"
            && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.hcl"));
}

/// The example workflow is a valid GitHub Actions workflow (SchemaStore's schema, as shipped
/// by check-jsonschema), and has the jobs DSL.md describes.
#[test]
fn the_example_workflow_validates_against_the_workflow_schema() {
    let wf = root().join("examples/ci/github-actions/eksfed.yml");
    let out = Command::new(check_jsonschema())
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&wf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let y = std::fs::read_to_string(&wf).unwrap();
    for needle in [
        "pull_request:",
        "--format markdown --out plan.json",
        // Pull requests are planned reading only what git tracks (DSL.md v2 "The workspace").
        "eksfed plan \"$STACK_DIR\" --untrusted --format markdown --out plan.json",
        "eksfed plan \"$STACK_DIR\" --untrusted --fail-on-broadening",
        "<!-- eksfed-plan -->",
        "updateComment",
        "--fail-on-broadening",
        "contains(github.event.pull_request.labels.*.name, 'eksfed-gate')",
        "actions/upload-artifact@v4",
        "eksfed apply plan.json",
        "EKSFED_PLAN_KEY: ${{ secrets.EKSFED_PLAN_KEY }}",
        "--format sarif",
        "--format github",
    ] {
        assert!(y.contains(needle), "the workflow lacks {needle}");
    }
    // A broken workflow is refused: the check can fail.
    let bad = tempdir("wf").join("bad.yml");
    std::fs::write(
        &bad,
        y.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"),
    )
    .unwrap();
    let out = Command::new(check_jsonschema())
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
}

const THREE_POLICIES: &str = r#"
stack "progress" {}
policy "p1" {
  name = "progress-p1"
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::p1/*"]
  }
}
policy "p2" {
  name = "progress-p2"
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::p2/*"]
  }
}
policy "p3" {
  name = "progress-p3"
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::p3/*"]
  }
}
"#;

/// Runs eksfed in a pseudo-terminal (util-linux `script`); returns (exit code, raw output).
fn in_terminal(w: &World, args: &[&str], extra_env: &[(&str, &str)]) -> (i32, String) {
    let cmd = std::iter::once(env!("CARGO_BIN_EXE_eksfed"))
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qfec", &cmd, "/dev/null"])
        .envs(w.envs())
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .env("TERM", "xterm-256color")
        .envs(extra_env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script` runs a command in a pseudo-terminal");
    (
        code(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn apply_in_a_terminal_shows_the_live_display() {
    let w = World::new("ci-tty");
    let dir = w.write_stack("p", &[("main.hcl", THREE_POLICIES)]);
    let d = dir.to_str().unwrap();
    let (c, out) = in_terminal(&w, &["apply", d, "--auto-approve"], &[]);
    assert_eq!(c, 0, "{out}");
    // The display: done/total with the elapsed time, redrawn in place (escape sequences).
    assert!(out.contains("3/3 done"), "{out}");
    assert!(out.contains("\x1b[2K"), "no line redrawn in place: {out}");
    // Each completion printed above it; no plain "creating..." start lines.
    for p in ["p1", "p2", "p3"] {
        assert!(out.contains(&format!("policy.{p}: created [")), "{out}");
        assert!(!out.contains(&format!("policy.{p}: creating...")), "{out}");
    }
    assert!(out.contains("Apply complete! Resources: 3 added"), "{out}");
    // The spinner while the live state is read (on stderr, the same terminal).
    assert!(
        out.contains("Reading the live state of 3 objects: IAM"),
        "{out}"
    );

    // Destroy in the terminal, with a failure printed above the display as it happens: p2
    // is attached to a role outside the stack, so IAM refuses to delete it.
    w.boto3(&format!("iam.create_role(RoleName='outsider', AssumeRolePolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'Service':'ec2.amazonaws.com'}},'Action':'sts:AssumeRole'}}]}}))\niam.attach_role_policy(RoleName='outsider', PolicyArn='arn:aws:iam::{}:policy/progress-p2')\nprint('{{}}')", w.account));
    let (c, out) = in_terminal(&w, &["destroy", d, "--auto-approve"], &[]);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("3/3 done"), "{out}");
    assert!(out.contains("\x1b[2K"), "{out}");
    assert!(out.contains("policy.p2: FAILED:"), "{out}");
    assert!(out.contains("Destroy incomplete: 1 failed"), "{out}");
}

#[test]
fn without_a_terminal_or_with_ci_apply_prints_plain_lines() {
    let w = World::new("ci-plain");
    let dir = w.write_stack("p", &[("main.hcl", THREE_POLICIES)]);
    let d = dir.to_str().unwrap();
    // No terminal (output piped).
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let out = String::from_utf8_lossy(&a.stdout);
    for p in ["p1", "p2", "p3"] {
        assert!(out.contains(&format!("policy.{p}: creating...\n")), "{out}");
        assert!(out.contains(&format!("policy.{p}: created [")), "{out}");
    }
    assert!(!out.contains("done,"), "{out}");
    assert!(!out.contains('\x1b'), "{out}");
    assert!(String::from_utf8_lossy(&a.stderr).find('\x1b').is_none());
    // A terminal, but CI=true (and then --no-color): the same plain lines.
    for (args, env) in [
        (vec!["destroy", d, "--auto-approve"], vec![("CI", "true")]),
        (vec!["apply", d, "--auto-approve", "--no-color"], vec![]),
    ] {
        let (c, out) = in_terminal(&w, &args, &env);
        assert_eq!(c, 0, "{out}");
        assert!(!out.contains("done,"), "{args:?}: {out}");
        // (the plan itself may be coloured: CI=true does not change colours, only the display)
        assert!(!out.contains("\x1b[2K"), "{args:?}: {out}");
        let verb = if args[0] == "destroy" {
            "deleting"
        } else {
            "creating"
        };
        assert!(
            out.contains(&format!("policy.p1: {verb}...")),
            "{args:?}: {out}"
        );
    }
}

/// `tests/demo.sh --keep`: the demo runs, the doubles stay up and the printed `export` lines
/// point eksfed at them; the trap that Ctrl-C (SIGINT) and SIGTERM share stops them.
#[test]
fn demo_keep_leaves_the_doubles_running_until_interrupted() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new("bash")
        .arg(root().join("tests/demo.sh"))
        .arg("--keep")
        .env("EKSFED_BIN_DIR", support::bin_dir())
        .env_remove("AWS_PROFILE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let mut env: Vec<(String, String)> = vec![];
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.strip_prefix("export ") {
            for kv in rest.split_whitespace() {
                let (k, v) = kv.split_once('=').unwrap();
                env.push((k.to_string(), v.to_string()));
            }
        }
        if line.contains("press Ctrl-C") {
            break;
        }
    }
    assert!(
        seen.contains("press Ctrl-C"),
        "the demo did not finish:\n{seen}"
    );
    let endpoint = env
        .iter()
        .find(|(k, _)| k == "AWS_ENDPOINT_URL")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no AWS_ENDPOINT_URL export:\n{seen}"));
    assert!(env.iter().any(|(k, _)| k == "KUBECONFIG"), "{seen}");
    // By hand, with the printed exports: the demo's stack is applied, so nothing to do.
    let p = Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(["plan", "examples/quickstart", "--detailed-exitcode"])
        .current_dir(root())
        .env_remove("AWS_PROFILE")
        .envs(env.iter().filter(|(k, _)| k != "PATH").cloned())
        .output()
        .unwrap();
    assert_eq!(code(&p), 0, "{}", text(&p));
    let addr = endpoint.trim_start_matches("http://").to_string();
    assert!(std::net::TcpStream::connect(&addr).is_ok());
    // TERM, which the script traps with INT: a background job of a non-interactive shell
    // (`tests/run.sh &`, nohup) starts with SIGINT ignored, and bash cannot trap a signal that
    // was ignored on entry, so `kill -INT` would do nothing there and the test would wait
    // forever.
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", rest.join("\n"));
    assert!(
        rest.iter().any(|l| l.contains("stopping the servers")),
        "{rest:?}"
    );
    // The servers are stopped (moto may take a moment to exit).
    let mut closed = false;
    for _ in 0..50 {
        if std::net::TcpStream::connect(&addr).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(closed, "moto still answers on {addr}");
}
