//! The security review, case by case: each folder under `compiler/tests/security_cases/` holds
//! `before.json` and `after.json` (lists of resources in the render shape; an address in only
//! one of them is a create or a delete) and `expected.txt`, the items the review must give, one
//! per line (`! ` broadens, `- ` narrows, then `kind: message`); an empty file means the
//! change leaves access as it was. `live.json`, when present, is a list of live objects
//! outside the stack. `applied.json`, when present, lists resources (render shape) as eksfed
//! applied them last time: their live objects (`before.json`) carry that apply's record, so
//! an item whose part of the configuration did not change since is drift (` (repairs drift)`
//! after the message).
#![allow(clippy::unwrap_used)]

use eksfed_compiler::plan::live::{LiveObject, LiveState};
use eksfed_compiler::plan::rendered::RenderedResource;
use eksfed_compiler::plan::{Action, Change, Plan};
use eksfed_compiler::review::security::{self, item::Effect};
use std::path::Path;

fn load(dir: &Path, name: &str) -> Vec<RenderedResource> {
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|_| "[]".into());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

pub fn plan_of(before: Vec<RenderedResource>, after: Vec<RenderedResource>) -> Plan {
    let mut changes = vec![];
    let mut addrs: Vec<String> = after.iter().map(|r| r.address.clone()).collect();
    for b in &before {
        if !addrs.contains(&b.address) {
            addrs.push(b.address.clone());
        }
    }
    for a in addrs {
        let b = before.iter().find(|r| r.address == a).cloned();
        let n = after.iter().find(|r| r.address == a).cloned();
        let action = match (&b, &n) {
            (None, _) => Action::Create,
            (_, None) => Action::Delete,
            (Some(x), Some(y)) if x == y => Action::NoOp,
            _ => Action::Update,
        };
        let kind = n
            .as_ref()
            .or(b.as_ref())
            .unwrap()
            .kind
            .type_name()
            .to_string();
        changes.push(Change {
            address: a,
            kind,
            action,
            reason: None,
            before: b,
            after: n,
            depends_on: vec![],
            keys: vec![],
            importing: None,
            sensitive: vec![],
            security: vec![],
        });
    }
    serde_json::from_value(serde_json::json!({
        "format_version": 1, "stack": "s", "account_id": "111122223333", "partition": "aws",
        "changes": changes,
    }))
    .unwrap()
}

fn lines(plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        for i in &c.security {
            let sym = if i.effect == Effect::Broadens {
                "!"
            } else {
                "-"
            };
            let kind = serde_json::to_value(i.kind).unwrap();
            out.push_str(&format!(
                "{sym} {}: {}{}\n",
                kind.as_str().unwrap(),
                i.message,
                if i.drift { security::show::DRIFT } else { "" }
            ));
        }
    }
    out
}

#[test]
fn every_case_gives_its_expected_items() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/security_cases");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut failures = vec![];
    for dir in cases {
        let mut plan = plan_of(load(&dir, "before.json"), load(&dir, "after.json"));
        let mut live_objects: Vec<LiveObject> = std::fs::read_to_string(dir.join("live.json"))
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or_default();
        for r in load(&dir, "applied.json") {
            let before = load(&dir, "before.json");
            let live = before.iter().find(|b| b.address == r.address).unwrap();
            let record = security::drift::record(&r.kind).unwrap();
            live_objects.push(LiveObject {
                key: eksfed_compiler::kinds::keys(&live.kind)[0].clone(),
                owner: Some("s".into()),
                piece: live.kind.clone(),
                fingerprint: String::new(),
                meta: [(security::drift::META_KEY.to_string(), record.into())].into(),
            });
        }
        let live = LiveState {
            account_id: "111122223333".into(),
            objects: live_objects,
        };
        security::review(&mut plan, &live);
        let got = lines(&plan);
        let path = dir.join("expected.txt");
        if std::env::var_os("EKSFED_UPDATE_SECURITY").is_some() && !path.exists() {
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                dir.display()
            ));
        }
        let broadens = plan
            .changes
            .iter()
            .filter(|c| c.security.iter().any(|i| i.effect == Effect::Broadens))
            .count();
        assert_eq!(plan.broadening, broadens);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
