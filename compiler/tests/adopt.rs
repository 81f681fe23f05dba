//! `existing = true` and `import` blocks in the diff and the reports (pure: live snapshots
//! built by hand). The same over the real test servers: `tests/cli_adopt.rs`.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::plan::diff::{diff, DiffOptions};
use eksfed_compiler::plan::live::{LiveObject, LiveState};
use eksfed_compiler::plan::render::{self};
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::plan::{Action, Plan};
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs, diag::Diagnostics, output::report,
};

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
}

const STACK: &str = r#"
stack "s" {
  account_id = "111122223333"
}
oidc_provider "github" {
  url      = "https://token.actions.githubusercontent.com"
  existing = true
}
role "api" {
  name        = "payments-api"
  description = "DESCRIPTION"
  trust_oidc {
    provider   = oidc_provider.github
    conditions = { "token.actions.githubusercontent.com:sub" = ["repo:acme/app:ref:refs/heads/main"] }
  }
}
"#;

const IMPORT: &str = "import {\n  to = role.api\n  id = \"payments-api\"\n}\n";

fn compiled(text: &str) -> Compiled {
    let c = compile(CompileInput {
        files: vec![("main.hcl".into(), text.into())],
        reader: &NoFiles,
        vars: VarInputs::default(),
        facts: Facts::default(),
    });
    assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
    c
}

/// The role as another tool made it (no mark, owner `owner`), with `description`, and the
/// GitHub provider (unmarked) when `provider`.
fn live(owner: Option<&str>, description: &str, provider: bool) -> LiveState {
    let c = compiled(&STACK.replace("DESCRIPTION", description));
    let r = render::render(c.desired.as_ref().unwrap());
    let mut objects = vec![];
    for res in &r.resources {
        let mut piece = res.kind.clone();
        if let RenderedKind::Role { tags, .. } = &mut piece {
            tags.shift_remove(eksfed_compiler::plan::rendered::STACK_TAG);
            if let Some(o) = owner {
                tags.insert(eksfed_compiler::plan::rendered::STACK_TAG.into(), o.into());
            }
        }
        objects.push(LiveObject {
            key: eksfed_compiler::kinds::keys(&piece)[0].clone(),
            owner: owner.map(String::from),
            piece,
            fingerprint: "f".into(),
            meta: Default::default(),
        });
    }
    if provider {
        let piece = RenderedKind::OidcProvider {
            arn: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
                .into(),
            url: "https://token.actions.githubusercontent.com".into(),
            client_ids: vec!["sts.amazonaws.com".into()],
            thumbprints: Some(vec!["6938fd4d98bab03faadb97b34396831e3780aea1".into()]),
            tags: Default::default(),
        };
        objects.push(LiveObject {
            key: eksfed_compiler::kinds::keys(&piece)[0].clone(),
            owner: None,
            piece,
            fingerprint: "p".into(),
            meta: Default::default(),
        });
    }
    LiveState {
        account_id: "111122223333".into(),
        objects,
    }
}

fn plan(text: &str, live: &LiveState) -> (Plan, Diagnostics) {
    let c = compiled(text);
    diff(
        c.desired.as_ref().unwrap(),
        c.graph.as_ref().unwrap(),
        live,
        &DiffOptions::default(),
    )
}

fn codes(d: &Diagnostics) -> Vec<String> {
    d.iter().map(|x| x.code.clone()).collect()
}

