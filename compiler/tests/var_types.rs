//! Typed variables (issue 25): the `type` of a `variable` is parsed once into a type, and
//! every value (default, `--var`, `--var-file`, `EKSFED_VAR_*`) is converted to it as
//! Terraform converts; what does not conform is E0303 naming the path inside the value, at
//! the part of the default (or of the type) it concerns; an invalid type is an error at it.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs, plan::render,
};
use serde_json::json;

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
}

/// A stack with one variable `x` declared by `decl` (the body of its block), whose value is
/// the role's description, as JSON.
fn stack(decl: &str) -> String {
    format!(
        r#"stack "s" {{ account_id = "111122223333" }}
variable "x" {{
{decl}
}}
role "r" {{
  name        = "r"
  description = jsonencode(var.x)
  trust_aws {{ principals = ["arn:aws:iam::111122223333:root"] }}
}}
"#
    )
}

fn run(text: &str, vars: VarInputs) -> Compiled {
    compile(CompileInput {
        files: vec![("main.hcl".into(), text.into())],
        reader: &NoFiles,
        vars,
        facts: Facts::default(),
    })
}

fn cli(name: &str, raw: &str) -> VarInputs {
    VarInputs {
        cli: vec![(name.into(), raw.into())],
        ..Default::default()
    }
}

fn tfvars(text: &str) -> VarInputs {
    VarInputs {
        files: vec![("vars.tfvars".into(), text.into())],
        ..Default::default()
    }
}

/// The value `var.x` takes.
fn value(decl: &str, vars: VarInputs) -> serde_json::Value {
    let text = stack(decl);
    let c = run(&text, vars);
    let errors: Vec<String> = c.diagnostics.iter().map(|d| c.sources.render(d)).collect();
    assert!(errors.is_empty(), "{decl}\n{}", errors.join("\n"));
    let r = serde_json::to_value(render::render(c.desired.as_ref().unwrap())).unwrap();
    serde_json::from_str(r["resources"][0]["description"].as_str().unwrap()).unwrap()
}

/// The one error (besides the references to `var.x`, which has no value when its value is
/// invalid): code, message, help, and the text its span starts at (to the end of that line)
/// with its line number.
struct Error {
    code: String,
    message: String,
    help: Option<String>,
    line: usize,
    at: String,
}

fn error(decl: &str, vars: VarInputs) -> Error {
    let text = stack(decl);
    let c = run(&text, vars);
    let errors: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !d.message.contains("undeclared variable `var.x`"))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "{decl}\n{}",
        errors
            .iter()
            .map(|d| c.sources.render(d))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let d = errors[0];
    let span = d.span.as_ref().expect("a position");
    let (_, line, _) = c.sources.locate(span).unwrap();
    let rest = &text[span.range.start..];
    Error {
        code: d.code.clone(),
        message: d.message.clone(),
        help: d.help.clone(),
        line,
        at: rest.lines().next().unwrap_or_default().to_string(),
    }
}

#[test]
fn primitive_types_convert_as_terraform_does() {
    // A number given as a string is a number; a number or bool is a string for `string`.
    assert_eq!(
        value("type = number\ndefault = \"5\"", VarInputs::default()),
        json!(5)
    );
    assert_eq!(value("type = number", cli("x", "5")), json!(5));
    assert_eq!(value("type = number", cli("x", "2.5")), json!(2.5));
    assert_eq!(
        value("type = string\ndefault = 5", VarInputs::default()),
        json!("5")
    );
    assert_eq!(value("type = string", cli("x", "[1]")), json!("[1]"));
    assert_eq!(
        value("type = bool\ndefault = \"true\"", VarInputs::default()),
        json!(true)
    );
    assert_eq!(value("type = bool", cli("x", "false")), json!(false));
    assert_eq!(
        value("type = string\ndefault = true", VarInputs::default()),
        json!("true")
    );
    // `any`, and no type at all, keep the value; a bare word is a string.
    assert_eq!(value("type = any", cli("x", "[1, \"a\"]")), json!([1, "a"]));
    assert_eq!(value("type = any", cli("x", "word")), json!("word"));
    assert_eq!(value("", cli("x", "{ a = 1 }")), json!({"a": 1}));
    // Null conforms to every type.
    assert_eq!(
        value("type = list(string)", tfvars("x = null")),
        json!(null)
    );
}

