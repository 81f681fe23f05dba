//! `variable { sensitive = true }`, whose values plans of untrusted changes must not show: which parts of the
//! desired state derive from a sensitive value, so plans and diagnostics can hide them.
//!
//! Taint is found by difference, not carried on [`Value`]: when a stack has sensitive
//! variables the compiler evaluates it a second time with each of their values perturbed
//! (every letter and digit shifted, numbers incremented, booleans flipped). Every field of
//! the rendered desired state that differs between the two runs derives from a sensitive
//! value, whatever functions, templates, lists or documents carried it there. A resource only
//! one run has is sensitive as a whole. When the perturbed run fails (a value used as a lookup
//! key, say), a second one appends a character instead; when that fails too, every value of
//! every resource is taken as sensitive: eksfed hides what it cannot prove harmless. The values themselves, and the derived ones, are the
//! `secrets` that diagnostics never echo.

use crate::desired::model::DesiredState;
use crate::diag::FileId;
use crate::language::value::Value;
use crate::plan::Plan;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};
use indexmap::IndexMap;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

use crate::desired::redact::{redact_text, REDACTED};

/// The sensitive parts of a compiled stack.
#[derive(Debug, Clone, Default)]
pub struct Sensitive {
    /// By resource address: the paths, in the rendered resource (`description`,
    /// `tags.team`, `trust_policy.Statement[0].Condition`), of values derived from a
    /// sensitive variable.
    pub paths: BTreeMap<String, Vec<String>>,
    /// The texts to hide wherever they appear: the sensitive values and the values derived
    /// from them, longest first.
    pub secrets: Vec<String>,
}

/// The path, among a change's sensitive paths, that says its address holds a sensitive
/// value (a `for_each` key): text and markdown show [`shown_address`].
pub const ADDRESS: &str = "address";

/// An address as text and markdown plans show it: with its key redacted when `sensitive`
/// (the change's sensitive paths) holds [`ADDRESS`].
pub fn shown_address(address: &str, sensitive: &[String]) -> String {
    if !sensitive.iter().any(|p| p == ADDRESS) {
        return address.to_string();
    }
    match crate::language::value::Address::parse(address) {
        Some(a) if a.key.is_some() => crate::language::value::Address {
            key: Some(REDACTED.to_string()),
            ..a
        }
        .to_string(),
        _ => address.to_string(),
    }
}

/// Sensitive variables during one evaluation of a stack: whether to perturb their values
/// (the second run), and their real values (collected).
#[derive(Debug, Default)]
pub struct VarTaint {
    /// 0: real values; 1: letters and digits shifted; 2: a character appended (for a stack
    /// that does not evaluate with shifted values).
    pub perturb: u8,
    pub values: Vec<Value>,
}

/// How many perturbed evaluations are tried before everything is taken as sensitive.
pub const PERTURBATIONS: u8 = 2;

/// Names of the variables declared with `sensitive = true`.
pub fn sensitive_names(blocks: &[(FileId, &Block)]) -> Vec<String> {
    blocks
        .iter()
        .filter(|(_, b)| {
            b.body.iter().any(|s| match s {
                Structure::Attribute(a) => {
                    a.key.value().as_str() == "sensitive"
                        && matches!(&a.value, Expression::Bool(v) if *v.value())
                }
                Structure::Block(_) => false,
            })
        })
        .filter_map(|(_, b)| b.labels.first().map(crate::language::evblock::label_text))
        .collect()
}

/// Records the sensitive variables' values in `taint` and, on the perturbed run, perturbs them.
pub fn taint_variables(
    blocks: &[(FileId, &Block)],
    mut vars: IndexMap<String, Value>,
    taint: &mut VarTaint,
) -> IndexMap<String, Value> {
    for name in sensitive_names(blocks) {
        if let Some(v) = vars.get_mut(&name) {
            taint.values.push(v.clone());
            if taint.perturb > 0 {
                *v = perturb(v, taint.perturb);
            }
        }
    }
    vars
}

