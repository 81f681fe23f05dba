//! Stage `lower`: evaluates a block's body against its schema into an [`EvBlock`]: values with
//! the span of each attribute (and of each element of literal lists), checking unknown and
//! missing attributes, types and kinds of reference on the way.

use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::language::call::span_of;
use crate::language::call::suggest;
use crate::language::eval::Env;
use crate::language::schema::{Attr, BlockSchema, Ty};
use crate::language::value::Value;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::Span as _;
use indexmap::IndexMap;

use crate::language::evblock::{head_span, label_text, EvAttr, EvBlock};
use crate::language::evblock::{
    E_DUPLICATE, E_LABELS, E_MISSING_ATTR, E_TYPE, E_UNKNOWN_ATTR, E_UNKNOWN_BLOCK,
};

pub const E_REF_KIND: &str = "E0202";

/// Attributes evaluated separately by the caller (before the body).
const SKIP: &[&str] = &["for_each"];

pub fn eval_block(
    file: FileId,
    block: &Block,
    schema: &'static BlockSchema,
    env: &mut Env<'_>,
    diags: &mut Diagnostics,
) -> EvBlock {
    let span = head_span(file, block);
    let labels = block.labels.iter().map(label_text).collect();
    eval_body(file, &block.body, schema, span, labels, env, diags)
}

pub fn eval_body(
    file: FileId,
    body: &Body,
    schema: &'static BlockSchema,
    span: Span,
    labels: Vec<String>,
    env: &mut Env<'_>,
    diags: &mut Diagnostics,
) -> EvBlock {
    let mut out = EvBlock {
        kind: schema.name.to_string(),
        labels,
        span: span.clone(),
        attrs: IndexMap::new(),
        blocks: vec![],
    };
    let mut seen_single: Vec<&str> = vec![];
    let mut present: Vec<String> = vec![];
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                present.push(a.key.value().as_str().to_string());
                eval_attribute(file, a, schema, &mut out, env, diags);
            }
            Structure::Block(b) => {
                eval_nested(file, b, schema, &mut seen_single, &mut out, env, diags);
            }
        }
    }
    for a in schema.attrs.iter().filter(|a| a.required) {
        if !present.iter().any(|p| p == a.name)
            && !crate::desired::existing::required_waived(&out, a.name)
        {
            diags.push(
                Diagnostic::error(
                    E_MISSING_ATTR,
                    format!(
                        "`{}` needs the attribute `{}` ({})",
                        schema.name,
                        a.name,
                        a.ty.describe()
                    ),
                )
                .at(Some(span.clone())),
            );
        }
    }
    out
}

/// One attribute of a body, checked against the schema and evaluated into `out`.
fn eval_attribute(
    file: FileId,
    a: &Attribute,
    schema: &'static BlockSchema,
    out: &mut EvBlock,
    env: &mut Env<'_>,
    diags: &mut Diagnostics,
) {
    let name = a.key.value().as_str();
    let aspan = Span::new(
        file,
        a.key.span().map(|k| k.start).unwrap_or(0)..span_of(&a.value).end,
    );
    if SKIP.contains(&name) || (schema.name == "variable" && name == "type") {
        return;
    }
    let attr = schema.attr(name);
    if attr.is_none() && !schema.open {
        let mut cands = schema.attr_names();
        cands.extend(schema.blocks.iter().map(|(b, _)| b.name));
        let help = suggest(name, cands.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                format!(
                    "`{}` takes: {}",
                    schema.name,
                    schema.attr_names().join(", ")
                )
            });
        diags.push(
            Diagnostic::error(
                E_UNKNOWN_ATTR,
                format!("unknown attribute `{name}` in `{}`", schema.name),
            )
            .at(Some(Span::new(file, a.key.span().unwrap_or(0..0))))
            .help(help),
        );
        return;
    }
    if out.attrs.contains_key(name) {
        diags.push(
            Diagnostic::error(E_DUPLICATE, format!("attribute `{name}` is set twice"))
                .at(Some(aspan)),
        );
        return;
    }
    let elems = match &a.value {
        Expression::Array(arr) => arr.iter().map(|e| Span::new(file, span_of(e))).collect(),
        _ => vec![],
    };
    match env.eval(&a.value) {
        Ok(v) => {
            let v = match attr {
                Some(attr) => match check_type(attr, v, &a.value, file, diags) {
                    Some(v) => v,
                    None => return,
                },
                None => v,
            };
            out.attrs.insert(
                name.to_string(),
                EvAttr {
                    value: v,
                    span: Span::new(file, span_of(&a.value)),
                    elems,
                },
            );
        }
        Err(e) => {
            let mut d = Diagnostic::error(e.code, e.message).at(Some(Span::new(file, e.range)));
            d.help = e.help;
            diags.push(d);
        }
    }
}