#[test]
fn collection_types_convert_their_elements() {
    assert_eq!(
        value("type = list(string)", cli("x", r#"["a", 1, true]"#)),
        json!(["a", "1", "true"])
    );
    assert_eq!(
        value(
            "type = list(number)\ndefault = [\"1\", 2]",
            VarInputs::default()
        ),
        json!([1, 2])
    );
    // A set has no repeats (and is ordered as `toset` orders).
    assert_eq!(
        value("type = set(string)", cli("x", r#"["b", "a", "b"]"#)),
        json!(["a", "b"])
    );
    assert_eq!(
        value("type = map(number)", tfvars(r#"x = { a = "1", b = 2 }"#)),
        json!({"a": 1, "b": 2})
    );
    assert_eq!(
        value(
            "type = map(list(string))\ndefault = { a = [1] }",
            VarInputs::default()
        ),
        json!({"a": ["1"]})
    );
    assert_eq!(
        value(
            "type = tuple([string, number, bool])",
            cli("x", r#"[1, "2", "true"]"#)
        ),
        json!(["1", 2, true])
    );
}

#[test]
fn objects_take_optional_attributes_with_and_without_defaults() {
    let decl = r#"type = object({
  name    = string
  port    = optional(number, 443)
  note    = optional(string)
  tags    = optional(map(string), {})
  backend = optional(object({ protocol = optional(string, "HTTPS") }), {})
})"#;
    assert_eq!(
        value(decl, cli("x", r#"{ name = "api" }"#)),
        json!({"name": "api", "port": 443, "note": null, "tags": {}, "backend": {"protocol": "HTTPS"}})
    );
    // A null attribute takes the default too; a given one is converted.
    assert_eq!(
        value(
            decl,
            tfvars(
                r#"x = { name = 1, port = "8080", note = null, backend = { protocol = null } }"#
            )
        ),
        json!({"name": "1", "port": 8080, "note": null, "tags": {}, "backend": {"protocol": "HTTPS"}})
    );
    // A list of objects, each with its defaults.
    assert_eq!(
        value(
            "type = list(object({ a = string, b = optional(bool, false) }))\ndefault = [{ a = \"x\" }, { a = \"y\", b = true }]",
            VarInputs::default()
        ),
        json!([{"a": "x", "b": false}, {"a": "y", "b": true}])
    );
}

const APPS: &str = r#"type = map(object({
  actions = list(string)
  region  = optional(string)
}))"#;

#[test]
fn a_nested_value_that_does_not_conform_is_named_by_its_path_at_the_default() {
    let decl =
        format!("{APPS}\ndefault = {{\n  api = {{ actions = [\"s3:GetObject\", [\"x\"]] }}\n}}");
    let e = error(&decl, VarInputs::default());
    assert_eq!(e.code, "E0303");
    assert_eq!(
        e.message,
        r#"var.x["api"].actions[1]: want string, got list (the value from default)"#
    );
    // At the element of the default.
    assert_eq!(e.line, 8);
    assert!(e.at.starts_with("[\"x\"]] }"), "{}", e.at);
}

#[test]
fn a_value_from_outside_the_stack_is_pointed_at_the_type_it_misses() {
    let e = error(APPS, tfvars(r#"x = { api = { actions = ["a", ["b"]] } }"#));
    assert_eq!(e.code, "E0303");
    assert_eq!(
        e.message,
        r#"var.x["api"].actions[1]: want string, got list (the value from --var-file vars.tfvars)"#
    );
    // At `string` in `actions = list(string)`.
    assert_eq!(e.line, 4);
    assert!(e.at.starts_with("string)"), "{}", e.at);

    let e = error(APPS, cli("x", r#"{ api = { region = "eu-west-1" } }"#));
    assert_eq!(
        e.message,
        r#"var.x["api"]: attribute `actions` is required (the value from --var)"#
    );
    assert!(e.at.starts_with("object({"), "{}", e.at);

    let e = error(
        APPS,
        cli("x", r#"{ api = { actions = [], regoin = "x" } }"#),
    );
    assert_eq!(
        e.message,
        "var.x[\"api\"].regoin: not an attribute of the object type; did you mean `region`? (the value from --var)"
    );

    let e = error("type = number", cli("x", "five"));
    assert_eq!(
        e.message,
        "var.x: want number, got a string that is not a number (the value from --var)"
    );
    assert_eq!(e.at, "number");

    let e = error("type = tuple([string, number])", cli("x", r#"["a"]"#));
    assert_eq!(
        e.message,
        "var.x: want a tuple of 2 element(s), got 1 (the value from --var)"
    );
    let e = error("type = map(string)", tfvars("x = [\"a\"]"));
    assert_eq!(
        e.message,
        "var.x: want map(string), got list (the value from --var-file vars.tfvars)"
    );
    let e = error("type = set(bool)", cli("x", r#"[true, "no"]"#));
    assert_eq!(
        e.message,
        "var.x[1]: want bool, got string (the value from --var)"
    );
    assert!(e.at.starts_with("bool)"), "{}", e.at);
}

#[test]
fn the_keys_of_a_sensitive_value_are_not_shown() {
    let decl = format!("{APPS}\nsensitive = true");
    let e = error(&decl, cli("x", r#"{ secret-key = { actions = [[]] } }"#));
    assert_eq!(
        e.message,
        "var.x[(sensitive value)].actions[0]: want string, got list (the value from --var)"
    );
}

#[test]
fn an_invalid_type_is_an_error_at_it() {
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        // (type, message, where, help)
        (
            "strng",
            "`strng` is not a type",
            "strng",
            Some("did you mean `string`?"),
        ),
        (
            "list",
            "the list type constructor requires one argument specifying the element type",
            "list",
            Some("write `list(string)`, or `list(any)`"),
        ),
        (
            "\"string\"",
            "a type is written without quotes",
            "\"string\"",
            Some("write `type = string`"),
        ),
        (
            "lst(string)",
            "`lst` is not a type constructor",
            "lst(string)",
            Some("did you mean `list`?"),
        ),
        (
            "list(string, number)",
            "the list type constructor takes one argument, got 2",
            "list(string, number)",
            None,
        ),
        (
            "list(strin)",
            "`strin` is not a type",
            "strin)",
            Some("did you mean `string`?"),
        ),
        (
            "object(string)",
            "the object type constructor takes an object of attribute types",
            "string)",
            Some("write `object({ name = string })`"),
        ),
        (
            "tuple(string)",
            "the tuple type constructor takes a list of element types",
            "string)",
            Some("write `tuple([string, number])`"),
        ),
        (
            "optional(string)",
            "`optional` is allowed only as the type of an attribute of `object({...})`",
            "optional(string)",
            Some("write `object({ name = optional(string) })`"),
        ),
        (
            "list(optional(string))",
            "`optional` is allowed only as the type of an attribute of `object({...})`",
            "optional(string))",
            Some("write `object({ name = optional(string) })`"),
        ),
        (
            "object({ a = optional(string, \"x\", 1) })",
            "optional takes a type and an optional default, got 3 argument(s)",
            "optional(string, \"x\", 1) })",
            Some("write `optional(string)` or `optional(string, \"default\")`"),
        ),
        (
            "string(1)",
            "`string` is a type, not a type constructor",
            "string(1)",
            Some("write `string`"),
        ),
        ("5", "not a type", "5", None),
    ];
    for (ty, message, at, help) in cases {
        let e = error(&format!("type = {ty}\ndefault = 1"), VarInputs::default());
        assert_eq!(e.code, "E0104", "{ty}");
        assert_eq!(e.message, *message, "{ty}");
        assert_eq!(e.line, 3, "{ty}");
        assert!(e.at.starts_with(at), "{ty}: at {:?}", e.at);
        if let Some(h) = help {
            assert_eq!(e.help.as_deref(), Some(*h), "{ty}");
        }
    }
}

#[test]
fn an_optional_default_must_have_the_attributes_type() {
    let e = error(
        "type = object({ ports = optional(list(number), [443, \"https\"]) })\ndefault = {}",
        VarInputs::default(),
    );
    assert_eq!(e.code, "E0303");
    assert_eq!(
        e.message,
        "the default of `ports`[1]: want number, got a string that is not a number"
    );
    assert!(e.at.starts_with("\"https\"]"), "{}", e.at);
}

#[test]
fn the_types_in_use_before_keep_their_behaviour() {
    assert_eq!(
        value("type = string\ndefault = \"prod\"", VarInputs::default()),
        json!("prod")
    );
    assert_eq!(
        value("type = list(string)", cli("x", r#"["a"]"#)),
        json!(["a"])
    );
    assert_eq!(
        value(
            "type = map(string)\ndefault = { team = \"a\" }",
            VarInputs::default()
        ),
        json!({"team": "a"})
    );
    assert_eq!(
        value(
            "type = object({ a = string })",
            tfvars(r#"x = { a = "b" }"#)
        ),
        json!({"a": "b"})
    );
    let env = VarInputs {
        env: vec![("x".into(), "7".into())],
        ..Default::default()
    };
    assert_eq!(value("type = number", env), json!(7));
    // A list from --var that does not parse is still E0303 at the variable (which then has
    // no value: E0301).
    let text = stack("type = list(string)");
    let c = run(&text, cli("x", "[a"));
    let d = c.diagnostics.iter().find(|d| d.code == "E0303").unwrap();
    assert!(
        d.message.starts_with("--var x: cannot parse"),
        "{}",
        d.message
    );
    let at = &text[d.span.as_ref().unwrap().range.start..];
    assert!(at.starts_with("variable \"x\" {"), "{at}");
}

#[test]
fn a_sensitive_default_is_not_shown_in_the_error() {
    let e = error(
        "type = list(number)\ndefault = [\"s3cr3t\"]\nsensitive = true",
        VarInputs::default(),
    );
    assert_eq!(
        e.message,
        "var.x[0]: want number, got a string that is not a number (the value from default)"
    );
    // At the type, not at the default's line.
    assert!(e.at.starts_with("number)"), "{}", e.at);
}
