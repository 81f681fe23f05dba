//! What Terraform and eksctl users write (DSL.md): `dynamic` blocks, the Terraform functions
//! (cases per function, errors included) and the well-known add-on policies.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::language::eval::{Env, ResourceTable};
use eksfed_compiler::language::value::Value;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs, plan::render,
};
use indexmap::IndexMap;
use serde_json::json;
use std::path::{Path, PathBuf};

struct DirReader(PathBuf);
impl FileReader for DirReader {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn compile_text(text: &str) -> Compiled {
    compile(CompileInput {
        files: vec![("main.hcl".into(), text.into())],
        reader: &DirReader(PathBuf::from(".")),
        vars: VarInputs::default(),
        facts: Facts::default(),
    })
}

fn rendered(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("main.hcl")).unwrap();
    let c = compile_text(&text);
    let errors: Vec<String> = c.diagnostics.iter().map(|d| c.sources.render(d)).collect();
    assert!(
        errors.is_empty(),
        "{}: {}",
        dir.display(),
        errors.join("\n")
    );
    serde_json::to_value(render::render(c.desired.as_ref().unwrap())).unwrap()
}

#[test]
fn dynamic_renders_exactly_like_the_written_out_stack() {
    let dynamic = rendered(&fixture("lang_dynamic"));
    let written = rendered(&fixture("lang_dynamic_written_out"));
    assert_eq!(dynamic, written);
    // Not vacuous: the expansion produced the statements, trusts and inline policies.
    let text = dynamic.to_string();
    for needle in [
        "ReadREPORTS",
        "ReadEXPORTS",
        "aws:PrincipalTag/team",
        "queue-jobs",
        "queue-retries",
        "id/STAGING:sub",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
}

#[test]
fn dynamic_diagnostics_point_into_content() {
    let c = compile_text(
        r#"stack "s" {
  account_id = "111122223333"
}
policy "p" {
  dynamic "statement" {
    for_each = ["a"]
    content {
      actions   = ["s3:GetObject"]
      resources = [statement.value]
    }
  }
}
"#,
    );
    // IAM009 on "a": the span is the element in `content`, line 9.
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "IAM009")
        .expect("IAM009");
    let (file, line, col) = c.sources.locate(d.span.as_ref().unwrap()).unwrap();
    assert_eq!((file, line, col), ("main.hcl", 9, 20));
}

#[test]
fn dynamic_for_each_must_be_a_collection_and_single_blocks_stay_single() {
    let c = compile_text(
        r#"stack "s" {
  account_id = "111122223333"
}
role "r" {
  trust_aws { principals = ["arn:aws:iam::111122223333:root"] }
  dynamic "trust_aws" {
    for_each = 3
    content { principals = ["x"] }
  }
}
"#,
    );
    let msgs: Vec<String> = c.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("must be a list, set or map, not number")),
        "{msgs:?}"
    );
    let c = compile_text(
        r#"stack "s" {
  account_id = "111122223333"
}
policy "p" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
  lifecycle { prevent_destroy = true }
  dynamic "lifecycle" {
    for_each = [true]
    content { prevent_destroy = lifecycle.value }
  }
}
"#,
    );
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "E0105")
        .expect("a second lifecycle is a duplicate");
    assert!(d.message.contains("only one `lifecycle`"), "{}", d.message);
    assert_eq!(c.sources.locate(d.span.as_ref().unwrap()).unwrap().1, 11);
}

// --- functions ---------------------------------------------------------------------------

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
}

fn eval(expr: &str) -> Result<serde_json::Value, String> {
    let e: hcl_edit::expr::Expression = expr.parse().unwrap();
    let vars = IndexMap::new();
    let mut locals = IndexMap::new();
    locals.insert(
        "obj".to_string(),
        Value::Map(IndexMap::from([(
            "a".to_string(),
            Value::String("x".into()),
        )])),
    );
    locals.insert("nothing".to_string(), Value::Null);
    let resources = ResourceTable::new();
    let mut env = Env::new(&vars, &locals, &resources, &["role"], &NoFiles, "aws");
    env.eval(&e).map(|v| v.to_json()).map_err(|e| e.message)
}

