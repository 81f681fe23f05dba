//! The server over the protocol, in process: diagnostics, positions, hover, completion,
//! navigation, rename, formatting and symbols.

mod common;

use common::{find, stack, Client};
use serde_json::{json, Value};

const MAIN: &str = r#"stack "demo" {
  account_id = "123456789012"
}

variable "env" {
  default = "prod"
}

locals {
  prefix = "${var.env}-team"
}

cluster "prod" {
  name            = "prod"
  region          = "eu-west-1"
  oidc_issuer_url = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
}
"#;

const ROLES: &str = r#"role "app" {
  name        = "${local.prefix}-app"
  description = "Équipe 😀 ${local.prefix}"
  trust_service_account {
    cluster   = cluster.prod
    namespace = "apps"
    names     = ["app"]
  }
}

output "app_arn" {
  value = role.app.arn
}
"#;

fn demo(name: &str, encodings: Option<&[&str]>) -> Client {
    Client::start(
        stack(name, &[("main.hcl", MAIN), ("roles.hcl", ROLES)]),
        encodings,
    )
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn diagnostics_follow_edits_for_every_file_of_the_stack() {
    let mut c = demo("diags", None);
    let roles = c.open("roles.hcl");
    // main.hcl is not open: its diagnostics come from the disk, in the same round (in path
    // order: main.hcl first).
    let main = c.dir.join("main.hcl");
    assert_eq!(c.diagnostics(&main), Vec::<Value>::new());
    assert_eq!(c.diagnostics_at(&roles, Some(1)), Vec::<Value>::new());

    // A reference to an undeclared variable after non-ASCII text: an error at its range, in
    // UTF-16 code units (nothing offered).
    let broken = ROLES.replace("${local.prefix}\"\n  trust", "${var.team}\"\n  trust");
    c.change(&roles, 2, &broken);
    let d = c.diagnostics_at(&roles, Some(2));
    assert_eq!(codes(&d), ["E0201"], "{d:?}");
    assert_eq!(d[0]["severity"], 1);
    assert_eq!(d[0]["source"], "eksfed");
    assert!(
        d[0]["message"].as_str().unwrap_or("").contains("team"),
        "{d:?}"
    );
    let (line, character) = find(&broken, "var.team", 0, true);
    assert_eq!(
        d[0]["range"]["start"],
        json!({ "line": line, "character": character })
    );
    let (_, end) = find(&broken, "var.team", 8, true);
    assert_eq!(d[0]["range"]["end"]["character"], end, "{d:?}");
    c.change(&roles, 3, ROLES);
    assert_eq!(c.diagnostics_at(&roles, Some(3)), Vec::<Value>::new());

    // An edit of main.hcl (open, unsaved) that breaks roles.hcl: published for both, in
    // path order (main.hcl first), and cleared again when undone.
    let main = c.open("main.hcl");
    let no_local = MAIN.replace("  prefix = \"${var.env}-team\"\n", "");
    c.change(&main, 2, &no_local);
    assert_eq!(c.diagnostics_at(&main, Some(2)), Vec::<Value>::new());
    let d = c.diagnostics_at(&roles, Some(3));
    assert_eq!(codes(&d), ["E0201", "E0201"], "{d:?}");
    c.change(&main, 3, MAIN);
    assert_eq!(c.diagnostics_at(&main, Some(3)), Vec::<Value>::new());
    assert_eq!(c.diagnostics_at(&roles, Some(3)), Vec::<Value>::new());
}

#[test]
fn syntax_errors_and_warnings_carry_their_codes_and_severities() {
    let mut c = demo("syntax", Some(&["utf-8"]));
    let roles = c.open("roles.hcl");
    let _ = c.diagnostics(&roles);
    c.change(&roles, 2, "role \"app\" {\n");
    let d = c.diagnostics(&roles);
    assert_eq!(codes(&d), ["E0001"], "{d:?}");
    assert_eq!(d[0]["severity"], 1);
}

#[test]
fn position_encoding_is_utf8_when_offered_else_utf16() {
    let c16 = demo("enc16", None);
    assert_eq!(c16.init["capabilities"]["positionEncoding"], "utf-16");
    let c8 = demo("enc8", Some(&["utf-16", "utf-8"]));
    assert_eq!(c8.init["capabilities"]["positionEncoding"], "utf-8");
    drop(c16);

    // Hover on `local.prefix` after "Équipe 😀": the same place in both encodings.
    let mut c8 = c8;
    let roles = c8.open("roles.hcl");
    let (l, ch8) = find(ROLES, "local.prefix}\"\n  trust", 7, false);
    let h = c8.at("textDocument/hover", &roles, l, ch8, json!({}));
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("\"prod-team\""),
        "{h}"
    );
    let (_, start8) = find(ROLES, "local.prefix}\"\n  trust", 0, false);
    assert_eq!(h["range"]["start"]["character"], start8);
    drop(c8);

    let mut c16 = demo("enc16b", None);
    let roles = c16.open("roles.hcl");
    let (l, ch16) = find(ROLES, "local.prefix}\"\n  trust", 7, true);
    assert_ne!(ch16, ch8, "the line has characters of different widths");
    let h = c16.at("textDocument/hover", &roles, l, ch16, json!({}));
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("\"prod-team\""),
        "{h}"
    );
    let (_, start16) = find(ROLES, "local.prefix}\"\n  trust", 0, true);
    assert_eq!(h["range"]["start"]["character"], start16);
}

