//! Hover: a block type, attribute or nested block's documentation from the schema; a
//! function's signature; a reference's evaluated value (what the compiled stack gives it).

use crate::analysis::Analysis;
use crate::index::Ref;
use eksfed_compiler::desired::compile::Compiled;
use eksfed_compiler::desired::redact::redact_text;
use eksfed_compiler::kinds::lowering::Ctx;
use eksfed_compiler::language::functions::spec as fnspec;
use eksfed_compiler::language::schema::{self, BlockSchema};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

/// Markdown to show at `offset`, and the range it concerns.
pub fn hover(a: &Analysis, path: &Path, offset: usize) -> Option<(String, Range<usize>)> {
    if let Some(r) = a.ref_at(path, offset) {
        let c = a.stack.compiled(&a.compiles);
        return Some((value_of(&c, r), r.ns_range.start..r.name_range.end));
    }
    let ix = a.file(path)?;
    if let Some((name, range)) = ix.calls.iter().find(|(_, r)| within(r, offset)) {
        return function(name).map(|s| (s, range.clone()));
    }
    let block = ix
        .blocks
        .iter()
        .filter(|b| within(&b.range, offset))
        .max_by_key(|b| b.path.len())?;
    if within(&block.ident_range, offset) {
        let s = schema_of(&block.path)?;
        return Some((block_doc(s), block.ident_range.clone()));
    }
    let (name, range) = block.attrs.iter().find(|(_, r)| within(r, offset))?;
    let attr = schema_of(&block.path)?.attr(name)?;
    let required = if attr.required {
        "required"
    } else {
        "optional"
    };
    Some((
        format!(
            "**{}** ({required}, {})\n\n{}",
            attr.name,
            attr.ty.describe(),
            attr.doc
        ),
        range.clone(),
    ))
}

fn within(r: &Range<usize>, offset: usize) -> bool {
    r.start <= offset && offset <= r.end
}

/// The schema of a block path (`["role", "trust_service_account"]`).
pub fn schema_of(path: &[String]) -> Option<&'static BlockSchema> {
    let mut s = schema::top_level(path.first()?)?;
    for p in &path[1..] {
        s = s.block(p)?.0;
    }
    Some(s)
}

pub fn block_doc(s: &BlockSchema) -> String {
    let labels: String = s.labels.iter().map(|l| format!(" \"{l}\"")).collect();
    format!("**{}**{labels} {{ … }}\n\n{}", s.name, s.doc)
}

/// A function's signature and doc.
pub fn function(name: &str) -> Option<String> {
    let s = eksfed_compiler::language::functions::spec(name)?;
    Some(format!("`{}`\n\n{}", signature(s), s.doc))
}

pub fn signature(s: &fnspec::Spec) -> String {
    let args = match (s.arity.min, s.arity.max) {
        (_, None) => format!("{}…", "arg, ".repeat(s.arity.min)),
        (min, Some(max)) if min == max => (1..=min)
            .map(|i| format!("arg{i}"))
            .collect::<Vec<_>>()
            .join(", "),
        (min, Some(max)) => {
            let mut v: Vec<String> = (1..=min).map(|i| format!("arg{i}")).collect();
            v.extend((min + 1..=max).map(|i| format!("[arg{i}]")));
            v.join(", ")
        }
    };
    format!("{}({args})", s.name)
}

/// What the compiled stack gives a reference (redacted of sensitive values).
fn value_of(c: &Compiled, r: &Ref) -> String {
    let head = format!("**{}.{}**", r.ns, r.name);
    let body = match r.ns.as_str() {
        "var" | "local" | "module" => values_of(c, r),
        _ => resource_exports(c, r),
    };
    let body = body.unwrap_or_else(|| {
        "(no value: the stack does not evaluate; see its diagnostics)".to_string()
    });
    redact_text(&format!("{head}\n\n{body}"), &c.sources.secrets)
}

fn values_of(c: &Compiled, r: &Ref) -> Option<String> {
    let v = c.values.as_ref()?;
    let table = match r.ns.as_str() {
        "var" => &v.vars,
        "local" => &v.locals,
        _ => &v.modules,
    };
    let mut value = table.get(&r.name)?.to_json();
    if let (Some(attr), "module") = (&r.attr, r.ns.as_str()) {
        value = value.get(attr)?.clone();
    }
    Some(code(&value))
}

fn code(v: &serde_json::Value) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    format!("```json\n{text}\n```")
}

fn resource_exports(c: &Compiled, r: &Ref) -> Option<String> {
    let d = c.desired.as_ref()?;
    let account = d
        .stack
        .account_id
        .clone()
        .unwrap_or_else(|| "123456789012".into());
    let issuers = HashMap::new();
    let ctx = Ctx {
        account: &account,
        partition: &d.stack.partition,
        default_region: d.aws.region.as_deref(),
        issuers: &issuers,
    };
    let mut out = vec![];
    for res in d.resources.iter().filter(|x| {
        x.address.module.is_empty() && x.address.kind == r.ns && x.address.label == r.name
    }) {
        let exports = eksfed_compiler::kinds::exports(&res.kind, &ctx);
        let shown: serde_json::Map<String, serde_json::Value> = exports
            .iter()
            .filter(|(k, _)| r.attr.as_ref().is_none_or(|a| a == *k))
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        out.push(format!(
            "`{}`\n{}",
            res.address,
            code(&serde_json::Value::Object(shown))
        ));
    }
    if r.ns == "role" {
        out.extend(access_of(d, &out_arns(d, r)));
    }
    if !c.account_known && !out.is_empty() {
        out.push("(the stack sets no account id: ARNs show a placeholder account)".into());
    }
    (!out.is_empty()).then(|| out.join("\n\n"))
}

fn out_arns(d: &eksfed_compiler::desired::model::DesiredState, r: &Ref) -> Vec<String> {
    d.resources
        .iter()
        .filter(|x| {
            x.address.module.is_empty() && x.address.kind == r.ns && x.address.label == r.name
        })
        .filter_map(|x| x.arn().map(str::to_string))
        .collect()
}

/// What `eksfed access` says of these roles: who may assume them and where they are mapped
/// (the offline model, from the desired state).
fn access_of(d: &eksfed_compiler::desired::model::DesiredState, arns: &[String]) -> Option<String> {
    use eksfed_compiler::review::access_model;
    let model = access_model::from_desired(d);
    let mine = |arn: &Option<String>| arn.as_ref().is_some_and(|a| arns.contains(a));
    let selected = access_model::AccessModel {
        format_version: model.format_version,
        paths: model
            .paths
            .iter()
            .filter(|p| mine(&p.role))
            .cloned()
            .collect(),
        limits: vec![],
        permissions: model
            .permissions
            .iter()
            .filter(|(k, _)| arns.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    if selected.paths.is_empty() {
        return Some("**Access**: no identity reaches a cluster through this role".into());
    }
    Some(format!(
        "**Access** (`eksfed access`):\n```\n{}\n```",
        access_model::text(&selected).trim_end()
    ))
}
