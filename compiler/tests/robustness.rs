//! Robustness of the front end and the normaliser:
//! - property tests (proptest): the IAM document normaliser is idempotent and insensitive to
//!   statement order, list order, key order and one-element lists vs strings;
//! - a fuzz smoke run: every fixture and example, mutated thousands of times (seeded), goes
//!   through load/lower/eval/check without a panic — every failure must be a diagnostic.
//!   The long run is the cargo-fuzz target in `fuzz/` (see RELIABILITY.md).
#![allow(clippy::unwrap_used)]

use eksfed_compiler::iam::canonical;
use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Facts,
    desired::compile::VarInputs,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("s3:GetObject"),
        Just("s3:PutObject"),
        Just("sqs:SendMessage"),
        Just("iam:PassRole"),
        Just("ec2:*")
    ]
    .prop_map(String::from)
}

fn statement() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec(action(), 1..4),
        proptest::collection::vec("[a-z]{1,6}", 1..3),
        any::<bool>(),
        proptest::option::of("[A-Za-z]{1,5}"),
    )
        .prop_map(|(actions, res, allow, sid)| {
            let mut s = json!({
                "Effect": if allow { "Allow" } else { "Deny" },
                "Action": actions,
                "Resource": res.iter().map(|r| format!("arn:aws:s3:::{r}")).collect::<Vec<_>>(),
                "Condition": { "StringEquals": { "aws:PrincipalTag/team": ["a", "b"] } },
            });
            if let Some(sid) = sid {
                s["Sid"] = json!(sid);
            }
            s
        })
}

/// The same document as another client might write it.
fn rewrite(doc: &Value, seed: u64) -> Value {
    let mut st: Vec<Value> = doc["Statement"].as_array().unwrap().clone();
    if seed.is_multiple_of(2) {
        st.reverse();
    }
    let st: Vec<Value> = st
        .into_iter()
        .map(|s| {
            let mut o = serde_json::Map::new();
            let mut keys: Vec<String> = s.as_object().unwrap().keys().cloned().collect();
            keys.reverse();
            for k in keys {
                let mut v = s[&k].clone();
                if let Value::Array(a) = &mut v {
                    a.reverse();
                    if a.len() == 1 && seed.is_multiple_of(3) {
                        v = a[0].clone();
                    }
                }
                o.insert(k, v);
            }
            Value::Object(o)
        })
        .collect();
    json!({ "Statement": st, "Version": "2012-10-17" })
}

proptest! {
    #[test]
    fn canonical_is_idempotent(st in proptest::collection::vec(statement(), 1..5)) {
        let doc = json!({ "Version": "2012-10-17", "Statement": st });
        let c = canonical(&doc);
        prop_assert_eq!(canonical(&c), c);
    }

    #[test]
    fn canonical_ignores_how_a_document_is_written(st in proptest::collection::vec(statement(), 1..5), seed in any::<u64>()) {
        let doc = json!({ "Version": "2012-10-17", "Statement": st });
        prop_assert_eq!(canonical(&rewrite(&doc, seed)), canonical(&doc));
    }

    #[test]
    fn canonical_sees_a_real_change(st in proptest::collection::vec(statement(), 1..5)) {
        let doc = json!({ "Version": "2012-10-17", "Statement": st });
        let mut changed = doc.clone();
        changed["Statement"][0]["Action"] = json!(["iam:CreateAccessKey"]);
        let before: Vec<String> = eksfed_compiler::iam::statement::Statement::read(&doc["Statement"][0]).actions().to_vec();
        prop_assume!(before != vec!["iam:CreateAccessKey".to_string()]);
        prop_assert_ne!(canonical(&changed), canonical(&doc));
    }
}

struct DirReader(PathBuf);
impl FileReader for DirReader {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| e.to_string())
    }
}

/// xorshift64*: deterministic mutations without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "${",
    "%{",
    "=",
    ",",
    ".",
    "*",
    "\n",
    "each.key",
    "role.x",
    "var.",
    "local.",
    "for x in",
    ":",
    "=>",
    "?",
    "...",
    "<<EOF\n",
    "\\",
    "#",
    "0x",
    "1e999",
    "\u{0}",
    "é",
    "file(\"../../etc/passwd\")",
    "templatefile(\"x\", {})",
    "for_each = 5",
    "toset(",
    "jsondecode(\"{\")",
];