fn hover_text(c: &mut Client, file: &str, text: &str, needle: &str, skip: usize) -> String {
    let path = c.dir.join(file);
    let (l, ch) = find(text, needle, skip, true);
    let h = c.at("textDocument/hover", &path, l, ch, json!({}));
    h["contents"]["value"].as_str().unwrap_or("").to_string()
}

#[test]
fn hover_shows_schema_docs_values_and_signatures() {
    let mut c = demo("hover", None);
    c.open("roles.hcl");
    let block = hover_text(&mut c, "roles.hcl", ROLES, "trust_service_account", 2);
    assert!(block.starts_with("**trust_service_account**"), "{block}");
    let attr = hover_text(&mut c, "roles.hcl", ROLES, "namespace", 1);
    assert!(
        attr.contains("**namespace**") && attr.contains("a string"),
        "{attr}"
    );
    let role = hover_text(&mut c, "roles.hcl", ROLES, "role.app.arn", 6);
    assert!(
        role.contains("arn:aws:iam::123456789012:role/prod-team-app"),
        "{role}"
    );
    let var = hover_text(&mut c, "main.hcl", MAIN, "var.env", 5);
    assert!(var.contains("\"prod\""), "{var}");

    let with_call = ROLES.replace("\"${local.prefix}-app\"", "upper(local.prefix)");
    let roles = c.dir.join("roles.hcl");
    c.change(&roles, 2, &with_call);
    let f = hover_text(&mut c, "roles.hcl", &with_call, "upper", 1);
    assert!(f.starts_with("`upper(arg1)`"), "{f}");
}