/// (expression, Ok(expected JSON) or Err(part of the message)).
type Case = (&'static str, Result<serde_json::Value, &'static str>);

fn cases() -> Vec<Case> {
    [
        collection_cases(),
        string_cases(),
        encoding_and_number_cases(),
    ]
    .concat()
}

/// try, can, coalesce and the functions over lists.
fn collection_cases() -> Vec<Case> {
    vec![
        // try / can: the first that succeeds; static errors (undeclared names) are not caught
        (r#"try(local.obj.b, "fallback")"#, Ok(json!("fallback"))),
        (r#"try(local.obj.a, "fallback")"#, Ok(json!("x"))),
        (
            r#"try(local.obj.b, local.obj.c)"#,
            Err("no expression succeeded"),
        ),
        (
            r#"try(local.undeclared, "x")"#,
            Err("undeclared local value"),
        ),
        ("try()", Err("at least one argument")),
        ("can(local.obj.b)", Ok(json!(false))),
        ("can(local.obj.a)", Ok(json!(true))),
        (r#"can(nosuchfn("a"))"#, Err("unknown function")),
        // coalesce: first non-null, non-empty string
        (r#"coalesce(null, "", "b", "c")"#, Ok(json!("b"))),
        ("coalesce(null, 1)", Ok(json!(1))),
        (
            r#"coalesce(null, "")"#,
            Err("no non-null, non-empty-string arguments"),
        ),
        // compact
        (
            r#"compact(["a", "", null, "b", 1])"#,
            Ok(json!(["a", "b", "1"])),
        ),
        ("compact(null)", Err("must not be null")),
        (r#"compact([["a"]])"#, Err("string required")),
        // element wraps around
        (r#"element(["a", "b", "c"], 4)"#, Ok(json!("b"))),
        (r#"element([], 0)"#, Err("empty list")),
        (r#"element(["a"], -1)"#, Err("negative index")),
        (r#"element(["a"], 1.5)"#, Err("whole number")),
        // index
        (r#"index(["a", "b"], "b")"#, Ok(json!(1))),
        (r#"index(["a", "b"], "z")"#, Err("item not found")),
        // zipmap
        (r#"zipmap(["a", "b"], [1, 2])"#, Ok(json!({"a": 1, "b": 2}))),
        (
            r#"zipmap(["a"], [1, 2])"#,
            Err("number of keys (1) does not match number of values (2)"),
        ),
        // setproduct
        (
            r#"setproduct(["a", "b"], ["x", "y"])"#,
            Ok(json!([["a", "x"], ["a", "y"], ["b", "x"], ["b", "y"]])),
        ),
        (r#"setproduct(["a"], [])"#, Ok(json!([]))),
        (r#"setproduct(["a"])"#, Err("at least two arguments")),
        // range
        ("range(3)", Ok(json!([0, 1, 2]))),
        ("range(1, 4)", Ok(json!([1, 2, 3]))),
        ("range(4, 1)", Ok(json!([4, 3, 2]))),
        ("range(0, 10, 4)", Ok(json!([0, 4, 8]))),
        ("range(5, 1, 1)", Ok(json!([]))),
        ("range(1, 2, 0)", Err("step must not be zero")),
        ("range(2000)", Err("more than 1024 values")),
        ("range()", Err("one, two, or three arguments")),
        // slice
        (
            r#"slice(["a", "b", "c", "d"], 1, 3)"#,
            Ok(json!(["b", "c"])),
        ),
        (r#"slice(["a"], 0, 2)"#, Err("greater than the length")),
        (
            r#"slice(["a", "b"], 2, 1)"#,
            Err("start index must not be greater than end index"),
        ),
        (r#"slice(["a"], -1, 1)"#, Err("less than zero")),
        // formatlist
        (
            r#"formatlist("%s-%s", ["a", "b"], "x")"#,
            Ok(json!(["a-x", "b-x"])),
        ),
        (r#"formatlist("%s", "only")"#, Ok(json!(["only"]))),
        (
            r#"formatlist("%s%s", ["a"], ["b", "c"])"#,
            Err("inconsistent"),
        ),
    ]
}

/// The functions over strings and regular expressions.
fn string_cases() -> Vec<Case> {
    vec![
        // trimprefix / trimsuffix remove once
        (r#"trimprefix("arn:arn:x", "arn:")"#, Ok(json!("arn:x"))),
        (r#"trimprefix("abc", "z")"#, Ok(json!("abc"))),
        (r#"trimsuffix("a.json.json", ".json")"#, Ok(json!("a.json"))),
        ("trimsuffix(null, \"x\")", Err("must not be null")),
        // startswith / endswith
        (r#"startswith("arn:aws:s3", "arn:")"#, Ok(json!(true))),
        (r#"startswith("x", "arn:")"#, Ok(json!(false))),
        (r#"endswith("a.json", ".json")"#, Ok(json!(true))),
        (r#"endswith(["a"], "a")"#, Err("string required")),
        // regex / regexall
        (r#"regex("[0-9]+", "id-123-456")"#, Ok(json!("123"))),
        (
            r#"regex("^arn:(?P<partition>[^:]+):(?P<service>[^:]+)", "arn:aws:iam::1:role/x")"#,
            Ok(json!({"partition": "aws", "service": "iam"})),
        ),
        (
            r#"regex("(\\d+)-(\\d+)", "a 12-34")"#,
            Ok(json!(["12", "34"])),
        ),
        (r#"regex("z", "abc")"#, Err("did not match")),
        (r#"regex("(", "abc")"#, Err("invalid regular expression")),
        (r#"regex("(?P<a>x)(y)", "xy")"#, Err("can't mix")),
        (r#"regexall("[0-9]", "a1b2")"#, Ok(json!(["1", "2"]))),
        (r#"regexall("z", "abc")"#, Ok(json!([]))),
        // substr
        (r#"substr("hello world", 1, 4)"#, Ok(json!("ello"))),
        (r#"substr("hello", -3, -1)"#, Ok(json!("llo"))),
        (r#"substr("héllo", 1, 2)"#, Ok(json!("él"))),
        (r#"substr("hi", 5, 1)"#, Ok(json!(""))),
        (r#"substr("hi", -5, 1)"#, Err("before the start")),
    ]
}

/// YAML, base64, hashes, numbers, and did-you-mean.
fn encoding_and_number_cases() -> Vec<Case> {
    vec![
        // yamldecode / yamlencode
        (
            r#"yamldecode("a: 1\nb: [x, y]\n")"#,
            Ok(json!({"a": 1, "b": ["x", "y"]})),
        ),
        (r#"yamldecode("")"#, Ok(json!(null))),
        (r#"yamldecode("a: [")"#, Err("invalid YAML")),
        (
            r#"yamlencode({b = "x", a = [1, 2], c = {d = true}})"#,
            Ok(json!(
                "\"a\":\n- 1\n- 2\n\"b\": \"x\"\n\"c\":\n  \"d\": true\n"
            )),
        ),
        (
            r#"yamlencode([{a = 1, b = 2}])"#,
            Ok(json!("- \"a\": 1\n  \"b\": 2\n")),
        ),
        ("yamlencode()", Err("takes 1 argument")),
        // base64
        (
            r#"base64encode("Hello World")"#,
            Ok(json!("SGVsbG8gV29ybGQ=")),
        ),
        (
            r#"base64decode("SGVsbG8gV29ybGQ=")"#,
            Ok(json!("Hello World")),
        ),
        (
            r#"base64decode("not base64!")"#,
            Err("failed to decode base64"),
        ),
        (r#"base64decode("/w==")"#, Err("not valid UTF-8")),
        // sha256
        (
            r#"sha256("hello world")"#,
            Ok(json!(
                "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
            )),
        ),
        ("sha256(local.nothing)", Err("must not be null")),
        // abs / max / min (numeric strings convert)
        ("abs(-12.4)", Ok(json!(12.4))),
        (r#"abs("x")"#, Err("a number is required")),
        (r#"max(12, 54, "3")"#, Ok(json!(54))),
        ("min(12, 54, 3)", Ok(json!(3))),
        ("max()", Err("at least one number")),
        ("min(1, null)", Err("must not be null")),
        // did-you-mean knows the new names
        (
            r#"startwith("a", "b")"#,
            Err("unknown function `startwith`"),
        ),
    ]
}

#[test]
fn functions_follow_terraform() {
    let mut failures = vec![];
    for (expr, want) in cases() {
        let got = eval(expr);
        let ok = match (&got, &want) {
            (Ok(g), Ok(w)) => g == w,
            (Err(g), Err(w)) => g.contains(w),
            _ => false,
        };
        if !ok {
            failures.push(format!("{expr}\n   got  {got:?}\n   want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `format` as Terraform documents it (website/docs/language/functions/format.mdx, and cty's
/// `stdlib.Format`, which hands numbers to Go's `fmt`): verbs, flags, width and precision,
/// `[n]` argument indexes. Expected outputs are the documentation's examples and what Go's
/// `fmt` prints for the same verb.
#[test]
fn format_takes_terraforms_flags_width_and_precision() {
    let cases: Vec<(&str, Result<serde_json::Value, &str>)> = vec![
        // The documentation's examples.
        (
            r#"format("Hello, %s!", "Ander")"#,
            Ok(json!("Hello, Ander!")),
        ),
        (
            r#"format("There are %d lights", 4)"#,
            Ok(json!("There are 4 lights")),
        ),
        (r#"format("%#v", "hello")"#, Ok(json!("\"hello\""))),
        (r#"format("%#v", true)"#, Ok(json!("true"))),
        (r#"format("%#v", 1)"#, Ok(json!("1"))),
        (r#"format("%#v", { a = 1 })"#, Ok(json!("{\"a\":1}"))),
        (r#"format("%#v", [true])"#, Ok(json!("[true]"))),
        (r#"format("%#v", null)"#, Ok(json!("null"))),
        (r#"format("%v", null)"#, Ok(json!("null"))),
        (r#"format("%f", 3.14159)"#, Ok(json!("3.141590"))),
        (r#"format("%9f", 3.14159)"#, Ok(json!(" 3.141590"))),
        (r#"format("%.2f", 3.14159)"#, Ok(json!("3.14"))),
        (r#"format("%9.2f", 3.14159)"#, Ok(json!("     3.14"))),
        // Flags: space, +, -, 0.
        (r#"format("%02d", 7)"#, Ok(json!("07"))),
        (r#"format("%05d", -42)"#, Ok(json!("-0042"))),
        (r#"format("%-5s|", "ab")"#, Ok(json!("ab   |"))),
        (r#"format("%5s|", "ab")"#, Ok(json!("   ab|"))),
        (r#"format("%05.2f", 3.14159)"#, Ok(json!("03.14"))),
        (r#"format("%-8.3f|", 2.5)"#, Ok(json!("2.500   |"))),
        (r#"format("%+d", 5)"#, Ok(json!("+5"))),
        (r#"format("%+d", -5)"#, Ok(json!("-5"))),
        (r#"format("% d", 5)"#, Ok(json!(" 5"))),
        (r#"format("%+.1f", 2.25)"#, Ok(json!("+2.2"))),
        // Integer bases.
        (r#"format("%x", 255)"#, Ok(json!("ff"))),
        (r#"format("%X", 255)"#, Ok(json!("FF"))),
        (r#"format("%#x", 255)"#, Ok(json!("0xff"))),
        (r#"format("%o", 8)"#, Ok(json!("10"))),
        (r#"format("%b", 5)"#, Ok(json!("101"))),
        (r#"format("%04x", 10)"#, Ok(json!("000a"))),
        (r#"format("%x", -255)"#, Ok(json!("-ff"))),
        (r#"format("%d", 1.5)"#, Err("an integer is required")),
        // Scientific and general forms.
        (r#"format("%e", 123456.789)"#, Ok(json!("1.234568e+05"))),
        (r#"format("%E", 123456.789)"#, Ok(json!("1.234568E+05"))),
        (r#"format("%.2e", 0.000123)"#, Ok(json!("1.23e-04"))),
        (r#"format("%g", 0.5)"#, Ok(json!("0.5"))),
        (r#"format("%g", 1234567)"#, Ok(json!("1.234567e+06"))),
        (r#"format("%G", 0.00001)"#, Ok(json!("1E-05"))),
        (r#"format("%g", 100000)"#, Ok(json!("100000"))),
        (r#"format("%v", 1.5)"#, Ok(json!("1.5"))),
        (r#"format("%v", 42)"#, Ok(json!("42"))),
        // Strings: precision truncates, width pads; %q is a JSON string.
        (r#"format("%.3s", "abcdef")"#, Ok(json!("abc"))),
        (r#"format("%6.2s|", "abcdef")"#, Ok(json!("    ab|"))),
        (r#"format("%q", "a\"b")"#, Ok(json!("\"a\\\"b\""))),
        (r#"format("%8q", "ab")"#, Ok(json!("    \"ab\""))),
        (r#"format("%s", 12)"#, Ok(json!("12"))),
        (r#"format("%s", ["a"])"#, Err("string required")),
        // Bool, percent, argument indexes.
        (r#"format("%t", true)"#, Ok(json!("true"))),
        (r#"format("%t", "false")"#, Ok(json!("false"))),
        (r#"format("100%%")"#, Ok(json!("100%"))),
        (r#"format("%[2]s %[1]s %s", "a", "b")"#, Ok(json!("b a b"))),
        (
            r#"format("%d", null)"#,
            Err("null value cannot be formatted"),
        ),
        (r#"format("%s %s", "a")"#, Err("not enough arguments")),
        (r#"format("%y", 1)"#, Err("unsupported format verb")),
        (
            r#"formatlist("%03d-%s", [1, 22], "x")"#,
            Ok(json!(["001-x", "022-x"])),
        ),
    ];
    let mut failures = vec![];
    for (expr, want) in cases {
        let got = eval(expr);
        let ok = match (&got, &want) {
            (Ok(g), Ok(w)) => g == w,
            (Err(g), Err(w)) => g.contains(w),
            _ => false,
        };
        if !ok {
            failures.push(format!("{expr}\n   got  {got:?}\n   want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_new_function_has_cases() {
    let all: String = cases().iter().map(|(e, _)| format!("{e}\n")).collect();
    for name in eksfed_compiler::language::functions::tf::NAMES {
        if *name == "well_known_policy" {
            continue;
        }
        assert!(all.contains(&format!("{name}(")), "no case for {name}");
    }
}

// --- well-known policies -----------------------------------------------------------------

const KARPENTER: &str =
    r#"{ cluster_name = "prod", region = "us-east-1", account_id = "111122223333" }"#;

fn well_known_stack(name: &str, partition: &str) -> String {
    let args = if name.starts_with("karpenter") {
        format!("\"{name}\", {KARPENTER}")
    } else {
        format!("\"{name}\"")
    };
    // `karpenter` (all parts together) is too large for a managed policy: inline it.
    let body = if name == "karpenter" {
        format!(
            "role \"r\" {{\n  trust_aws {{ principals = [\"arn:{partition}:iam::111122223333:root\"] }}\n  inline_policy \"p\" {{\n    document = well_known_policy({args})\n  }}\n}}\n"
        )
    } else {
        format!("policy \"p\" {{\n  document = well_known_policy({args})\n}}\n")
    };
    format!(
        "stack \"wk\" {{\n  account_id = \"111122223333\"\n  partition  = \"{partition}\"\n}}\n{body}"
    )
}

fn document_of(c: &Compiled) -> serde_json::Value {
    let r = serde_json::to_value(render::render(c.desired.as_ref().unwrap())).unwrap();
    fn find(v: &serde_json::Value) -> Option<serde_json::Value> {
        match v {
            serde_json::Value::Object(m) => {
                // A permissions document (trust policies name a Principal).
                if let Some(serde_json::Value::Array(s)) = m.get("Statement") {
                    if s.iter().all(|x| x.get("Principal").is_none()) {
                        return Some(v.clone());
                    }
                }
                m.values().find_map(find)
            }
            serde_json::Value::Array(a) => a.iter().find_map(find),
            serde_json::Value::String(s) if s.contains("\"Statement\"") => {
                serde_json::from_str::<serde_json::Value>(s)
                    .ok()
                    .and_then(|j| find(&j))
            }
            _ => None,
        }
    }
    find(&r).expect("a policy document in the render")
}

/// Parliament-style shape checks of one statement.
fn shape_errors(name: &str, s: &serde_json::Value) -> Vec<String> {
    let mut out = vec![];
    let action = regex::Regex::new(r"^([a-z0-9-]+:[A-Za-z0-9*?]+|\*)$").unwrap();
    let arn =
        regex::Regex::new(r"^(\*|arn:[a-z*?-]+:[a-z0-9*?-]+:[a-z0-9*?-]*:(\d{12}|\*|aws)?:.+)$")
            .unwrap();
    let ops = regex::Regex::new(
        r"^(ForAllValues:|ForAnyValue:)?(StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase|StringLike|StringNotLike|NumericEquals|NumericNotEquals|NumericLessThan|NumericLessThanEquals|NumericGreaterThan|NumericGreaterThanEquals|DateEquals|DateNotEquals|DateLessThan|DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|Bool|BinaryEquals|IpAddress|NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike|Null)(IfExists)?$",
    )
    .unwrap();
    let m = s.as_object().unwrap();
    for k in m.keys() {
        if ![
            "Sid",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
        ]
        .contains(&k.as_str())
        {
            out.push(format!("{name}: unexpected statement key {k}"));
        }
    }
    if !matches!(
        m.get("Effect").and_then(|e| e.as_str()),
        Some("Allow" | "Deny")
    ) {
        out.push(format!("{name}: Effect must be Allow or Deny"));
    }
    if m.contains_key("Action") == m.contains_key("NotAction") {
        out.push(format!("{name}: exactly one of Action and NotAction"));
    }
    if m.contains_key("Resource") == m.contains_key("NotResource") {
        out.push(format!("{name}: exactly one of Resource and NotResource"));
    }
    let strings = |k: &str| -> Vec<String> {
        match m.get(k) {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().unwrap_or("<not a string>").to_string())
                .collect(),
            _ => vec![],
        }
    };
    for a in strings("Action").into_iter().chain(strings("NotAction")) {
        if !action.is_match(&a) {
            out.push(format!("{name}: action {a}"));
        }
    }
    for r in strings("Resource")
        .into_iter()
        .chain(strings("NotResource"))
    {
        if !arn.is_match(&r) {
            out.push(format!("{name}: resource {r}"));
        }
    }
    if let Some(c) = m.get("Condition") {
        for (op, kv) in c.as_object().unwrap() {
            if !ops.is_match(op) {
                out.push(format!("{name}: condition operator {op}"));
            }
            for (key, _) in kv.as_object().unwrap() {
                if !key.contains(':') {
                    out.push(format!("{name}: condition key {key}"));
                }
            }
        }
    }
    out
}

#[test]
fn every_well_known_document_compiles_clean_and_is_well_shaped() {
    let names = eksfed_compiler::iam::well_known::names();
    assert!(names.len() >= 5);
    for required in [
        "aws-load-balancer-controller",
        "external-dns",
        "cluster-autoscaler",
        "cert-manager",
        "karpenter",
    ] {
        assert!(names.contains(&required), "{required}");
    }
    let mut problems = vec![];
    for name in &names {
        for partition in ["aws", "aws-cn"] {
            let c = compile_text(&well_known_stack(name, partition));
            // Errors include IAM008 (every action service:Action shaped), IAM009 (every
            // resource * or an ARN) and the size quotas.
            for d in c.diagnostics.iter().filter(|d| d.is_error()) {
                problems.push(format!("{name} ({partition}): {}", c.sources.render(d)));
            }
            if c.diagnostics.has_errors() {
                continue;
            }
            let doc = document_of(&c);
            assert_eq!(doc["Version"], "2012-10-17", "{name}");
            let stmts = doc["Statement"].as_array().unwrap();
            assert!(!stmts.is_empty(), "{name}");
            for s in stmts {
                problems.extend(shape_errors(name, s));
            }
            let text = doc.to_string();
            if partition == "aws-cn" {
                assert!(!text.contains("arn:aws:"), "{name}: {text}");
            }
            assert!(
                !text.contains("${"),
                "{name}: unsubstituted parameter in {text}"
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn well_known_documents_are_the_upstream_files() {
    // The data files are upstream's text; the karpenter ones keep CloudFormation's `${...}`.
    let re = regex::Regex::new(r"\$\{[^}]+\}").unwrap();
    for d in eksfed_compiler::iam::well_known::DOCUMENTS {
        let j: serde_json::Value = if d.params.is_empty() {
            serde_json::from_str(d.text).unwrap()
        } else {
            assert!(d.text.contains("${"), "{}", d.name);
            serde_json::from_str(&re.replace_all(d.text, "X")).unwrap()
        };
        assert_eq!(j["Version"], "2012-10-17", "{}", d.name);
        assert!(d.url.starts_with("https://github.com/"), "{}", d.name);
        assert!(
            d.url.contains(d.project.split(' ').next().unwrap()),
            "{}",
            d.name
        );
    }
    let alb = eval(r#"jsondecode(well_known_policy("aws-load-balancer-controller"))"#).unwrap();
    let actions = alb.to_string();
    assert!(actions.contains("elasticloadbalancing:CreateLoadBalancer"));
    assert!(actions.contains("iam:CreateServiceLinkedRole"));
}

#[test]
fn well_known_policy_errors() {
    for (expr, want) in [
        (
            r#"well_known_policy("external-dsn")"#,
            "no well-known policy `external-dsn`",
        ),
        (
            r#"well_known_policy("aws-ebs-csi-driver")"#,
            "managed policy",
        ),
        (
            r#"well_known_policy("karpenter")"#,
            "needs the parameter `cluster_name`",
        ),
        (
            r#"well_known_policy("external-dns", { a = 1 })"#,
            "takes no parameters",
        ),
        (
            r#"well_known_policy("karpenter", { cluster = "x" })"#,
            "unknown parameter `cluster`",
        ),
    ] {
        let got = eval(expr);
        assert!(
            matches!(&got, Err(m) if m.contains(want)),
            "{expr}: {got:?}"
        );
    }
    let k = eval(&format!(
        "jsondecode(well_known_policy(\"karpenter/interruption\", {KARPENTER}))"
    ))
    .unwrap();
    assert_eq!(
        k["Statement"][0]["Resource"],
        "arn:aws:sqs:us-east-1:111122223333:prod"
    );
}