/// A different value of the same shape. Mode 1: every letter and digit shifted by one
/// (`z` → `a`, `9` → `0`), so ARNs, account ids, JSON and names keep their form; mode 2: `0`
/// appended to every string. An empty string becomes `a`.
pub fn perturb(v: &Value, mode: u8) -> Value {
    match v {
        Value::String(s) if s.is_empty() => Value::String("a".into()),
        Value::String(s) if mode == 2 => Value::String(format!("{s}0")),
        Value::String(s) => Value::String(
            s.chars()
                .map(|c| match c {
                    'a'..='y' | 'A'..='Y' | '0'..='8' => char::from(c as u8 + 1),
                    'z' => 'a',
                    'Z' => 'A',
                    '9' => '0',
                    other => other,
                })
                .collect(),
        ),
        Value::Number(n) => Value::Number(n + 1.0),
        Value::Bool(b) => Value::Bool(!b),
        Value::List(l) => Value::List(l.iter().map(|x| perturb(x, mode)).collect()),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), perturb(v, mode)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Compares the desired state with the one from perturbed sensitive values and collects what
/// is sensitive. `None` (no perturbed run evaluated): every field of every resource is.
pub fn analyse(
    real: Option<&DesiredState>,
    perturbed: Option<&DesiredState>,
    values: &[Value],
) -> Sensitive {
    let mut secrets = BTreeSet::new();
    for v in values {
        leaves(&v.to_json(), &mut secrets);
    }
    // `upper()`/`lower()` of a value, which a message might quote on its own.
    let cased: Vec<String> = secrets
        .iter()
        .flat_map(|s| [s.to_uppercase(), s.to_lowercase()])
        .collect();
    secrets.extend(cased);
    let mut out = Sensitive::default();
    if let Some(real) = real {
        let real = crate::plan::render::render(real);
        let other = perturbed.map(crate::plan::render::render);
        for r in &real.resources {
            let a = resource_json(r);
            let mut paths = BTreeSet::new();
            match other
                .as_ref()
                .and_then(|o| o.resources.iter().find(|o| o.address == r.address))
            {
                Some(o) => differences(&a, &resource_json(o), "", &mut paths),
                None => {
                    if let Json::Object(m) = &a {
                        paths.extend(m.keys().map(|k| join_key("", k)));
                    }
                    // Its address too: a `for_each` key made from a sensitive value.
                    paths.insert(ADDRESS.to_string());
                    if let Some(key) =
                        crate::language::value::Address::parse(&r.address).and_then(|a| a.key)
                    {
                        if key.chars().count() >= 4 {
                            secrets.insert(key);
                        }
                    }
                }
            }
            if paths.is_empty() {
                continue;
            }
            let paths: Vec<String> = paths.into_iter().collect();
            let mut derived = BTreeSet::new();
            collect_at(&a, "", &paths, &mut derived);
            // Short derived texts (`1`, `*`) would blank out every diagnostic.
            secrets.extend(derived.into_iter().filter(|s| s.chars().count() >= 4));
            out.paths.insert(r.address.clone(), paths);
        }
    }
    let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    out.secrets = secrets;
    out
}

/// Fills each change's `sensitive` paths from what the compile found.
pub fn mark(plan: &mut Plan, sensitive: &Sensitive) {
    for c in &mut plan.changes {
        if c.after.is_some() {
            c.sensitive = sensitive.paths.get(&c.address).cloned().unwrap_or_default();
        }
        // The security review quotes values (principals, conditions, resources): apply does
        // not need its text, so it is redacted in every output, JSON included — the values
        // of now and, at the same paths, the live values they replace (an earlier value of
        // the variable).
        if c.security.is_empty() {
            continue;
        }
        let mut secrets = sensitive.secrets.clone();
        if c.before.is_some() {
            live_values(c, &mut secrets);
            secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            secrets.dedup();
        }
        for item in &mut c.security {
            item.message = redact_text(&item.message, &secrets);
            for t in [&mut item.before, &mut item.after].into_iter().flatten() {
                *t = redact_text(t, &secrets);
            }
        }
    }
}

/// The live values (of four characters or more) a change replaces at its sensitive paths:
/// an earlier value of a sensitive variable, which outputs hide like the current one.
fn live_values(c: &crate::plan::Change, out: &mut Vec<String>) {
    let Some(before) = &c.before else { return };
    let set: BTreeSet<&str> = c.sensitive.iter().map(String::as_str).collect();
    if let Json::Object(m) = resource_json(before) {
        for (k, v) in &m {
            values_at(v, &join_key("", k), &set, out);
        }
    }
}

/// The texts every output drawn from this plan's live state hides (`access --live`): the
/// sensitive values and what derives from them, and the live values at the sensitive paths
/// of each change ([`mark`] must have filled them), longest first.
pub fn secrets_with_live(plan: &Plan, sensitive: &Sensitive) -> Vec<String> {
    let mut secrets = sensitive.secrets.clone();
    for c in &plan.changes {
        live_values(c, &mut secrets);
    }
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    secrets.dedup();
    secrets
}

/// A rendered resource's fields (no `address`, no `type`) with the values at `paths`
/// replaced by [`REDACTED`].
pub fn redact_fields(fields: &mut serde_json::Map<String, Json>, paths: &[String]) {
    if paths.is_empty() {
        return;
    }
    let set: BTreeSet<&str> = paths.iter().map(String::as_str).collect();
    for (k, v) in fields.iter_mut() {
        redact_at(v, &join_key("", k), &set);
    }
}

fn redact_at(v: &mut Json, path: &str, set: &BTreeSet<&str>) {
    if set.contains(path) {
        if !v.is_null() {
            *v = Json::String(REDACTED.into());
        }
        return;
    }
    match v {
        Json::Object(m) => {
            for (k, x) in m.iter_mut() {
                redact_at(x, &join_key(path, k), set);
            }
        }
        Json::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                redact_at(x, &format!("{path}[{i}]"), set);
            }
        }
        _ => {}
    }
}

