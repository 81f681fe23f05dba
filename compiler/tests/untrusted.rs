//! Sensitive values (DSL.md "Plans of untrusted changes"): which parts of the desired state
//! derive from a sensitive variable, and the plan reports that hide them.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::plan::diff::{diff, DiffOptions};
use eksfed_compiler::plan::live::LiveState;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs, desired::sensitive, output::report,
};

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
}

const SECRET: &str = "ext-id-4471";

fn compile_with(text: &str, secret: &str) -> Compiled {
    let c = compile(CompileInput {
        files: vec![("main.hcl".into(), text.into())],
        reader: &NoFiles,
        vars: VarInputs {
            cli: vec![("token".into(), secret.into())],
            ..Default::default()
        },
        facts: Facts::default(),
    });
    assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
    c
}

const STACK: &str = r#"
stack "s" {
  account_id = "111122223333"
}
variable "token" {
  type      = string
  sensitive = true
}
locals {
  ids   = ["fixed", var.token]
  extra = { note = "about ${lower(var.token)}" }
}
role "r" {
  name        = "r"
  description = format("for %s", upper(var.token))
  tags        = merge({ team = "core" }, local.extra)
  trust_aws {
    principals = ["arn:aws:iam::444455556666:root"]
    conditions = { "sts:ExternalId" = local.ids }
  }
}
role "plain" {
  name        = "plain"
  description = "nothing secret"
  trust_aws {
    principals = ["arn:aws:iam::444455556666:root"]
  }
}
"#;

fn paths(c: &Compiled, address: &str) -> Vec<String> {
    c.sensitive.paths.get(address).cloned().unwrap_or_default()
}

/// Strings built from the value, lists and maps holding it, and documents whose field holds
/// it are sensitive, down to the field; nothing else is.
#[test]
fn sensitive_paths_follow_the_data() {
    let c = compile_with(STACK, SECRET);
    let p = paths(&c, "role.r");
    assert!(p.contains(&"description".to_string()), "{p:?}");
    assert!(p.contains(&"tags.note".to_string()), "{p:?}");
    assert!(
        p.iter().any(
            |x| x.starts_with("trust_policy.Statement[0].Condition.StringEquals")
                && x.contains("sts:ExternalId")
        ),
        "{p:?}"
    );
    assert!(
        !p.iter()
            .any(|x| x == "name" || x == "arn" || x == "tags.team"),
        "{p:?}"
    );
    assert!(
        paths(&c, "role.plain").is_empty(),
        "{:?}",
        c.sensitive.paths
    );
    // The value and what derives from it are the texts diagnostics hide.
    for s in [
        SECRET,
        "EXT-ID-4471",
        "for EXT-ID-4471",
        "about ext-id-4471",
    ] {
        assert!(
            c.sensitive.secrets.contains(&s.to_string()),
            "{s}: {:?}",
            c.sensitive.secrets
        );
    }
    assert!(!c.sensitive.secrets.contains(&"nothing secret".to_string()));
    // Without `sensitive = true` nothing is marked.
    let open = compile_with(&STACK.replace("sensitive = true", ""), SECRET);
    assert!(open.sensitive.paths.is_empty() && open.sensitive.secrets.is_empty());
}

/// A value the stack cannot evaluate with another value (a lookup key): eksfed cannot tell
/// what derives from it, so every value of every resource is sensitive.
#[test]
fn undecidable_taint_hides_everything() {
    let text = r#"
stack "s" {
  account_id = "111122223333"
}
variable "token" {
  type      = string
  sensitive = true
}
role "r" {
  name        = "r"
  description = lookup({ alpha = "first", beta = "second" }, var.token)
  trust_aws {
    principals = ["arn:aws:iam::444455556666:root"]
  }
}
"#;
    let c = compile_with(text, "beta");
    let p = paths(&c, "role.r");
    for f in ["name", "description", "arn", "trust_policy", "tags"] {
        assert!(p.contains(&f.to_string()), "{f}: {p:?}");
    }
}

/// Text and markdown plans show `(sensitive value)` for the marked paths; the JSON plan
/// keeps the value and lists the paths.
#[test]
fn plans_hide_the_values_and_json_keeps_them() {
    let c = compile_with(STACK, SECRET);
    let (mut plan, d) = diff(
        c.desired.as_ref().unwrap(),
        c.graph.as_ref().unwrap(),
        &LiveState::default(),
        &DiffOptions::default(),
    );
    assert!(!d.has_errors());
    sensitive::mark(&mut plan, &c.sensitive);
    let text = report::text(&plan, false);
    let md = report::markdown(&plan, None).unwrap();
    for (what, s) in [("text", &text), ("markdown", &md)] {
        assert!(!s.to_lowercase().contains("ext-id-4471"), "{what}:\n{s}");
        assert!(s.contains("(sensitive value)"), "{what}:\n{s}");
        assert!(s.contains("nothing secret"), "{what}:\n{s}");
        assert!(s.contains("\"team\": \"core\""), "{what}:\n{s}");
        assert!(s.contains("\"fixed\""), "{what}:\n{s}");
    }
    let json = report::json(&plan);
    let r = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "role.r")
        .unwrap();
    assert_eq!(r["after"]["description"], "for EXT-ID-4471");
    assert!(
        r["sensitive"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "description"),
        "{r}"
    );
    let plain = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "role.plain")
        .unwrap();
    assert_eq!(plain["sensitive"], serde_json::json!([]));
}

/// QUOTA005 cuts a too-long name to its first 40 characters: when the name derives from a
/// sensitive value, not even that beginning is shown (text and JSON diagnostics).
#[test]
fn a_cut_sensitive_name_shows_none_of_its_beginning() {
    let secret = "tok3n-b3ginning-that-must-not-show-0123456789-0123456789-0123456789";
    let stack = r#"
stack "s" {
  account_id = "111122223333"
}
variable "token" {
  type      = string
  sensitive = true
}
role "r" {
  name = "app-${var.token}"
  trust_aws {
    principals = ["arn:aws:iam::444455556666:root"]
  }
}
"#;
    let c = compile(CompileInput {
        files: vec![("main.hcl".into(), stack.into())],
        reader: &NoFiles,
        vars: VarInputs {
            cli: vec![("token".into(), secret.into())],
            ..Default::default()
        },
        facts: Facts::default(),
    });
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "QUOTA005")
        .expect("QUOTA005 for the 71-character name");
    let text = c.sources.render(d);
    let json = c.sources.to_json(d).to_string();
    for shown in [&text, &json] {
        assert!(
            !shown.contains("tok3n"),
            "shows the value's beginning:\n{shown}"
        );
        assert!(
            !shown.contains("b3ginning"),
            "shows the value's beginning:\n{shown}"
        );
        assert!(shown.contains("(sensitive value)"), "{shown}");
        assert!(shown.contains("is 71 characters; IAM allows 64"), "{shown}");
    }
}
