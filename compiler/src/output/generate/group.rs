//! `eksfed generate --group`: repeated shapes under one block with `for_each`.
//!
//! Roles group when everything but their name is the same (for a role whose one trust
//! statement is a service account trust on the cluster's provider, everything but the name, the
//! namespace and the names): `name = each.key`, and the namespace and names from `each.value`.
//! A group's text is the one block each of its roles would get, with those three replaced by
//! `each.*` — checked by writing the member's own trust block from its namespace and names and
//! comparing it with the one the generator writes for it — so every instance compiles to what
//! the role's own block would and the round trip stays a no-op. Their service accounts (the
//! same mode, roles of one group) group the same way, `role = role.GROUP[each.value.role]`.
//! Only groups of two or more; the rest stay one block each.

use super::block::{address, Block};
use super::ctx::{condition_values, Ctx, RoleInfo, Want};
use super::hcl::{self, q};
use super::role::{role_body, wildcard_allow};
use super::service_account::{write_mode, SaEntry};
use super::trust::{role_trusts, service_account_block, trust_block};
use crate::iam::statement::{raw_statements, Statement};
use crate::kinds::cluster::SCHEMA as CLUSTER;
use crate::kinds::role::{SCHEMA as ROLE, TRUST_POD_IDENTITY, TRUST_SERVICE_ACCOUNT};
use crate::kinds::service_account::SCHEMA as SERVICE_ACCOUNT;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// A member's `each.value` under a service account trust: (namespace, names).
type Subjects = Option<(String, Vec<String>)>;

/// The namespace and names of a role's single service account trust on the cluster's
/// provider, when the generator writes it as exactly that typed block (no wildcard).
fn irsa_subjects(c: &Ctx<'_>, st: &Json) -> Subjects {
    let (text, wildcard) = trust_block(c, st);
    if wildcard || !text.starts_with(&format!("{} {{", TRUST_SERVICE_ACCOUNT.name)) {
        return None;
    }
    let key = format!("{}:sub", c.host);
    let subs = condition_values(&Statement::read(st), &key);
    let mut ns = None;
    let mut names = vec![];
    for s in &subs {
        let (n, name) = s.strip_prefix("system:serviceaccount:")?.split_once(':')?;
        if ns.get_or_insert(n) != &n {
            return None;
        }
        names.push(name.to_string());
    }
    let ns = ns?.to_string();
    // Exactly the block the generator writes for this role alone.
    let own = service_account_block(c, &q(&ns), &hcl::list(&names), false);
    (own == text).then_some((ns, names))
}

struct Member {
    name: String,
    subjects: Subjects,
}