fn mutate(src: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let pos = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if !chars.is_empty() => {
                let end = (pos + rng.below(20)).min(chars.len());
                chars.drain(pos.min(end)..end);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                for (i, c) in t.chars().enumerate() {
                    chars.insert((pos + i).min(chars.len()), c);
                }
            }
            2 => chars.truncate(pos),
            _ => {
                // duplicate a slice (duplicate blocks, attributes)
                let end = (pos + rng.below(200)).min(chars.len());
                let slice: Vec<char> = chars[pos.min(end)..end].to_vec();
                for (i, c) in slice.into_iter().enumerate() {
                    chars.insert((end + i).min(chars.len()), c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn stacks() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = vec![];
    for base in ["tests/fixtures", "examples", "examples/migration"] {
        for e in std::fs::read_dir(root.join(base)).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir()
                && std::fs::read_dir(&p)
                    .unwrap()
                    .any(|f| f.unwrap().path().extension().is_some_and(|x| x == "hcl"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fuzz_smoke_no_panic_on_mutated_stacks() {
    let iterations: usize = std::env::var("EKSFED_FUZZ_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let stacks = stacks();
    let mut rng = Rng(0x5eed_e45f_ed00_0001);
    let mut with_errors = 0;
    for i in 0..iterations {
        let dir = &stacks[i % stacks.len()];
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        let k = rng.below(files.len());
        files[k].1 = mutate(&files[k].1, &mut rng);
        let input = files.clone();
        let reader = DirReader(dir.clone());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let c = compile(CompileInput {
                files: input,
                reader: &reader,
                vars: VarInputs::default(),
                facts: Facts::default(),
            });
            // every error has a message; rendering it must not panic either
            for d in c.diagnostics.iter() {
                assert!(!d.message.is_empty());
                let _ = c.sources.render(d);
                let _ = c.sources.to_json(d);
            }
            if let Some(d) = &c.desired {
                let _ = eksfed_compiler::plan::render::render(d);
            }
            c.diagnostics.has_errors()
        }));
        match result {
            Ok(errs) => with_errors += usize::from(errs),
            Err(_) => panic!(
                "panic on iteration {i} (stack {}); input:\n{}",
                dir.display(),
                files[k].1
            ),
        }
    }
    assert!(
        with_errors > iterations / 4,
        "the mutations should break most inputs ({with_errors}/{iterations})"
    );
}

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
}

fn compile_text(text: String) -> eksfed_compiler::desired::compile::Compiled {
    compile(CompileInput {
        files: vec![("main.hcl".into(), text)],
        reader: &NoFiles,
        vars: VarInputs::default(),
        facts: Facts::default(),
    })
}

/// A chain of 20,000 locals (`a_N = local.a_{N-1}`) compiles, and the last one holds the first
/// one's value. The dependency graph's cycle search recursed once per link and overflowed a
/// test thread's stack here (and the main thread's at 100,000); each local was also found by a
/// scan of every local, which made evaluation quadratic (BENCHMARKS.md has the times).
#[test]
fn a_long_chain_of_locals_compiles() {
    let n = 20_000;
    let mut text = String::from(
        "stack \"s\" {\n  account_id = \"111122223333\"\n}\nlocals {\n  a_0 = \"end-of-chain\"\n",
    );
    for i in 1..n {
        text.push_str(&format!("  a_{i} = local.a_{}\n", i - 1));
    }
    text.push_str(&format!(
        "}}\nrole \"r\" {{\n  name        = \"r\"\n  description = local.a_{}\n  trust_aws {{\n    principals = [\"arn:aws:iam::444455556666:root\"]\n  }}\n}}\n",
        n - 1
    ));
    let c = compile_text(text);
    assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
    let d = c.desired.unwrap();
    let r = d.resources.iter().find(|r| r.address.label == "r").unwrap();
    let shown = format!("{:?}", r.kind);
    assert!(shown.contains("end-of-chain"), "{shown}");
}

/// A file over the cap is E0002 at the file, is not parsed, and none of its text is kept (so no
/// diagnostic can show it).
#[test]
fn a_file_over_the_size_cap_is_refused_unread() {
    let mut text = String::from("locals {\n  secret = \"do-not-show-me\"\n");
    while text.len() <= eksfed_compiler::language::load::MAX_FILE_BYTES {
        text.push_str("  pad = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n");
    }
    text.push_str("}\n");
    let c = compile_text(text);
    let errors: Vec<_> = c
        .diagnostics
        .0
        .iter()
        .filter(|d| d.code == "E0002")
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "{:?}",
        c.diagnostics
            .0
            .iter()
            .map(|d| (&d.code, &d.message))
            .collect::<Vec<_>>()
    );
    assert!(
        errors[0].message.contains("16 MiB"),
        "{}",
        errors[0].message
    );
    let rendered = format!("{:?}", c.sources);
    assert!(!rendered.contains("do-not-show-me"));
    // Not parsed: no duplicate-local errors for the thousands of `pad` lines.
    assert!(!c.diagnostics.0.iter().any(|d| d.code == "E0105"));
}

fn value() -> impl Strategy<Value = eksfed_compiler::language::value::Value> {
    use eksfed_compiler::language::value::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![Just(0.0), Just(-0.0), Just(1.0), Just(2.5)].prop_map(Value::Number),
        "[ab]{0,2}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::List),
            proptest::collection::vec(("[xy]", inner), 0..3).prop_map(|kv| {
                // Insertion order varies between equal maps.
                Value::Map(kv.into_iter().collect())
            }),
        ]
    })
}

proptest! {
    /// `toset`/`distinct` hash values instead of comparing every pair: they keep exactly what
    /// the pairwise comparison (`Value`'s equality) keeps, in the same order.
    #[test]
    fn distinct_keeps_what_pairwise_equality_keeps(items in proptest::collection::vec(value(), 0..12)) {
        let mut pairwise: Vec<eksfed_compiler::language::value::Value> = vec![];
        for v in items.clone() {
            if !pairwise.contains(&v) {
                pairwise.push(v);
            }
        }
        prop_assert_eq!(eksfed_compiler::language::value::distinct(items), pairwise);
    }
}
