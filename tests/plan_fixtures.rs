//! Plan fixtures: every folder under `tests/fixtures/plan/` is a case — a stack (`*.hcl`), the
//! live snapshot it is planned against (`live.json`, a serialised `LiveState`) and optionally
//! `options.json` (`{"targets": ["role.x"], "destroy": true}`). Each case is planned the way
//! `eksfed plan` plans (compile with the account as a fact, `diff`, sensitive marks, the
//! compile's findings in the plan) and its text, JSON and markdown plan — and the diff's
//! diagnostics, when there are any — are insta snapshots under `tests/fixtures/plan/snapshots/`.
//! Adding a case is adding a folder. Every failing folder is reported by name.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::plan::diff::{diff, DiffOptions};
use eksfed_compiler::plan::live::LiveState;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Facts,
    desired::compile::VarInputs, language::value::Address, output::report,
};
use std::path::{Path, PathBuf};

struct DirReader(PathBuf);
impl FileReader for DirReader {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plan")
}

fn cases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("snapshots"))
        .collect();
    dirs.sort();
    dirs
}

/// `options.json`: the diff options of a case (`targets`, `destroy`); absent means none.
fn options(dir: &Path) -> DiffOptions {
    let Ok(text) = std::fs::read_to_string(dir.join("options.json")) else {
        return DiffOptions::default();
    };
    let v: serde_json::Value = serde_json::from_str(&text).expect("options.json");
    for key in v.as_object().expect("options.json is an object").keys() {
        assert!(
            ["targets", "destroy"].contains(&key.as_str()),
            "options.json: unknown key {key}"
        );
    }
    DiffOptions {
        targets: v["targets"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| {
                        let t = t.as_str().expect("a target is a string");
                        Address::parse(t).unwrap_or_else(|| panic!("target {t}"))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        destroy: v["destroy"].as_bool().unwrap_or(false),
    }
}

/// The outputs of one case: (snapshot suffix, text).
fn plan_case(dir: &Path) -> Vec<(&'static str, String)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no *.hcl file");
    let files: Vec<(String, String)> = names
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    let live: LiveState =
        serde_json::from_str(&std::fs::read_to_string(dir.join("live.json")).unwrap())
            .expect("live.json is a LiveState");
    let compiled = compile(CompileInput {
        files,
        reader: &DirReader(dir.to_path_buf()),
        vars: VarInputs::default(),
        facts: Facts {
            account_id: Some(live.account_id.clone()),
            cluster_issuers: Default::default(),
        },
    });
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| compiled.sources.render(d))
        .collect();
    assert!(
        errors.is_empty(),
        "the stack has errors:\n{}",
        errors.concat()
    );
    let desired = compiled.desired.as_ref().unwrap();
    let graph = compiled.graph.as_ref().unwrap();
    let (mut plan, diags) = diff(desired, graph, &live, &options(dir));
    eksfed_compiler::desired::sensitive::mark(&mut plan, &compiled.sensitive);
    plan.diagnostics = compiled
        .diagnostics
        .iter()
        .map(|d| compiled.sources.to_json(d))
        .collect();
    let mut out = vec![];
    if !diags.is_empty() {
        let text: String = diags.iter().map(|d| compiled.sources.render(d)).collect();
        out.push(("diagnostics", text));
    }
    out.push(("text", report::text(&plan, false)));
    out.push((
        "json",
        serde_json::to_string_pretty(&report::json(&plan)).unwrap(),
    ));
    out.push(("markdown", report::markdown(&plan, None).unwrap()));
    out
}

#[test]
fn plan_fixtures() {
    let cases = cases();
    assert!(
        cases.len() >= 10,
        "expected the plan cases, found {}",
        cases.len()
    );
    let mut failed = vec![];
    for dir in cases {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let result = std::panic::catch_unwind(|| {
            let outputs = plan_case(&dir);
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(root().join("snapshots"));
            settings.set_prepend_module_to_snapshot(false);
            settings.set_description(format!("tests/fixtures/plan/{case}"));
            settings.bind(|| {
                for (what, text) in outputs {
                    insta::assert_snapshot!(format!("{case}.{what}"), text);
                }
            });
        });
        if result.is_err() {
            failed.push(case);
        }
    }
    assert!(failed.is_empty(), "plan fixtures failed: {failed:?}");
}
