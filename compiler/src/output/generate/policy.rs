//! Customer managed policies the generated roles use, and policy documents as `statement`
//! blocks (a policy's, a role's inline policies) when they compile to exactly the live
//! document, else `document = jsonencode(...)`.

use super::block::{address, Block};
use super::ctx::{Ctx, Read, Want};
use super::hcl::{self, q};
use crate::iam;
use crate::iam::statement::{statements, Form, Statement};
use crate::kinds::policy::SCHEMA as POLICY;
use crate::language::schema::types::{CONDITION, STATEMENT};
use crate::plan::live::LiveObject;
use crate::plan::rendered::RenderedKind;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

/// The `policy` blocks of the customer managed policies the owned roles attach or use as
/// their boundary, by name; labels their ARNs for the roles' references.
pub(super) fn write(c: &mut Ctx<'_>, read: &Read<'_>, want: &BTreeMap<String, Want>) -> String {
    let mut pol_arns: BTreeSet<String> = BTreeSet::new();
    for (name, w) in want {
        if *w != Want::Owned {
            continue;
        }
        let r = &read.roles[name.as_str()];
        pol_arns.extend(r.policies.iter().cloned());
        pol_arns.extend(r.permissions_boundary.map(String::from));
    }
    let mut out = String::new();
    let mut by_name: Vec<(&str, &LiveObject)> = pol_arns
        .iter()
        .filter_map(|a| read.policies.get(a.as_str()).map(|o| (a.as_str(), *o)))
        .collect();
    by_name.sort_by_key(|(a, _)| a.rsplit('/').next().unwrap_or(a).to_string());
    for (arn, o) in by_name {
        let RenderedKind::Policy { name, document, .. } = &o.piece else {
            continue;
        };
        if let Some(other) = c.owned_elsewhere(&o.owner) {
            c.note(format!(
                "left out: policy {name}: owned by the eksfed stack `{other}` (referenced by ARN)"
            ));
            continue;
        }
        let label = c.labels.take(POLICY.name, name);
        c.policy_labels.insert(arn.to_string(), label.clone());
        let address = address(&POLICY, &label);
        let mut b = Block::labeled(&POLICY, &label);
        b.lines(&c.allow_lines(&address, &[]));
        // The document (`Any` in the schema) is written last, as statement blocks.
        for (attr, v) in b.live_attrs(&o.piece) {
            b.live(attr, &v);
        }
        write_document(&mut b, document);
        out.push_str(&b.close());
        out.push('\n');
        c.import(address, name.clone());
        c.count(POLICY.name);
    }
    out
}

/// A policy document into `b` (a `policy` or `inline_policy` block): as `statement` blocks
/// when they compile to exactly it, else `document = jsonencode(...)`.
pub(super) fn write_document(b: &mut Block, doc: &Json) {
    match statements_hcl(doc) {
        Some(s) => b.lines(&s),
        None => b.attr("document", &format!("jsonencode({})", hcl::json_expr(doc))),
    }
}

fn statements_hcl(doc: &Json) -> Option<String> {
    let obj = doc.as_object()?;
    if obj.keys().any(|k| k != "Version" && k != "Statement")
        || doc.get("Version").and_then(Json::as_str) != Some(iam::VERSION)
    {
        return None;
    }
    let mut out = String::new();
    let mut rebuilt = vec![];
    for st in statements(doc) {
        let (text, r) = statement_hcl(&st)?;
        out.push_str(&text);
        rebuilt.push(r);
    }
    if rebuilt.is_empty() {
        return None;
    }
    (iam::canonical(&iam::document(rebuilt)) == iam::canonical(doc)).then_some(out)
}

/// One statement as a `statement` block, and the statement that block compiles to; `None` for
/// what the block cannot say (principals, keys it has no attribute for, values other than
/// strings, numbers and booleans in conditions).
fn statement_hcl(st: &Statement) -> Option<(String, Json)> {
    if st.form > Form::Scalars
        || !st.other_keys.is_empty()
        || st.principal.is_some()
        || st.not_principal.is_some()
    {
        return None;
    }
    let mut b = Block::unlabeled(&STATEMENT);
    let mut r = serde_json::Map::new();
    if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty()) {
        b.attr("sid", &q(sid));
        r.insert("Sid".into(), json!(sid));
    }
    let effect = st.effect.as_deref().unwrap_or("Allow");
    if effect != "Allow" {
        b.attr("effect", &q(effect));
    }
    r.insert("Effect".into(), json!(effect));
    // The schema has no JSON name for its attributes: re-spelled here until it does.
    for (key, attr, vals) in [
        ("Action", "actions", &st.action),
        ("NotAction", "not_actions", &st.not_action),
        ("Resource", "resources", &st.resource),
        ("NotResource", "not_resources", &st.not_resource),
    ] {
        if let Some(vals) = vals {
            b.attr(attr, &hcl::list(vals));
            r.insert(key.to_string(), iam::one_or_many(vals));
        }
    }
    if let Some(conds) = &st.condition {
        let mut rc = serde_json::Map::new();
        for c in conds {
            let ro = rc.entry(c.op.clone()).or_insert_with(|| json!({}));
            let key = c.key.as_ref()?;
            let mut cb = Block::unlabeled(&CONDITION);
            cb.attr("test", &q(&c.op));
            cb.attr("variable", &q(key));
            cb.attr("values", &hcl::list(&c.values));
            b.lines(&cb.close());
            ro[key] = iam::one_or_many(&c.values);
        }
        r.insert("Condition".into(), Json::Object(rc));
    }
    Some((b.close(), Json::Object(r)))
}
