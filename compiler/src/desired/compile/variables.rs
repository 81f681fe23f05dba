//! Stage *variables*: each declared variable's value, by precedence (default < `--var` <
//! `--var-file` < `EKSFED_VAR_*`), parsed and checked against its declared type.

use super::inputs::{VarInputs, E_VAR_MISSING, E_VAR_VALUE};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::language::call::suggest;
use crate::language::call::FileReader;
use crate::language::eval::{Env, ResourceTable};
use crate::language::evblock::label_text;
use crate::language::lower::eval_block;
use crate::language::schema;
use crate::language::value::Value;
use crate::language::var_type::{self, VarType};
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};
use indexmap::IndexMap;
use std::collections::HashMap;

/// The declared type of a variable and its expression: `any` without `type`. An invalid
/// type expression is an error at it, and the variable is then taken as `any`.
pub(super) fn declared_type<'b>(
    file: FileId,
    b: &'b Block,
    env: &mut Env<'_>,
    diags: &mut Diagnostics,
) -> (VarType, Option<&'b Expression>) {
    let Some(a) = b.body.get_attribute("type") else {
        return (VarType::Any, None);
    };
    match var_type::parse(&a.value, &mut |e| env.eval(e)) {
        Ok(t) => (t, Some(&a.value)),
        Err(e) => {
            let mut d = Diagnostic::error(e.code, e.message).at(Some(Span::new(file, e.range)));
            if let Some(h) = e.help {
                d = d.help(h);
            }
            diags.push(d);
            (VarType::Any, None)
        }
    }
}

/// A `--var` or `EKSFED_VAR_*` value: taken as a string for a primitive type (and converted
/// after), parsed as an expression otherwise, as Terraform does.
fn parse_raw(
    raw: &str,
    ty: &VarType,
    reader: &dyn FileReader,
    sensitive: bool,
) -> Result<Value, String> {
    if ty.is_primitive() {
        return Ok(Value::String(raw.to_string()));
    }
    let any = *ty == VarType::Any;
    match hcl_edit::parser::parse_expr(raw) {
        Ok(e) => {
            let (v, l, r) = (IndexMap::new(), IndexMap::new(), ResourceTable::new());
            let mut env = Env::new(&v, &l, &r, &[], reader, "aws");
            match env.eval(&e) {
                Ok(v) => Ok(v),
                // An untyped variable given a bare word: take it as a string, as Terraform does.
                Err(_) if any => Ok(Value::String(raw.to_string())),
                Err(e) => Err(e.message),
            }
        }
        // `any` typed variables given a bare word: take it as a string, as Terraform does.
        Err(_) if any => Ok(Value::String(raw.to_string())),
        Err(e) => Err(format!(
            "cannot parse \"{}\" as {}: {}",
            if sensitive {
                crate::desired::redact::REDACTED
            } else {
                raw
            },
            ty.short(),
            e.message()
        )),
    }
}

pub(super) fn resolve_variables(
    blocks: &[(FileId, &Block)],
    inputs: &VarInputs,
    reader: &dyn FileReader,
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
                crate::language::load::E_SYNTAX,
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
        let ev = eval_block(*file, b, &schema::VARIABLE, &mut env, diags);
        let (ty, ty_expr) = declared_type(*file, b, &mut env, diags);
        let sensitive = matches!(ev.get("sensitive"), Some(Value::Bool(true)));
        let mut value: Option<(Value, String)> = ev
            .get("default")
            .map(|v| (v.clone(), "default".to_string()));
        if let Some((_, raw)) = inputs.cli.iter().rev().find(|(n, _)| *n == name) {
            match parse_raw(raw, &ty, reader, sensitive) {
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
            match parse_raw(raw, &ty, reader, sensitive) {
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
            Some((v, origin)) => match ty.convert(v) {
                Ok(v) => {
                    out.insert(name, v);
                }
                Err(m) => {
                    // A default is pointed at where it is written (unless sensitive: the
                    // source line would show it); a value from outside the stack at the part
                    // of the type it does not have.
                    let default = b.body.get_attribute("default").map(|a| &a.value);
                    let range = match (origin == "default" && !sensitive, default, ty_expr) {
                        (true, Some(d), _) => var_type::value_span(d, &m.path),
                        (_, _, Some(t)) => var_type::type_span(t, &m.path),
                        _ => ev.span.range.clone(),
                    };
                    let path = m.path_text(&format!("var.{name}"), sensitive);
                    diags.push(
                        Diagnostic::error(
                            E_VAR_VALUE,
                            format!("{path}: {} (the value from {origin})", m.problem),
                        )
                        .at(Some(Span::new(*file, range))),
                    );
                }
            },
        }
    }
    out
}
