//! The lints on data no one here wrote: the AWS managed policy documents moto ships
//! (`moto.iam.aws_managed_policies`, 1,500+ of them), each validated as a
//! `policy { document = file(...) }`. AWS writes them, IAM accepts them: IAM007 (duplicate
//! sid) and IAM008 (malformed action) never fire. IAM001 (Allow with action `*`) and IAM006
//! (Allow with NotAction/NotResource) fire exactly where the documents warrant, computed here
//! independently of the rules, in Python, from the documents themselves.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Facts,
    desired::compile::VarInputs,
};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Command;

struct MapReader(HashMap<String, String>);

impl FileReader for MapReader {
    fn read(&self, path: &str) -> Result<String, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| format!("no file {path}"))
    }
}

fn python() -> PathBuf {
    std::env::var("EKSFED_MOTO_SERVER")
        .map(|s| PathBuf::from(s).with_file_name("python"))
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

/// Per policy: its document and the expected (IAM001, IAM006) counts.
const EXTRACT: &str = r#"
import json
from moto.iam.aws_managed_policies import aws_managed_policies_data
out = {}
for name, p in json.loads(aws_managed_policies_data).items():
    doc = p["Document"]
    st = doc["Statement"]
    st = st if isinstance(st, list) else [st]
    iam001 = iam006 = 0
    for s in st:
        if s.get("Effect", "Allow") != "Allow":
            continue
        a = s.get("Action", [])
        a = a if isinstance(a, list) else [a]
        if "*" in a or "*:*" in a:
            iam001 += 1
        iam006 += ("NotAction" in s) + ("NotResource" in s)
    out[name] = {"document": json.dumps(doc), "iam001": iam001, "iam006": iam006}
print(json.dumps(out))
"#;

#[test]
fn aws_managed_policies_are_well_formed_and_flagged_exactly_where_they_warrant() {
    let py = python();
    let out = Command::new(&py)
        .args(["-c", EXTRACT])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): tests/run.sh installs moto's venv",
                py.display()
            )
        });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(data.len() > 1000, "{} policies", data.len());
    let mut files = HashMap::new();
    let mut text = String::from("stack \"aws\" {\n  account_id = \"111122223333\"\n}\n");
    let mut expected: BTreeMap<(String, &str), usize> = BTreeMap::new();
    let mut upper_case_prefixes = 0;
    for (i, (name, p)) in data.iter().enumerate() {
        let file = format!("p{i}.json");
        let doc = p["document"].as_str().unwrap();
        upper_case_prefixes += usize::from(doc.contains("\"S3:") || doc.contains("\"cloudTrail:"));
        files.insert(file.clone(), doc.to_string());
        text.push_str(&format!(
            "policy \"p{i}\" {{\n  name     = \"{name}\"\n  document = file(\"{file}\")\n}}\n"
        ));
        for code in ["IAM001", "IAM006"] {
            let n = p[code.to_lowercase()].as_u64().unwrap() as usize;
            if n > 0 {
                expected.insert((format!("policy.p{i}"), code), n);
            }
        }
    }
    // The data has what the rule must accept: service prefixes in upper or mixed case.
    assert!(upper_case_prefixes > 0);
    assert!(expected.keys().any(|k| k.1 == "IAM001"));
    assert!(expected.keys().any(|k| k.1 == "IAM006"));
    let c = compile(CompileInput {
        files: vec![("main.hcl".into(), text)],
        reader: &MapReader(files),
        vars: VarInputs::default(),
        facts: Facts::default(),
    });
    assert!(c.desired.is_some(), "{:?}", c.diagnostics);
    let mut found: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for d in c.diagnostics.iter() {
        let code = d.code.as_str();
        assert!(
            code != "IAM007" && code != "IAM008",
            "{code} on an AWS managed policy: {}",
            d.message
        );
        assert!(
            !code.starts_with('E'),
            "compile error on an AWS managed policy: {code} {}",
            d.message
        );
        for want in ["IAM001", "IAM006"] {
            if code == want {
                *found
                    .entry((d.address.clone().unwrap_or_default(), want))
                    .or_default() += 1;
            }
        }
    }
    assert_eq!(found, expected);
}

/// Every rule that looks for actions matches them as IAM does, ignoring case.
#[test]
fn action_rules_ignore_case() {
    let text = r#"
stack "s" {
  account_id = "111122223333"
}
policy "p" {
  name = "p"
  statement {
    actions   = ["IAM:PassRole", "S3:GetObject"]
    resources = ["*"]
  }
  statement {
    actions   = ["IAM:CREATEPOLICYVERSION"]
    resources = ["arn:aws:iam::111122223333:policy/x"]
  }
}
"#;
    let c = compile(CompileInput {
        files: vec![("main.hcl".into(), text.into())],
        reader: &MapReader(HashMap::new()),
        vars: VarInputs::default(),
        facts: Facts::default(),
    });
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"IAM003"), "{codes:?}");
    assert!(codes.contains(&"IAM004"), "{codes:?}");
    assert!(!codes.contains(&"IAM008"), "{codes:?}");
}