/// The texts (of four characters or more) at `paths` in a rendered value.
fn values_at(v: &Json, path: &str, set: &BTreeSet<&str>, out: &mut Vec<String>) {
    if set.contains(path) {
        let text = match v {
            Json::Null => return,
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        if text.chars().count() >= 4 {
            out.push(text);
        }
        return;
    }
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                values_at(x, &join_key(path, k), set, out);
            }
        }
        Json::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                values_at(x, &format!("{path}[{i}]"), set, out);
            }
        }
        _ => {}
    }
}

fn resource_json(r: &crate::plan::rendered::RenderedResource) -> Json {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Json::Object(m) = &mut v {
        m.remove("address");
        m.remove("type");
    }
    v
}

/// `prefix.key`, or `prefix["key"]` for a key that is not a plain name.
fn join_key(prefix: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (plain, prefix.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{prefix}.{key}"),
        (false, _) => format!("{prefix}[{}]", Json::String(key.to_string())),
    }
}

/// Paths where `a` and `b` differ: the deepest node whose shape still matches.
fn differences(a: &Json, b: &Json, path: &str, out: &mut BTreeSet<String>) {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let same_keys = x.len() == y.len() && x.keys().all(|k| y.contains_key(k));
            if !same_keys {
                // Keys derived from a sensitive value: the whole object (its keys would show).
                if path.is_empty() {
                    for k in x.keys() {
                        if y.get(k) != x.get(k) {
                            out.insert(join_key("", k));
                        }
                    }
                } else {
                    out.insert(path.to_string());
                }
                return;
            }
            for (k, v) in x {
                differences(v, &y[k], &join_key(path, k), out);
            }
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => {
            out.insert(path.to_string());
        }
        _ => {}
    }
}

/// The leaf texts (strings and numbers) of the values at `paths`.
fn collect_at(v: &Json, path: &str, paths: &[String], out: &mut BTreeSet<String>) {
    if !path.is_empty() && paths.iter().any(|p| p == path) {
        leaves(v, out);
        return;
    }
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                collect_at(x, &join_key(path, k), paths, out);
            }
        }
        Json::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_at(x, &format!("{path}[{i}]"), paths, out);
            }
        }
        _ => {}
    }
}

fn leaves(v: &Json, out: &mut BTreeSet<String>) {
    match v {
        Json::String(s) => {
            out.insert(s.clone());
        }
        Json::Number(n) => {
            out.insert(n.to_string());
        }
        Json::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        Json::Object(m) => m.values().for_each(|x| leaves(x, out)),
        _ => {}
    }
}