/// Groups the owned roles of `want`; writes the group blocks to `out`, points the members'
/// references (`role_labels`) at `GROUP["NAME"]`, adds their imports, returns their names.
pub(super) fn roles(
    c: &mut Ctx<'_>,
    want: &BTreeMap<String, Want>,
    roles: &BTreeMap<&str, RoleInfo<'_>>,
    out: &mut String,
) -> BTreeSet<String> {
    // shape (the block's text with each.*) → (wildcard, members)
    let mut shapes: BTreeMap<String, (bool, Vec<Member>)> = BTreeMap::new();
    for (name, w) in want {
        if *w != Want::Owned {
            continue;
        }
        let r = &roles[name.as_str()];
        let statements = raw_statements(r.trust_policy);
        let subjects = match statements.as_slice() {
            [st] => irsa_subjects(c, st),
            _ => None,
        };
        let (shape, wildcard) = if subjects.is_some() {
            let trust = service_account_block(c, "each.value.namespace", "each.value.names", false);
            (role_body(c, r, "each.key", &trust), false)
        } else {
            let (trusts, wildcard) = role_trusts(c, r);
            (role_body(c, r, "each.key", &trusts), wildcard)
        };
        let e = shapes.entry(shape).or_insert((wildcard, vec![]));
        e.1.push(Member {
            name: name.clone(),
            subjects,
        });
    }
    let mut groups: Vec<(String, bool, Vec<Member>)> = shapes
        .into_iter()
        .filter(|(_, (_, m))| m.len() >= 2)
        .map(|(shape, (w, m))| (shape, w, m))
        .collect();
    groups.sort_by(|a, b| a.2[0].name.cmp(&b.2[0].name));
    let mut grouped = BTreeSet::new();
    for (body, wildcard, members) in groups {
        let irsa = members[0].subjects.is_some();
        let namespaces: BTreeSet<&str> = members
            .iter()
            .filter_map(|m| m.subjects.as_ref().map(|s| s.0.as_str()))
            .collect();
        let wanted = match namespaces.iter().next() {
            Some(ns) if namespaces.len() == 1 => ns.to_string(),
            _ if irsa => "irsa".to_string(),
            _ if body.contains(&format!("\n{}", TRUST_POD_IDENTITY.name)) => {
                "pod_identity".to_string()
            }
            _ => "roles".to_string(),
        };
        let label = c.labels.take(ROLE.name, &wanted);
        let to = address(&ROLE, &label);
        let mut b = Block::labeled(&ROLE, &label);
        b.lines(&c.allow_lines(&to, &wildcard_allow(wildcard)));
        if irsa {
            let mut each = String::from("{\n");
            for m in &members {
                let Some((ns, names)) = &m.subjects else {
                    continue; // one shape: every member has subjects
                };
                each.push_str(&format!(
                    "{} = {{ namespace = {}, names = {} }}\n",
                    q(&m.name),
                    q(ns),
                    hcl::list(names)
                ));
            }
            each.push('}');
            b.attr("for_each", &each);
        } else {
            let names: Vec<String> = members.iter().map(|m| m.name.clone()).collect();
            b.attr("for_each", &format!("toset({})", hcl::list(&names)));
        }
        b.lines(&body);
        out.push_str(&b.close());
        out.push('\n');
        for m in &members {
            let key = format!("{label}[{}]", q(&m.name));
            c.role_labels.insert(m.name.clone(), key.clone());
            c.import(address(&ROLE, &key), m.name.clone());
            c.count(ROLE.name);
            grouped.insert(m.name.clone());
        }
    }
    grouped
}

/// A grouped service account: namespace, name, its role's key (quoted).
type SaMember = (String, String, String);

/// Groups service accounts whose roles are in one role group (and of one mode): writes the
/// blocks to `out`, adds their imports, and removes them from `sa_list` (namespace, name,
/// role reference, mode).
pub(super) fn service_accounts<'m>(
    c: &mut Ctx<'_>,
    sa_list: &mut Vec<SaEntry<'m>>,
    out: &mut String,
) {
    // (role group label, mode) → members
    let mut groups: BTreeMap<(String, &'m str), Vec<SaMember>> = BTreeMap::new();
    for (ns, n, rl, mode) in sa_list.iter() {
        if let Some((gl, key)) = rl.split_once('[') {
            groups.entry((gl.to_string(), *mode)).or_default().push((
                ns.clone(),
                n.clone(),
                key.trim_end_matches(']').to_string(),
            ));
        }
    }
    groups.retain(|_, m| m.len() >= 2);
    let mut done: BTreeSet<(String, String)> = BTreeSet::new();
    for ((gl, mode), members) in &groups {
        let wanted = if *mode == "pod_identity" {
            format!("{gl}_pod_identity")
        } else {
            gl.clone()
        };
        let label = c.labels.take(SERVICE_ACCOUNT.name, &wanted);
        let to = address(&SERVICE_ACCOUNT, &label);
        let mut b = Block::labeled(&SERVICE_ACCOUNT, &label);
        b.lines(&c.allow_lines(&to, &[]));
        let mut each = String::from("{\n");
        for (ns, n, key) in members {
            each.push_str(&format!(
                "{} = {{ namespace = {}, name = {}, role = {key} }}\n",
                q(&format!("{ns}/{n}")),
                q(ns),
                q(n)
            ));
        }
        each.push('}');
        b.attr("for_each", &each);
        b.attr("cluster", &address(&CLUSTER, &c.cluster_label));
        b.attr("namespace", "each.value.namespace");
        b.attr("name", "each.value.name");
        b.attr("role", &format!("{}[each.value.role]", address(&ROLE, gl)));
        write_mode(&mut b, mode);
        out.push_str(&b.close());
        out.push('\n');
        for (ns, n, _) in members {
            let id = format!("{ns}/{n}");
            c.import(format!("{to}[{}]", q(&id)), id);
            c.count(SERVICE_ACCOUNT.name);
            done.insert((ns.clone(), n.clone()));
        }
    }
    sa_list.retain(|(ns, n, _, _)| !done.contains(&(ns.clone(), n.clone())));
}