#[test]
fn an_import_of_a_matching_unmarked_object_is_a_no_op_import() {
    let stack = format!("{}{IMPORT}", STACK.replace("DESCRIPTION", "api"));
    let (p, d) = plan(&stack, &live(None, "api", true));
    assert!(!d.has_errors(), "{d:?}");
    let c = &p.changes[0];
    assert_eq!((c.address.as_str(), c.action), ("role.api", Action::NoOp));
    assert_eq!(c.importing.as_ref().unwrap().id, "payments-api");
    assert!(p.has_changes());
    assert_eq!(
        p.summary(),
        "Plan: 1 to import, 0 to add, 0 to change, 0 to replace, 0 to destroy."
    );
    let text = report::text(&p, false);
    assert!(text.contains("  # role.api will be imported\n"), "{text}");
    let json = report::json(&p);
    assert_eq!(json["changes"][0]["importing"]["id"], "payments-api");
    assert_eq!(json["changes"][0]["action"], "no-op");
    let md = report::markdown(&p, None).unwrap();
    assert!(md.contains("| import | imports `payments-api` |"), "{md}");
    // Only the role is a change: the existing provider never is.
    assert_eq!(p.changes.len(), 1);
}

#[test]
fn an_import_of_a_differing_object_is_an_update() {
    let stack = format!("{}{IMPORT}", STACK.replace("DESCRIPTION", "new"));
    let (p, d) = plan(&stack, &live(None, "old", true));
    assert!(!d.has_errors(), "{d:?}");
    let c = &p.changes[0];
    assert_eq!(c.action, Action::Update);
    assert!(c.importing.is_some());
    assert_eq!(
        p.summary(),
        "Plan: 1 to import, 0 to add, 1 to change, 0 to replace, 0 to destroy."
    );
    assert!(report::text(&p, false).contains("# role.api will be imported and updated in-place"));
}

#[test]
fn an_import_of_an_object_already_owned_does_nothing() {
    let stack = format!("{}{IMPORT}", STACK.replace("DESCRIPTION", "api"));
    let (p, d) = plan(&stack, &live(Some("s"), "api", true));
    assert!(!d.has_errors(), "{d:?}");
    assert!(p.changes[0].importing.is_none());
    assert!(!p.has_changes());
    assert_eq!(
        p.summary(),
        "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy."
    );
}

#[test]
fn an_import_of_a_foreign_or_missing_object_is_an_error_at_the_block() {
    let stack = format!("{}{IMPORT}", STACK.replace("DESCRIPTION", "api"));
    let line = stack.lines().position(|l| l.starts_with("import")).unwrap() + 1;
    let c = compiled(&stack);
    for (live, code) in [
        (live(Some("other"), "api", true), "E0706"),
        (
            LiveState {
                objects: live(None, "api", true)
                    .objects
                    .into_iter()
                    .filter(|o| !o.key.starts_with("iam:role:"))
                    .collect(),
                ..Default::default()
            },
            "E0705",
        ),
    ] {
        let (_, d) = diff(
            c.desired.as_ref().unwrap(),
            c.graph.as_ref().unwrap(),
            &live,
            &DiffOptions::default(),
        );
        assert_eq!(codes(&d), vec![code.to_string()], "{d:?}");
        let at = c
            .sources
            .locate(d.iter().next().unwrap().span.as_ref().unwrap());
        assert_eq!(at.map(|(_, l, _)| l), Some(line));
    }
}

#[test]
fn an_existing_object_is_never_a_change_and_missing_is_an_error_at_its_block() {
    let stack = STACK.replace("DESCRIPTION", "api");
    let (p, d) = plan(&stack, &live(Some("s"), "api", true));
    assert!(!d.has_errors(), "{d:?}");
    assert!(p.changes.iter().all(|c| c.kind != "oidc_provider"));
    assert!(p
        .read
        .contains_key("iam:oidc-provider:arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"));
    // Role trusts the existing provider by its ARN.
    let trust = serde_json::to_string(&p.changes[0].after.as_ref().unwrap().kind).unwrap();
    assert!(trust
        .contains("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"));
    let (_, d) = plan(&stack, &live(Some("s"), "api", false));
    assert_eq!(codes(&d), vec!["E0704".to_string()], "{d:?}");
    let c = compiled(&stack);
    let line = stack
        .lines()
        .position(|l| l.starts_with("oidc_provider"))
        .unwrap()
        + 1;
    let at = c
        .sources
        .locate(d.iter().next().unwrap().span.as_ref().unwrap());
    assert_eq!(at.map(|(_, l, _)| l), Some(line));
}