/// One nested block of a body (a `dynamic` block expanded), checked against the schema and
/// evaluated into `out`.
fn eval_nested<'b>(
    file: FileId,
    b: &'b Block,
    schema: &'static BlockSchema,
    seen_single: &mut Vec<&'b str>,
    out: &mut EvBlock,
    env: &mut Env<'_>,
    diags: &mut Diagnostics,
) {
    let name = b.ident.value().as_str();
    if name == "dynamic" {
        crate::language::dynamic::expand(file, b, schema, env, diags, &mut out.blocks, eval_body);
        return;
    }
    let Some((inner, many)) = schema.block(name) else {
        let mut cands: Vec<&str> = schema.blocks.iter().map(|(b, _)| b.name).collect();
        cands.extend(schema.attr_names());
        let help = suggest(name, cands.iter().copied()).map(|s| format!("did you mean `{s}`?"));
        diags.push(
            Diagnostic::error(
                E_UNKNOWN_BLOCK,
                format!("unknown block `{name}` in `{}`", schema.name),
            )
            .at(Some(head_span(file, b)))
            .help(help.unwrap_or_default()),
        );
        return;
    };
    if b.labels.len() != inner.labels.len() {
        diags.push(
            Diagnostic::error(
                E_LABELS,
                format!(
                    "`{name}` takes {} label(s) ({}), got {}",
                    inner.labels.len(),
                    inner.labels.join(", "),
                    b.labels.len()
                ),
            )
            .at(Some(head_span(file, b))),
        );
        return;
    }
    if !many {
        if seen_single.contains(&name) {
            diags.push(
                Diagnostic::error(
                    E_DUPLICATE,
                    format!("only one `{name}` block is allowed here"),
                )
                .at(Some(head_span(file, b))),
            );
            return;
        }
        seen_single.push(inner.name);
    }
    out.blocks.push(eval_block(file, b, inner, env, diags));
}

fn type_err(attr: &Attr, v: &Value, e: &Expression, file: FileId) -> Diagnostic {
    let got = match v {
        Value::Resource(r) => format!("a reference to `{}`", r.address),
        other => format!("a {}", other.type_name()),
    };
    Diagnostic::error(
        E_TYPE,
        format!("`{}` must be {}, got {got}", attr.name, attr.ty.describe()),
    )
    .at(Some(Span::new(file, span_of(e))))
}

fn prim_string(v: &Value) -> Option<Value> {
    match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => v.as_string().map(Value::String),
        _ => None,
    }
}

/// Checks (and converts where HCL converts) a value against an attribute's type.
fn check_type(
    attr: &Attr,
    v: Value,
    e: &Expression,
    file: FileId,
    diags: &mut Diagnostics,
) -> Option<Value> {
    if matches!(v, Value::Null) {
        return Some(v);
    }
    let ok = match (&attr.ty, &v) {
        (Ty::Any, _) => Some(v.clone()),
        (Ty::String, _) => prim_string(&v),
        (Ty::Number, Value::Number(_)) => Some(v.clone()),
        (Ty::Number, Value::String(s)) => s.parse().ok().map(Value::Number),
        (Ty::Bool, _) => v.truthy().map(Value::Bool),
        (Ty::ListString, Value::List(l)) => l
            .iter()
            .map(prim_string)
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        (Ty::MapString, Value::Map(m)) => m
            .iter()
            .map(|(k, v)| prim_string(v).map(|v| (k.clone(), v)))
            .collect::<Option<IndexMap<_, _>>>()
            .map(Value::Map),
        (Ty::Ref(kinds), Value::Resource(r)) => {
            if !kinds.contains(&r.address.kind.as_str()) {
                diags.push(
                    Diagnostic::error(
                        E_REF_KIND,
                        format!(
                            "`{}` takes a {}, but `{}` is a {}",
                            attr.name,
                            kinds.join(" or "),
                            r.address,
                            r.address.kind
                        ),
                    )
                    .at(Some(Span::new(file, span_of(e)))),
                );
                return None;
            }
            Some(v.clone())
        }
        (Ty::ListRef, Value::List(l))
            if l.iter()
                .all(|x| matches!(x, Value::Resource(_) | Value::Map(_))) =>
        {
            Some(v.clone())
        }
        (Ty::ListRef, Value::Resource(_)) => Some(Value::List(vec![v.clone()])),
        (Ty::ListObject(attrs), Value::List(l)) => {
            for item in l {
                let Value::Map(m) = item else {
                    diags.push(type_err(attr, &v, e, file));
                    return None;
                };
                for k in m.keys() {
                    if !attrs.iter().any(|a| a.name == k) {
                        let help = suggest(k, attrs.iter().map(|a| a.name))
                            .map(|s| format!("did you mean `{s}`?"));
                        diags.push(
                            Diagnostic::error(
                                E_UNKNOWN_ATTR,
                                format!("unknown key `{k}` in `{}`", attr.name),
                            )
                            .at(Some(Span::new(file, span_of(e))))
                            .help(help.unwrap_or_default()),
                        );
                        return None;
                    }
                }
                for a in attrs.iter().filter(|a| a.required) {
                    if !m.contains_key(a.name) {
                        diags.push(
                            Diagnostic::error(
                                E_MISSING_ATTR,
                                format!("each item of `{}` needs `{}`", attr.name, a.name),
                            )
                            .at(Some(Span::new(file, span_of(e)))),
                        );
                        return None;
                    }
                }
            }
            Some(v.clone())
        }
        _ => None,
    };
    if ok.is_none() {
        diags.push(type_err(attr, &v, e, file));
    }
    ok
}