fn labels(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|i| i["label"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn completion_offers_blocks_attributes_names_and_functions() {
    let mut c = demo("complete", None);
    let roles = c.open("roles.hcl");
    // Top level: block types.
    let text = format!("{ROLES}\n");
    c.change(&roles, 2, &text);
    let lines = text.lines().count() as u32;
    let top = labels(&c.at("textDocument/completion", &roles, lines, 0, json!({})));
    for b in ["role", "policy", "variable", "locals", "module", "cluster"] {
        assert!(top.contains(&b.to_string()), "{b} in {top:?}");
    }
    // Inside a role: its attributes and nested blocks, not the top level's.
    let (l, _) = find(ROLES, "  name        =", 0, true);
    let inside = labels(&c.at("textDocument/completion", &roles, l, 2, json!({})));
    assert!(
        inside.contains(&"description".to_string())
            && inside.contains(&"trust_service_account".to_string()),
        "{inside:?}"
    );
    assert!(!inside.contains(&"cluster".to_string()) || inside.contains(&"name".to_string()));
    assert!(!inside.contains(&"stack".to_string()), "{inside:?}");

    // After `role.` and `var.` and `local.`, while the text does not parse.
    for (typed, want) in [
        ("role.", "app"),
        ("var.", "env"),
        ("local.", "prefix"),
        ("cluster.", "prod"),
    ] {
        let text = ROLES.replace("role.app.arn", typed);
        c.change(&roles, 3, &text);
        let (l, ch) = find(&text, &format!("value = {typed}"), 8 + typed.len(), true);
        let got = labels(&c.at("textDocument/completion", &roles, l, ch, json!({})));
        assert_eq!(got, [want], "after {typed}");
    }
    // In an expression: functions.
    let text = ROLES.replace("role.app.arn", "up");
    c.change(&roles, 4, &text);
    let (l, ch) = find(&text, "value = up", 10, true);
    let exprs = labels(&c.at("textDocument/completion", &roles, l, ch, json!({})));
    assert!(
        exprs.contains(&"upper".to_string()) && exprs.contains(&"jsonencode".to_string()),
        "{exprs:?}"
    );
}

fn locations(v: &Value) -> Vec<(String, u32, u32)> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let file = l["uri"]
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            let s = &l["range"]["start"];
            (
                file,
                s["line"].as_u64().unwrap_or(0) as u32,
                s["character"].as_u64().unwrap_or(0) as u32,
            )
        })
        .collect()
}

#[test]
fn definition_and_references_cross_files() {
    let mut c = demo("nav", None);
    let roles = c.open("roles.hcl");
    let (l, ch) = find(ROLES, "local.prefix", 8, true);
    let def = locations(&c.at("textDocument/definition", &roles, l, ch, json!({})));
    let (dl, dc) = find(MAIN, "prefix =", 0, true);
    assert_eq!(def, [("main.hcl".to_string(), dl, dc)]);

    let (l, ch) = find(ROLES, "role.app.arn", 6, true);
    let def = locations(&c.at("textDocument/definition", &roles, l, ch, json!({})));
    assert_eq!(def, [("roles.hcl".to_string(), 0, 6)]);

    let main = c.dir.join("main.hcl");
    let (dl, dc) = find(MAIN, "prefix =", 0, true);
    let refs = locations(&c.at(
        "textDocument/references",
        &main,
        dl,
        dc,
        json!({ "context": { "includeDeclaration": true } }),
    ));
    assert_eq!(refs.len(), 3, "{refs:?}");
    assert_eq!(refs[0], ("main.hcl".to_string(), dl, dc));
    assert!(refs[1..].iter().all(|r| r.0 == "roles.hcl"), "{refs:?}");
    let refs = locations(&c.at(
        "textDocument/references",
        &main,
        dl,
        dc,
        json!({ "context": { "includeDeclaration": false } }),
    ));
    assert_eq!(refs.len(), 2);
}

#[test]
fn rename_edits_every_file_and_refuses_bad_names() {
    let mut c = demo("rename", None);
    let roles = c.open("roles.hcl");
    let (l, ch) = find(ROLES, "local.prefix", 7, true);
    let edit = c.at(
        "textDocument/rename",
        &roles,
        l,
        ch,
        json!({ "newName": "team_prefix" }),
    );
    let changes = edit["changes"].as_object().expect("changes");
    assert_eq!(changes.len(), 2, "{edit}");
    let total: usize = changes
        .values()
        .map(|e| e.as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(total, 3);
    let main_edits = changes
        .iter()
        .find(|(k, _)| k.ends_with("/main.hcl"))
        .map(|(_, v)| v)
        .expect("main.hcl");
    let (dl, dc) = find(MAIN, "prefix =", 0, true);
    assert_eq!(
        main_edits[0]["range"]["start"],
        json!({ "line": dl, "character": dc })
    );
    assert_eq!(
        main_edits[0]["range"]["end"],
        json!({ "line": dl, "character": dc + 6 })
    );
    assert_eq!(main_edits[0]["newText"], "team_prefix");

    let prep = c.at("textDocument/prepareRename", &roles, l, ch, json!({}));
    assert_eq!(prep["placeholder"], "prefix");

    let bad = c.at(
        "textDocument/rename",
        &roles,
        l,
        ch,
        json!({ "newName": "2x" }),
    );
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("not an identifier"),
        "{bad}"
    );
    let clash = ROLES.replace(
        "output \"app_arn\"",
        "locals {\n  other = 1\n}\n\noutput \"app_arn\"",
    );
    c.change(&roles, 2, &clash);
    let bad = c.at(
        "textDocument/rename",
        &roles,
        l,
        ch,
        json!({ "newName": "other" }),
    );
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("already declared"),
        "{bad}"
    );

    // A resource label, from its declaration.
    let edit = c.at(
        "textDocument/rename",
        &roles,
        0,
        7,
        json!({ "newName": "web" }),
    );
    let edits = edit["changes"]
        .as_object()
        .expect("changes")
        .values()
        .next()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edits.as_array().map_or(0, Vec::len), 2, "{edit}");
}

