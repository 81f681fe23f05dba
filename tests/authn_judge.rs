//! The `aws-auth` mapping of the access model judged by aws-iam-authenticator's own ConfigMap
//! mapper (tests/authn-judge, built by tests/run.sh, path in `EKSFED_AUTHN_JUDGE`): every
//! identity of every case is mapped by both, and the username and groups (or no match) must
//! be the same. Cases: the `aws-auth` entries eksfed renders for every cluster of every stack
//! under tests/fixtures that compiles, and hand-written live ConfigMaps (paths, case, users,
//! templates, `mapAccounts`).
#![allow(clippy::unwrap_used)]

use eksfed_compiler::desired::compile::{compile, CompileInput, Facts, VarInputs};
use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::plan::render::render;
use eksfed_compiler::plan::rendered::{AwsAuthEntry, RenderedKind};
use eksfed_compiler::review::access_model::aws_auth_user;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct DirReader(PathBuf);
impl FileReader for DirReader {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    }
}

const SESSIONS: [&str; 2] = ["alice@example.com", "ci-bot"];

struct Case {
    name: String,
    entries: Vec<AwsAuthEntry>,
    accounts: Vec<String>,
    /// Principals: IAM role ARNs (signed in with each of SESSIONS) and IAM user ARNs.
    principals: Vec<String>,
}

/// The `aws-auth` entries each cluster of each fixture stack renders.
fn rendered_cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("main.hcl").is_file())
        .collect();
    dirs.sort();
    let mut cases = vec![];
    for dir in dirs {
        let c = compile(CompileInput {
            files: vec![(
                "main.hcl".into(),
                std::fs::read_to_string(dir.join("main.hcl")).unwrap(),
            )],
            reader: &DirReader(dir.clone()),
            vars: VarInputs::default(),
            facts: Facts::default(),
        });
        let Some(desired) = c.desired.as_ref().filter(|_| c.diagnostics.is_empty()) else {
            continue;
        };
        let mut by_cluster: BTreeMap<String, Vec<AwsAuthEntry>> = BTreeMap::new();
        for r in render(desired).resources {
            if let RenderedKind::Access {
                cluster,
                aws_auth: Some(a),
                ..
            } = r.kind
            {
                by_cluster.entry(cluster).or_default().push(a);
            }
        }
        for (cluster, entries) in by_cluster {
            let principals = entries.iter().map(|e| e.arn().to_string()).collect();
            cases.push(Case {
                name: format!("{}/{cluster}", dir.file_name().unwrap().to_string_lossy()),
                entries,
                accounts: vec![],
                principals,
            });
        }
    }
    cases
}

