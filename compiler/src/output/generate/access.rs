//! `access` blocks: the people mapped into the cluster, from `aws-auth` entries (other than
//! nodes'), access entries (STANDARD, not EKS's), or both when the cluster uses both and the
//! two sides agree.

use super::block::{address, Block};
use super::ctx::{arn_account_and_name, is_node_entry, Ctx, Read};
use super::hcl::{self, q};
use crate::kinds::access::SCHEMA as ACCESS;
use crate::kinds::cluster::SCHEMA as CLUSTER;
use crate::kinds::role::SCHEMA as ROLE;
use crate::plan::rendered::strip_role_path;
use crate::plan::rendered::AccessEntry;
use crate::plan::rendered::AccessPolicyAssociation;
use std::collections::{BTreeMap, BTreeSet};

/// One principal mapped into the cluster.
struct Acc {
    arn: String,
    is_user: bool,
    username: Option<String>,
    groups: Vec<String>,
    policies: Vec<AccessPolicyAssociation>,
    import_id: String,
}

/// The Kubernetes groups and usernames the generated `access` blocks map people to.
#[derive(Default)]
pub(super) struct Mapped {
    pub groups: BTreeSet<String>,
    pub users: BTreeSet<String>,
}

/// The `access` blocks, and whom they map.
pub(super) fn write(c: &mut Ctx<'_>, read: &Read<'_>) -> (String, Mapped) {
    let accs = match c.mode {
        "aws_auth" | "both" => from_aws_auth(c, read),
        _ => from_entries(c, read),
    };
    let mut mapped = Mapped::default();
    let mut out = String::new();
    for a in &accs {
        let role_label = (!a.is_user).then(|| c.role_ref_by_arn(&a.arn)).flatten();
        let wanted = role_label.clone().unwrap_or_else(|| {
            a.arn
                .rsplit(['/', ':'])
                .next()
                .unwrap_or(&a.arn)
                .to_string()
        });
        let label = c.labels.take(ACCESS.name, &wanted);
        let to = address(&ACCESS, &label);
        let mut b = Block::labeled(&ACCESS, &label);
        b.lines(&c.allow_lines(&to, &[]));
        b.attr("cluster", &address(&CLUSTER, &c.cluster_label));
        match (&role_label, a.is_user) {
            (Some(l), _) => b.attr("role", &address(&ROLE, l)),
            (None, true) => b.attr("user_arn", &q(&a.arn)),
            (None, false) => b.attr("role_arn", &q(&a.arn)),
        }
        if let Some(u) = &a.username {
            b.attr("username", &q(u));
            mapped.users.insert(u.clone());
        }
        if !a.groups.is_empty() {
            b.attr("groups", &hcl::list(&a.groups));
        }
        mapped.groups.extend(a.groups.iter().cloned());
        if c.uses_entries() && !a.policies.is_empty() {
            b.attr("access_policies", &access_policies(c, &a.policies));
        }
        out.push_str(&b.close());
        out.push('\n');
        c.import(to, a.import_id.clone());
        c.count(ACCESS.name);
    }
    (out, mapped)
}

/// `[{ policy = "NAME", scope = "...", namespaces = [...] }, ...]`, one a line.
fn access_policies(c: &Ctx<'_>, policies: &[AccessPolicyAssociation]) -> String {
    let prefix = format!("arn:{}:eks::aws:cluster-access-policy/", c.s.partition);
    let mut s = String::from("[\n");
    for p in policies {
        let name = p.policy_arn.strip_prefix(&prefix).unwrap_or(&p.policy_arn);
        let mut item = format!(
            "{{ policy = {}, scope = {}",
            q(name),
            q(&p.access_scope.scope_type)
        );
        if !p.access_scope.namespaces.is_empty() {
            item.push_str(&format!(
                ", namespaces = {}",
                hcl::list(&p.access_scope.namespaces)
            ));
        }
        item.push_str(" },\n");
        s.push_str(&item);
    }
    s.push(']');
    s
}

/// The `aws-auth` entries to generate (with `both`, each with its agreeing access entry).
fn from_aws_auth(c: &mut Ctx<'_>, read: &Read<'_>) -> Vec<Acc> {
    let s = c.s;
    let by_stripped: BTreeMap<String, &AccessEntry> = read
        .entries
        .values()
        .map(|(e, _)| (strip_role_path(&e.principal_arn), *e))
        .collect();
    let mut accs = vec![];
    for e in &read.aws_auth {
        let arn = e.arn().to_string();
        if is_node_entry(e) {
            continue;
        }
        if let Some(other) = s.aws_auth_owners.get(&arn).filter(|o| **o != s.stack) {
            c.note(format!(
                "left out: aws-auth entry {arn}: owned by the eksfed stack `{other}`"
            ));
            continue;
        }
        let is_user = e.userarn.is_some();
        let full = if is_user {
            arn.clone()
        } else {
            // The role's ARN with its path (aws-auth has it stripped).
            arn_account_and_name(&arn, ":role/")
                .and_then(|(acct, n)| (acct == s.account_id).then_some(n))
                .and_then(|n| read.roles.get(n))
                .map(|r| r.arn.to_string())
                .unwrap_or_else(|| arn.clone())
        };
        if !is_user && strip_role_path(&arn) != arn {
            c.note(format!("left out: aws-auth entry {arn}: its rolearn has a path, which aws-iam-authenticator does not match"));
            continue;
        }
        let mut acc = Acc {
            arn: full,
            is_user,
            username: e.username.clone(),
            groups: e.groups.clone(),
            policies: vec![],
            import_id: arn.clone(),
        };
        if c.mode == "both" {
            let Some(ae) = by_stripped.get(&arn) else {
                c.note(format!("left out: aws-auth entry {arn}: it has no access entry, and access_mode \"both\" would add one"));
                continue;
            };
            let mut g1 = ae.kubernetes_groups.clone();
            let mut g2 = e.groups.clone();
            g1.sort();
            g2.sort();
            if g1 != g2 || (e.username.is_some() && e.username != ae.username) {
                c.note(format!("left out: {arn}: its aws-auth entry and access entry differ (username or groups)"));
                continue;
            }
            acc.policies = ae.access_policies.clone();
        }
        accs.push(acc);
    }
    if c.mode == "both" {
        let mapped: BTreeSet<String> = read.aws_auth.iter().map(|e| e.arn().to_string()).collect();
        for (arn, (e, _)) in &read.entries {
            if e.entry_type == "STANDARD" && !mapped.contains(&strip_role_path(arn)) {
                c.note(format!("left out: access entry {arn}: it has no aws-auth entry, and access_mode \"both\" would add one"));
            }
        }
    }
    accs
}

/// The access entries to generate (API mode).
fn from_entries(c: &mut Ctx<'_>, read: &Read<'_>) -> Vec<Acc> {
    let mut accs = vec![];
    for (arn, (e, o)) in &read.entries {
        if e.entry_type != "STANDARD" {
            continue;
        }
        if let Some(other) = c.owned_elsewhere(&o.owner) {
            c.note(format!(
                "left out: access entry {arn}: owned by the eksfed stack `{other}`"
            ));
            continue;
        }
        if e.username.as_deref().is_some_and(|u| u.starts_with("eks:"))
            || arn.contains(":role/aws-service-role/")
        {
            c.note(format!("left out: access entry {arn}: made by EKS"));
            continue;
        }
        accs.push(Acc {
            arn: arn.to_string(),
            is_user: arn.contains(":user/"),
            username: e.username.clone(),
            groups: e.kubernetes_groups.clone(),
            policies: e.access_policies.clone(),
            import_id: arn.to_string(),
        });
    }
    accs
}