#[test]
fn formatting_and_document_symbols() {
    let mut c = demo("fmt", None);
    let roles = c.open("roles.hcl");
    let messy = ROLES.replace("  name        = ", "  name = ");
    c.change(&roles, 2, &messy);
    let edits = c.request("textDocument/formatting", json!({ "textDocument": { "uri": common::uri(&roles) }, "options": { "tabSize": 2, "insertSpaces": true } }));
    let edits = edits.as_array().cloned().unwrap_or_default();
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0]["newText"],
        eksfed_compiler::language::fmt::format(&messy)
    );
    assert_ne!(edits[0]["newText"], messy.as_str());
    c.change(&roles, 3, ROLES);
    let none = c.request("textDocument/formatting", json!({ "textDocument": { "uri": common::uri(&roles) }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(none, json!([]));

    let syms = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": common::uri(&roles) } }),
    );
    let names: Vec<&str> = syms
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["role \"app\"", "output \"app_arn\""]);
    assert_eq!(syms[0]["children"][0]["name"], "trust_service_account");
}

const CALLER: &str = r#"stack "mods" {
  account_id = "123456789012"
}

cluster "prod" {
  name            = "prod"
  region          = "eu-west-1"
  oidc_issuer_url = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
}

module "web" {
  source  = "./app"
  name    = "web"
  cluster = cluster.prod
}

output "web_role" {
  value = module.web.role_name
}
"#;

const MODULE: &str = r#"variable "name" {}
variable "cluster" {}

role "r" {
  name = "${var.name}-${var.missing}"
  trust_service_account {
    cluster   = var.cluster
    namespace = "web"
    names     = ["web"]
  }
}

output "role_name" {
  value = role.r.name
}
"#;

#[test]
fn module_errors_point_into_the_module_with_the_call_as_related_information() {
    let dir = stack("module", &[("main.hcl", CALLER), ("app/main.hcl", MODULE)]);
    let mut c = Client::start(dir, None);
    let main = c.open("main.hcl");
    let module_file = c.dir.join("app/main.hcl");
    let d = c.diagnostics(&module_file);
    assert_eq!(codes(&d), ["E0201"], "{d:?}");
    let (line, character) = find(MODULE, "var.missing", 0, true);
    assert_eq!(
        d[0]["range"]["start"],
        json!({ "line": line, "character": character })
    );
    let related = &d[0]["relatedInformation"][0];
    assert!(
        related["message"]
            .as_str()
            .unwrap_or("")
            .contains("module.web"),
        "{d:?}"
    );
    assert_eq!(related["location"]["uri"], common::uri(&main));
    let (cl, _) = find(CALLER, "module \"web\"", 0, true);
    assert_eq!(related["location"]["range"]["start"]["line"], cl, "{d:?}");

    // Fixed in the module's (unsaved) buffer: cleared, and the module's output evaluates.
    let fixed_module = c.open("app/main.hcl");
    c.change(&fixed_module, 2, &MODULE.replace("-${var.missing}", ""));
    assert_eq!(
        c.diagnostics_at(&fixed_module, Some(2)),
        Vec::<Value>::new()
    );
    let (l, ch) = find(CALLER, "module.web.role_name", 8, true);
    let h = c.at("textDocument/hover", &main, l, ch, json!({}));
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("\"web\""),
        "{h}"
    );
}
