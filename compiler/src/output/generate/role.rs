//! Roles: which are generated (those trusting the cluster's provider, mapped into the cluster
//! or used by a pod identity association; `existing` under `/aws-reserved/`), their labels,
//! and their `role` blocks (with `--group`, `group.rs` writes roles of one shape under one block first).

use super::block::{address, Block};
use super::ctx::{
    arn_account_and_name, condition_values, is_node_entry, principal_values, Ctx, Read, RoleInfo,
    Want,
};
use super::hcl::{self, q};
use super::trust::role_trusts;
use super::{labels, policy};
use crate::iam::statement::statements;
use crate::kinds::role::{INLINE_POLICY, SCHEMA as ROLE};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// The roles to generate, by name, with their labels handed out (in name order).
pub(super) fn select(c: &mut Ctx<'_>, read: &Read<'_>) -> BTreeMap<String, Want> {
    let s = c.s;
    let mut want: BTreeMap<String, Want> = BTreeMap::new();
    for (name, r) in &read.roles {
        let names_provider = statements(r.trust_policy)
            .iter()
            .any(|st| principal_values(st, "Federated").contains(&c.cluster_provider_arn));
        if names_provider {
            consider(
                c,
                read,
                &mut want,
                name,
                "trusts the cluster's OIDC provider",
            );
        }
    }
    let mut node_roles = BTreeSet::new();
    let mut mapped: Vec<(&str, &str)> = vec![];
    if c.uses_aws_auth() {
        for e in &read.aws_auth {
            if is_node_entry(e) {
                node_roles.insert(e.arn().to_string());
            } else {
                mapped.push((e.arn(), "mapped in aws-auth"));
            }
        }
    }
    if c.uses_entries() {
        for (arn, (e, _)) in &read.entries {
            if e.entry_type != "STANDARD" {
                node_roles.insert(arn.to_string());
            } else {
                mapped.push((*arn, "has an access entry"));
            }
        }
    }
    for p in read.pias.values() {
        mapped.push((&p.role_arn, "used by a pod identity association"));
    }
    for (arn, why) in mapped {
        if let Some((acct, name)) = arn_account_and_name(arn, ":role/") {
            if acct == s.account_id {
                consider(c, read, &mut want, name, why);
            }
        }
    }
    for arn in &node_roles {
        c.note(format!(
            "left out: node role {arn} and its cluster entry (made by EKS for nodes)"
        ));
    }
    for name in want.keys() {
        let r = &read.roles[name.as_str()];
        // eksctl cuts its role names to 64 characters: the service account names it better.
        let wanted = match single_subject(r.trust_policy, &c.host) {
            Some(sa) if name.starts_with("eksctl-") => sa,
            _ => labels::role_label(name, &s.cluster.name),
        };
        let l = c.labels.take(ROLE.name, &wanted);
        c.role_labels.insert(r.name.to_string(), l);
    }
    want
}

/// Adds role `name` (read, for `why`) to `want` unless another stack or AWS owns it.
fn consider(
    c: &mut Ctx<'_>,
    read: &Read<'_>,
    want: &mut BTreeMap<String, Want>,
    name: &str,
    why: &str,
) {
    let Some(r) = read.roles.get(name) else {
        return;
    };
    if let Some(other) = c.owned_elsewhere(&r.obj.owner) {
        c.note(format!(
            "left out: role {name} ({why}): owned by the eksfed stack `{other}`"
        ));
        return;
    }
    if r.path.starts_with("/aws-service-role/") {
        c.note(format!(
            "left out: role {name}: a service-linked role (made by AWS)"
        ));
        return;
    }
    if r.path.starts_with("/aws-reserved/") {
        want.entry(name.to_string()).or_insert(Want::Existing);
        return;
    }
    want.insert(name.to_string(), Want::Owned);
}

/// The `role` blocks of the roles not `grouped` (by `--group`).
pub(super) fn write(
    c: &mut Ctx<'_>,
    read: &Read<'_>,
    want: &BTreeMap<String, Want>,
    grouped: &BTreeSet<String>,
) -> String {
    let mut out = String::new();
    for (name, w) in want {
        if grouped.contains(name) {
            continue;
        }
        let r = &read.roles[name.as_str()];
        let label = c.role_labels[name].clone();
        let address = address(&ROLE, &label);
        let mut b = Block::labeled(&ROLE, &label);
        if *w == Want::Existing {
            b.attr("name", &q(r.name));
            b.attr("path", &q(r.path));
            b.lines("# made by AWS (under /aws-reserved/): used, never changed\n");
            b.attr("existing", "true");
            out.push_str(&b.close());
            out.push('\n');
            c.note(format!("existing: role {} (under {})", r.name, r.path));
            c.count(ROLE.name);
            continue;
        }
        let (trusts, wildcard) = role_trusts(c, r);
        b.lines(&c.allow_lines(&address, &wildcard_allow(wildcard)));
        b.lines(&role_body(c, r, &q(r.name), &trusts));
        out.push_str(&b.close());
        out.push('\n');
        c.import(address, r.name.to_string());
        c.count(ROLE.name);
    }
    out
}

/// The lint a wildcard service account trust silences.
pub(super) fn wildcard_allow(wildcard: bool) -> Vec<(&'static str, &'static str)> {
    if wildcard {
        vec![("EKS001", "the live trust policy matches service accounts with a wildcard; kept as is (review it)")]
    } else {
        vec![]
    }
}

/// A role block's attributes after `allow_lints`: `name = NAME_EXPR`, then what the live role
/// has (the schema's attributes, in its order), with `trusts` as its trust blocks before
/// `policies`, then its inline policies.
pub(super) fn role_body(c: &Ctx<'_>, r: &RoleInfo<'_>, name_expr: &str, trusts: &str) -> String {
    let mut b = Block::body(&ROLE);
    let mut trusts = Some(trusts);
    for (attr, v) in b.live_attrs(&r.obj.piece) {
        match attr.name {
            "name" => b.attr(attr.name, name_expr),
            // Policies by reference, `aws_managed_policy(...)`, or ARN.
            "permissions_boundary" => {
                if let Some(p) = v.as_str() {
                    b.attr(attr.name, &c.policy_expr(p));
                }
            }
            "policies" => {
                b.lines(trusts.take().unwrap_or_default());
                let mut exprs: Vec<String> = r.policies.iter().map(|p| c.policy_expr(p)).collect();
                exprs.sort();
                if !exprs.is_empty() {
                    b.attr(attr.name, &hcl::list_of(&exprs));
                }
            }
            _ => b.live(attr, &v),
        }
    }
    b.lines(trusts.unwrap_or_default());
    for (pname, doc) in &r.inline_policies {
        let mut inline = Block::labeled(&INLINE_POLICY, pname);
        policy::write_document(&mut inline, doc);
        b.lines(&inline.close());
    }
    b.into_body()
}

/// The one service account a trust policy lets in through the cluster's issuer, if one.
fn single_subject(trust: &Json, host: &str) -> Option<String> {
    let key = format!("{host}:sub");
    let subs: Vec<String> = statements(trust)
        .iter()
        .flat_map(|st| condition_values(st, &key))
        .collect();
    match subs.as_slice() {
        [one] => one.rsplit(':').next().map(String::from),
        _ => None,
    }
}
