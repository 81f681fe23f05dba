//! Black-box tests of the offline commands: the real binary on fixture and example stacks.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn eksfed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(args)
        .env_remove("EKSFED_VAR_env")
        .output()
        .unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn fixture(name: &str) -> String {
    root()
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// Each error fixture exits 1 and names the file and line of its `# ERROR:` marker.
#[test]
fn every_error_kind_exits_1_at_the_marked_line() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("tests/fixtures")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("err_") {
            continue;
        }
        n += 1;
        let out = eksfed(&["validate", dir.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "hcl"))
        {
            for (i, line) in std::fs::read_to_string(f).unwrap().lines().enumerate() {
                if let Some(pos) = line.find("# ERROR: ") {
                    let code = line[pos + 9..].trim();
                    let want = format!("{}:{}:", f.display(), i + 1);
                    assert!(
                        stderr.contains(&want),
                        "{name}: expected a diagnostic at {want}\n{stderr}"
                    );
                    assert!(
                        stderr.contains(&format!("error[{code}]")),
                        "{name}: expected error[{code}]\n{stderr}"
                    );
                }
            }
        }
    }
    assert!(n >= 12, "expected the error fixtures, found {n}");
}

#[test]
fn validate_json_has_the_contract_fields() {
    let out = eksfed(&["validate", &fixture("err_unknown_attr"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "E0102");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 9);
    assert_eq!(d["column"], 3);
    assert!(d["file"].as_str().unwrap().ends_with("main.hcl"));
    assert!(d["message"].as_str().unwrap().contains("nmae"));
}

#[test]
fn examples_validate_and_render() {
    let stacks: Vec<PathBuf> = example_dirs().into_iter().filter(|d| is_stack(d)).collect();
    // The workspace's two accounts are among them.
    for acct in ["prod", "staging"] {
        let d = root().join("examples/workspace/accounts").join(acct);
        assert!(stacks.contains(&d), "{} is not validated", d.display());
    }
    for dir in stacks {
        let out = eksfed(&["validate", dir.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let out = eksfed(&["render", dir.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["format_version"], 1);
        assert!(!v["resources"].as_array().unwrap().is_empty());
    }
}

#[test]
fn render_matches_the_aws_and_kubernetes_forms() {
    let out = eksfed(&["render", &fixture("dsl_full")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let res = |addr: &str| {
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == addr)
            .cloned()
            .unwrap()
    };
    let issuer = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E";
    let role = res("role.reports_reader");
    assert_eq!(role["arn"], "arn:aws:iam::111122223333:role/reports-reader");
    let irsa = &role["trust_policy"]["Statement"][0];
    assert_eq!(
        irsa["Principal"]["Federated"],
        format!("arn:aws:iam::111122223333:oidc-provider/{issuer}")
    );
    assert_eq!(irsa["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        irsa["Condition"]["StringEquals"][format!("{issuer}:sub")],
        "system:serviceaccount:reports:reader"
    );
    assert_eq!(
        irsa["Condition"]["StringEquals"][format!("{issuer}:aud")],
        "sts.amazonaws.com"
    );
    let pod = &role["trust_policy"]["Statement"][1];
    assert_eq!(pod["Principal"]["Service"], "pods.eks.amazonaws.com");
    assert_eq!(
        pod["Action"],
        serde_json::json!(["sts:AssumeRole", "sts:TagSession"])
    );
    let saml = &res("role.platform_admins")["trust_policy"]["Statement"][0];
    assert_eq!(saml["Action"], "sts:AssumeRoleWithSAML");
    assert_eq!(
        saml["Condition"]["StringEquals"]["SAML:aud"],
        "https://signin.aws.amazon.com/saml"
    );
    assert_eq!(
        saml["Principal"]["Federated"],
        "arn:aws:iam::111122223333:saml-provider/okta"
    );
    assert_eq!(
        res("role.platform_admins")["arn"],
        "arn:aws:iam::111122223333:role/people/role-placeholder"
            .replace("role-placeholder", "platform_admins")
    );
    // aws-auth strips the path; the access entry keeps it
    let access = res("access.platform_admins");
    assert_eq!(
        access["aws_auth"]["rolearn"],
        "arn:aws:iam::111122223333:role/platform_admins"
    );
    assert!(
        access.get("access_entry").is_none(),
        "aws_auth mode writes no access entry"
    );
    let sa = res("service_account.reader");
    assert_eq!(
        sa["manifest"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::111122223333:role/reports-reader"
    );
    assert_eq!(
        sa["manifest"]["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "eksfed"
    );
    assert_eq!(
        sa["manifest"]["metadata"]["labels"]["eksfed.io/stack"],
        "platform-prod"
    );
    let pi = res("service_account.reader_pi");
    assert!(pi["manifest"]["metadata"].get("annotations").is_none());
    assert_eq!(pi["pod_identity_association"]["cluster_name"], "prod-eks");
    let gh = &res("role.deploy")["trust_policy"]["Statement"][0];
    assert_eq!(
        gh["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"],
        "repo:acme/deploy:ref:refs/heads/main"
    );
    assert!(gh["Condition"].get("StringLike").is_none());
    let rb = res("rbac_binding.admins");
    assert_eq!(rb["manifests"][0]["kind"], "RoleBinding");
    assert_eq!(rb["manifests"][0]["metadata"]["namespace"], "reports");
    assert_eq!(res("role.app[\"payments\"]")["name"], "app-payments");
}

#[test]
fn render_needs_an_account_id() {
    let dir = tempdir("noacct");
    std::fs::write(dir.join("main.hcl"), "stack \"s\" {}\nrole \"r\" {\n  trust_aws { principals = [\"arn:aws:iam::111122223333:root\"] }\n}\n").unwrap();
    let out = eksfed(&["validate", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "validate works without an account id"
    );
    let out = eksfed(&["render", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("account"));
    let out = eksfed(&[
        "render",
        dir.to_str().unwrap(),
        "--account-id",
        "444455556666",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("arn:aws:iam::444455556666:role/r"));
}

#[test]
fn variables_precedence_default_var_varfile_env() {
    let dir = tempdir("vars");
    std::fs::write(dir.join("main.hcl"), "stack \"s\" { account_id = \"111122223333\" }\nvariable \"env\" { default = \"dflt\" }\nrole \"r\" {\n  name = \"r-${var.env}\"\n  trust_aws { principals = [\"arn:aws:iam::111122223333:root\"] }\n}\n").unwrap();
    std::fs::write(dir.join("vars.tfvars"), "env = \"file\"\n").unwrap();
    let d = dir.to_str().unwrap();
    let name = |out: Output| {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["resources"][0]["name"].as_str().unwrap().to_string()
    };
    assert_eq!(name(eksfed(&["render", d])), "r-dflt");
    assert_eq!(name(eksfed(&["render", d, "--var", "env=cli"])), "r-cli");
    let vf = dir.join("vars.tfvars");
    assert_eq!(
        name(eksfed(&[
            "render",
            d,
            "--var",
            "env=cli",
            "--var-file",
            vf.to_str().unwrap()
        ])),
        "r-file"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args([
            "render",
            d,
            "--var",
            "env=cli",
            "--var-file",
            vf.to_str().unwrap(),
        ])
        .env("EKSFED_VAR_env", "envvar")
        .output()
        .unwrap();
    assert_eq!(name(out), "r-envvar");
    let out = eksfed(&["render", d, "--var", "nope=1"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn graph_formats() {
    let out = eksfed(&["graph", &fixture("dsl_full"), "--format", "dot"]);
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(dot.starts_with("digraph"));
    assert!(
        dot.contains("\"oidc_provider.prod\" -> \"role.reports_reader\""),
        "{dot}"
    );
    assert!(dot.contains("\"policy.reports_read\" -> \"role.reports_reader\""));
    let out = eksfed(&["graph", &fixture("dsl_full"), "--format", "mermaid"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("flowchart LR"));
}

#[test]
fn fmt_check_and_write() {
    let dir = tempdir("fmt");
    let messy = "stack \"s\" {\naccount_id=\"111122223333\" # keep me\n}\n";
    std::fs::write(dir.join("main.hcl"), messy).unwrap();
    let d = dir.to_str().unwrap();
    assert_eq!(eksfed(&["fmt", d, "--check"]).status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.join("main.hcl")).unwrap(),
        messy,
        "--check changes nothing"
    );
    assert_eq!(eksfed(&["fmt", d]).status.code(), Some(0));
    let formatted = std::fs::read_to_string(dir.join("main.hcl")).unwrap();
    assert_eq!(
        formatted,
        "stack \"s\" {\n  account_id = \"111122223333\" # keep me\n}\n"
    );
    assert_eq!(eksfed(&["fmt", d, "--check"]).status.code(), Some(0));
    // Stacks, module directories and the workspace file alike.
    for p in example_dirs() {
        {
            let out = eksfed(&["fmt", p.to_str().unwrap(), "--check"]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "example {} is not formatted: {}",
                p.display(),
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

/// Every directory under examples/ holding `*.hcl` files (stacks, modules, workspace roots).
fn example_dirs() -> Vec<PathBuf> {
    let mut out = vec![];
    let mut todo = vec![root().join("examples")];
    while let Some(d) = todo.pop() {
        let mut has_hcl = false;
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "hcl") {
                has_hcl = true;
            }
        }
        if has_hcl {
            out.push(d);
        }
    }
    out.sort();
    out
}

/// A directory with a `stack` block in one of its `*.hcl` files (not the workspace file).
fn is_stack(d: &Path) -> bool {
    std::fs::read_dir(d).unwrap().any(|e| {
        let p = e.unwrap().path();
        p.extension().is_some_and(|x| x == "hcl")
            && std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .any(|l| l.starts_with("stack \""))
    })
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eksfed-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A lint error stops validate and plan before any network call (no AWS endpoint is
/// reachable here: a call would fail differently and slowly).
#[test]
fn lint_errors_stop_before_the_network() {
    let dir = fixture("lint_trust001_trigger");
    let out = eksfed(&["validate", &dir]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[TRUST001]"));
    let out = Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(["plan", &dir])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error[TRUST001]") && !err.contains("127.0.0.1:9"),
        "{err}"
    );
    let out = eksfed(&["validate", &fixture("lint_all_rules"), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: std::collections::BTreeSet<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    for r in [
        "EKS001", "EKS002", "EKS003", "EKS004", "EKS005", "IAM001", "IAM002", "IAM003", "IAM004",
        "IAM005", "IAM006", "IAM007", "IAM008", "IAM009", "TRUST001", "TRUST002", "QUOTA001",
        "QUOTA002", "QUOTA003", "QUOTA004", "QUOTA005", "QUOTA006",
    ] {
        assert!(codes.contains(r), "{r} not reported by lint_all_rules");
    }
    let out = eksfed(&["validate", &fixture("lint_allow_lints"), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let allowed: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["allowed"] == true)
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        allowed.contains(&"IAM001") && allowed.contains(&"EKS005"),
        "{v}"
    );
    let out = eksfed(&["explain", "eks001"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("What it finds"));
}

/// `render` refuses a stack whose values derive from a cluster issuer it cannot know offline,
/// found from what evaluation read (not by searching the output for the placeholder): a
/// literal that looks like the placeholder renders; a role reading the issuer through a local
/// is refused, naming the cluster; with the issuer set, the same role renders.
#[test]
fn render_refuses_only_what_derives_from_an_unknown_issuer() {
    let head = "stack \"s\" { account_id = \"111122223333\" }\ncluster \"prod\" {\n  name   = \"prod\"\n  region = \"eu-west-1\"\n  ISSUER\n}\n";
    let literal = "policy \"p\" {\n  name        = \"p\"\n  description = \"https://oidc.eks.eu-west-1.amazonaws.com/id/UNKNOWN-prod\"\n  document    = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = \"s3:GetObject\", Resource = \"*\" }] })\n}\n";
    let via_local = "locals {\n  issuer = cluster.prod.oidc_issuer_url\n}\nrole \"r\" {\n  name = \"r\"\n  trust_aws { principals = [\"arn:aws:iam::111122223333:root\"] }\n  inline_policy \"read\" {\n    statement {\n      actions   = [\"s3:GetObject\"]\n      resources = [\"arn:aws:s3:::b/${local.issuer}\"]\n    }\n  }\n}\n";
    let run = |name: &str, issuer: &str, body: &str| {
        let dir = tempdir(name);
        let text = head.replace("ISSUER", issuer) + body;
        std::fs::write(dir.join("main.hcl"), text).unwrap();
        eksfed(&["render", dir.to_str().unwrap()])
    };
    let out = run("unknown-literal", "", literal);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("UNKNOWN-prod"));

    let out = run("unknown-local", "", via_local);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cluster.prod: `oidc_issuer_url` is not set, and render works offline"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let known = "oidc_issuer_url = \"https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF\"";
    let out = run("known-local", known, via_local);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("arn:aws:s3:::b/https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"));
}