fn entry(arn: &str, username: &str, groups: &[&str]) -> AwsAuthEntry {
    let user = arn.contains(":user/");
    AwsAuthEntry {
        rolearn: (!user).then(|| arn.to_string()),
        userarn: user.then(|| arn.to_string()),
        username: Some(username.to_string()),
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

/// Live ConfigMaps as people write them.
fn live_cases() -> Vec<Case> {
    let a = "111122223333";
    vec![
        Case {
            name: "live/path-written".into(),
            entries: vec![
                entry(
                    &format!("arn:aws:iam::{a}:role/people/platform-admins"),
                    "admin:{{SessionName}}",
                    &["system:masters"],
                ),
                entry(
                    &format!("arn:aws:iam::{a}:role/dev"),
                    "dev:{{SessionNameRaw}}",
                    &["devs", "acct-{{AccountID}}"],
                ),
            ],
            accounts: vec![],
            principals: vec![
                format!("arn:aws:iam::{a}:role/people/platform-admins"),
                format!("arn:aws:iam::{a}:role/dev"),
                format!("arn:aws:iam::{a}:role/other"),
            ],
        },
        Case {
            name: "live/path-stripped-and-case".into(),
            entries: vec![
                entry(
                    &format!("arn:aws:iam::{a}:role/Platform-Admins"),
                    "admin:{{SessionName}}",
                    &["platform:admins"],
                ),
                entry(&format!("arn:aws:iam::{a}:user/Bob"), "bob", &["ops"]),
                entry(
                    &format!("arn:aws:iam::{a}:user/carol"),
                    "carol-{{AccountID}}",
                    &[],
                ),
            ],
            accounts: vec![],
            principals: vec![
                format!("arn:aws:iam::{a}:role/people/platform-admins"),
                format!("arn:aws:iam::{a}:role/platform-admins"),
                format!("arn:aws:iam::{a}:user/bob"),
                format!("arn:aws:iam::{a}:user/carol"),
                format!("arn:aws:iam::{a}:user/dave"),
            ],
        },
        Case {
            name: "live/accounts-behind-mappings".into(),
            entries: vec![entry(&format!("arn:aws:iam::{a}:role/ci"), "ci", &["ci"])],
            accounts: vec![a.to_string()],
            principals: vec![format!("arn:aws:iam::{a}:role/ci")],
        },
    ]
}

fn judge_binary() -> PathBuf {
    let p = std::env::var("EKSFED_AUTHN_JUDGE").unwrap_or_else(|_| {
        panic!("EKSFED_AUTHN_JUDGE is not set: tests/run.sh builds tests/authn-judge and sets it")
    });
    assert!(
        Path::new(&p).is_file(),
        "EKSFED_AUTHN_JUDGE={p} is not a file"
    );
    PathBuf::from(p)
}

fn yaml_list(entries: &[&AwsAuthEntry]) -> String {
    serde_yaml::to_string(entries).unwrap()
}

#[test]
fn the_authenticator_maps_aws_auth_as_the_access_model_does() {
    let mut cases = rendered_cases();
    let rendered = cases.len();
    assert!(
        rendered >= 5,
        "only {rendered} rendered aws-auth ConfigMaps"
    );
    cases.extend(live_cases());
    let mut input = vec![];
    let mut expected = vec![];
    for c in &cases {
        let (users, roles): (Vec<&AwsAuthEntry>, Vec<&AwsAuthEntry>) =
            c.entries.iter().partition(|e| e.userarn.is_some());
        let mut identities = vec![];
        for p in &c.principals {
            let sessions: &[&str] = if p.contains(":role/") {
                &SESSIONS
            } else {
                &[""]
            };
            for s in sessions {
                identities.push(json!({ "arn": p, "session": s }));
                expected.push((c.name.clone(), p.clone(), aws_auth_user(&c.entries, p, s)));
            }
        }
        input.push(json!({
            "name": c.name,
            "data": {
                "mapRoles": yaml_list(&roles),
                "mapUsers": yaml_list(&users),
                "mapAccounts": serde_yaml::to_string(&c.accounts).unwrap(),
            },
            "identities": identities,
        }));
    }
    let mut child = Command::new(judge_binary())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &json!({ "cases": input })).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "authn-judge failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let judged: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(judged.len(), expected.len());
    let mut disagreements = vec![];
    let mut unnamed_entries = 0;
    for (j, (case, principal, model)) in judged.iter().zip(&expected) {
        let authenticator = j["mapped"].as_bool().unwrap().then(|| {
            let groups = j["groups"].as_array().unwrap();
            let groups = groups.iter().map(|g| g.as_str().unwrap().to_string());
            (
                j["username"].as_str().unwrap().to_string(),
                groups.collect::<Vec<_>>(),
            )
        });
        // One known difference, left open: an entry without a username. The authenticator
        // gives the empty username (its server renders the entry's "" as is); the model gives
        // the session ARN, EKS's documented default for access entries.
        let unnamed = model.as_ref().is_some_and(|(u, g)| {
            u.contains(":assumed-role/")
                && authenticator.as_ref() == Some(&(String::new(), g.clone()))
        });
        if unnamed {
            unnamed_entries += 1;
        } else if &authenticator != model {
            disagreements.push(format!(
                "{case}: {principal} as {}: authenticator {authenticator:?}, access model {model:?}",
                j["arn"]
            ));
        }
    }
    let mapped = judged.iter().filter(|j| j["mapped"] == true).count();
    println!(
        "authn judge: {} identities compared ({mapped} mapped, {unnamed_entries} by an entry without a username) over {} ConfigMaps ({rendered} rendered, {} live)",
        judged.len(),
        cases.len(),
        cases.len() - rendered
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert!(mapped > 0 && mapped < judged.len());
}
