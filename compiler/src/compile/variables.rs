//! Stage *variables*: each declared variable's value, by precedence (default < `--var` <
//! `--var-file` < `EKSFED_VAR_*`), parsed and checked against its declared type.

use super::inputs::{VarInputs, E_VAR_MISSING, E_VAR_VALUE};
use crate::diag::{Diagnostic, Diagnostics, FileId, SourceMap};
use crate::eval::{span_of, suggest, Env, FileReader, ResourceTable};
use crate::lower::{eval_block, label_text};
use crate::schema;
use crate::value::Value;
use hcl_edit::structure::{Block, Structure};
use indexmap::IndexMap;
use std::collections::HashMap;

fn type_of(file: FileId, b: &Block, sources: &SourceMap) -> String {
    b.body
        .get_attribute("type")
        .and_then(|a| {
            let r = span_of(&a.value);
            sources
                .get(file)
                .and_then(|f| f.text.get(r))
                .map(|t| t.split_whitespace().collect::<String>())
        })
        .unwrap_or_else(|| "any".into())
}

fn parse_raw(raw: &str, ty: &str, reader: &dyn FileReader) -> Result<Value, String> {
    if ty == "string" {
        return Ok(Value::String(raw.to_string()));
    }
    match hcl_edit::parser::parse_expr(raw) {
        Ok(e) => {
            let (v, l, r) = (IndexMap::new(), IndexMap::new(), ResourceTable::new());
            let mut env = Env::new(&v, &l, &r, &[], reader, "aws");
            match env.eval(&e) {
                Ok(v) => Ok(v),
                // An untyped variable given a bare word: take it as a string, as Terraform does.
                Err(_) if ty == "any" => Ok(Value::String(raw.to_string())),
                Err(e) => Err(e.message),
            }
        }
        // `any` typed variables given a bare word: take it as a string, as Terraform does.
        Err(_) if ty == "any" => Ok(Value::String(raw.to_string())),
        Err(e) => Err(format!("cannot parse \"{raw}\" as {ty}: {}", e.message())),
    }
}

fn conforms(v: &Value, ty: &str) -> Option<Value> {
    match ty {
        "any" | "" => Some(v.clone()),
        "string" => v.as_string().map(Value::String),
        "number" => match v {
            Value::Number(_) => Some(v.clone()),
            Value::String(s) => s.parse().ok().map(Value::Number),
            _ => None,
        },
        "bool" => v.truthy().map(Value::Bool),
        t if t.starts_with("list(") || t.starts_with("set(") || t == "list" => match v {
            Value::List(l) => {
                let inner = t
                    .split_once('(')
                    .map(|x| x.1.trim_end_matches(')'))
                    .unwrap_or("any");
                l.iter()
                    .map(|x| conforms(x, inner))
                    .collect::<Option<Vec<_>>>()
                    .map(Value::List)
            }
            _ => None,
        },
        t if t.starts_with("map(") || t == "map" || t.starts_with("object(") => match v {
            Value::Map(m) => {
                let inner = if t.starts_with("map(") {
                    t.trim_start_matches("map(").trim_end_matches(')')
                } else {
                    "any"
                };
                m.iter()
                    .map(|(k, x)| conforms(x, inner).map(|x| (k.clone(), x)))
                    .collect::<Option<IndexMap<_, _>>>()
                    .map(Value::Map)
            }
            _ => None,
        },
        _ => Some(v.clone()),
    }
}

pub(super) fn resolve_variables(
    blocks: &[(FileId, &Block)],
    inputs: &VarInputs,
    reader: &dyn FileReader,
    sources: &SourceMap,
    diags: &mut Diagnostics,
) -> IndexMap<String, Value> {
    let (v, l, r) = (IndexMap::new(), IndexMap::new(), ResourceTable::new());
    let mut env = Env::new(&v, &l, &r, &[], reader, "aws");
    let names: Vec<String> = blocks
        .iter()
        .map(|(_, b)| label_text(&b.labels[0]))
        .collect();
    let unknown = |name: &str, diags: &mut Diagnostics, origin: &str| {
        diags.push(
            Diagnostic::error(
                E_VAR_VALUE,
                format!("{origin} sets `{name}`, but the stack declares no such variable"),
            )
            .help(
                suggest(name, names.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_default(),
            ),
        );
    };
    // var-file values, evaluated as constants
    let mut file_values: HashMap<String, (Value, String)> = HashMap::new();
    for (path, text) in &inputs.files {
        match hcl_edit::parser::parse_body(text) {
            Ok(body) => {
                for s in body.iter() {
                    if let Structure::Attribute(a) = s {
                        match env.eval(&a.value) {
                            Ok(v) => {
                                file_values.insert(a.key.value().to_string(), (v, path.clone()));
                            }
                            Err(e) => diags.push(Diagnostic::error(
                                E_VAR_VALUE,
                                format!("{path}: {}", e.message),
                            )),
                        }
                    }
                }
            }
            Err(e) => diags.push(Diagnostic::error(
                crate::load::E_SYNTAX,
                format!(
                    "{path}:{}:{}: syntax error: {}",
                    e.location().line(),
                    e.location().column(),
                    e.message()
                ),
            )),
        }
    }
    for (n, _) in &inputs.cli {
        if !names.contains(n) {
            unknown(n, diags, "--var");
        }
    }
    for (n, (_, p)) in &file_values {
        if !names.contains(n) {
            unknown(n, diags, &format!("--var-file {p}"));
        }
    }
    let mut out = IndexMap::new();
    for (file, b) in blocks {
        let name = label_text(&b.labels[0]);
        let ty = type_of(*file, b, sources);
        let ev = eval_block(*file, b, &schema::VARIABLE, &mut env, diags);
        let mut value: Option<(Value, String)> = ev
            .get("default")
            .map(|v| (v.clone(), "default".to_string()));
        if let Some((_, raw)) = inputs.cli.iter().rev().find(|(n, _)| *n == name) {
            match parse_raw(raw, &ty, reader) {
                Ok(v) => value = Some((v, "--var".into())),
                Err(e) => diags.push(
                    Diagnostic::error(E_VAR_VALUE, format!("--var {name}: {e}"))
                        .at(Some(ev.span.clone())),
                ),
            }
        }
        if let Some((v, p)) = file_values.get(&name) {
            value = Some((v.clone(), format!("--var-file {p}")));
        }
        if let Some((_, raw)) = inputs.env.iter().rev().find(|(n, _)| *n == name) {
            match parse_raw(raw, &ty, reader) {
                Ok(v) => value = Some((v, format!("EKSFED_VAR_{name}"))),
                Err(e) => diags.push(
                    Diagnostic::error(E_VAR_VALUE, format!("EKSFED_VAR_{name}: {e}"))
                        .at(Some(ev.span.clone())),
                ),
            }
        }
        match value {
            None => diags.push(
                Diagnostic::error(E_VAR_MISSING, format!("variable `{name}` has no value"))
                    .at(Some(ev.span.clone()))
                    .help(format!("give it a default, or pass --var {name}=VALUE, --var-file, or EKSFED_VAR_{name}")),
            ),
            Some((v, origin)) => match conforms(&v, &ty) {
                Some(v) => {
                    out.insert(name, v);
                }
                None => diags.push(Diagnostic::error(E_VAR_VALUE, format!("variable `{name}` is {ty}, but the value from {origin} is a {}", v.type_name())).at(Some(ev.span.clone()))),
            },
        }
    }
    out
}
