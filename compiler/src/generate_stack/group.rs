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

use super::{
    hcl, iam, q, role_body, role_trusts, trust_block, wildcard_allow, Ctx, RoleInfo, Want,
};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// A member's `each.value` under a service account trust: (namespace, names).
type Subjects = Option<(String, Vec<String>)>;

/// The namespace and names of a role's single service account trust on the cluster's
/// provider, when the generator writes it as exactly that typed block (no wildcard).
fn irsa_subjects(c: &Ctx<'_>, st: &Json) -> Subjects {
    let (text, wildcard) = trust_block(c, st);
    if wildcard || !text.starts_with("trust_service_account {") {
        return None;
    }
    let key = format!("{}:sub", c.host);
    let subs: Vec<String> = st
        .get("Condition")?
        .as_object()?
        .values()
        .filter_map(|kv| kv.get(&key))
        .flat_map(|v| match v {
            Json::String(s) => vec![s.clone()],
            Json::Array(a) => a
                .iter()
                .filter_map(Json::as_str)
                .map(String::from)
                .collect(),
            _ => vec![],
        })
        .collect();
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
    let own = format!(
        "trust_service_account {{\ncluster = cluster.{}\nnamespace = {}\nnames = {}\n}}\n",
        c.cluster_label,
        q(&ns),
        hcl::list(&names)
    );
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
        let statements = iam::statements(r.trust_policy);
        let subjects = match statements.as_slice() {
            [st] => irsa_subjects(c, st),
            _ => None,
        };
        let (shape, wildcard) = if subjects.is_some() {
            let trust = format!(
                "trust_service_account {{\ncluster = cluster.{}\nnamespace = each.value.namespace\nnames = each.value.names\n}}\n",
                c.cluster_label
            );
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
            _ if body.contains("\ntrust_pod_identity") => "pod_identity".to_string(),
            _ => "roles".to_string(),
        };
        let label = c.labels.take("role", &wanted);
        let address = format!("role.{label}");
        out.push_str(&format!("role {} {{\n", q(&label)));
        out.push_str(&c.allow_lines(&address, &wildcard_allow(wildcard)));
        if irsa {
            out.push_str("for_each = {\n");
            for m in &members {
                let Some((ns, names)) = &m.subjects else {
                    continue; // one shape: every member has subjects
                };
                out.push_str(&format!(
                    "{} = {{ namespace = {}, names = {} }}\n",
                    q(&m.name),
                    q(ns),
                    hcl::list(names)
                ));
            }
            out.push_str("}\n");
        } else {
            let names: Vec<String> = members.iter().map(|m| m.name.clone()).collect();
            out.push_str(&format!("for_each = toset({})\n", hcl::list(&names)));
        }
        out.push_str(&body);
        out.push_str("}\n\n");
        for m in &members {
            let key = format!("{label}[{}]", q(&m.name));
            c.role_labels.insert(m.name.clone(), key.clone());
            c.import(format!("role.{key}"), m.name.clone());
            c.count("role");
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
    sa_list: &mut Vec<(String, String, String, &'m str)>,
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
        let label = c.labels.take("service_account", &wanted);
        let address = format!("service_account.{label}");
        out.push_str(&format!("service_account {} {{\n", q(&label)));
        out.push_str(&c.allow_lines(&address, &[]));
        out.push_str("for_each = {\n");
        for (ns, n, key) in members {
            out.push_str(&format!(
                "{} = {{ namespace = {}, name = {}, role = {key} }}\n",
                q(&format!("{ns}/{n}")),
                q(ns),
                q(n)
            ));
        }
        out.push_str("}\n");
        out.push_str(&format!(
            "cluster = cluster.{}\nnamespace = each.value.namespace\nname = each.value.name\nrole = role.{gl}[each.value.role]\n",
            c.cluster_label
        ));
        if *mode == "pod_identity" {
            out.push_str("mode = \"pod_identity\"\n");
        }
        out.push_str("}\n\n");
        for (ns, n, _) in members {
            let id = format!("{ns}/{n}");
            c.import(format!("{address}[{}]", q(&id)), id);
            c.count("service_account");
            done.insert((ns.clone(), n.clone()));
        }
    }
    sa_list.retain(|(ns, n, _, _)| !done.contains(&(ns.clone(), n.clone())));
}
