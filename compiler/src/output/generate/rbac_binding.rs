//! `rbac_binding` blocks: the bindings whose subjects include a group or username the
//! generated `access` blocks map, other than Kubernetes' and EKS's own.

use super::access::Mapped;
use super::block::{address, Block};
use super::ctx::{Ctx, Read};
use super::hcl::{self, q};
use crate::kinds::cluster::SCHEMA as CLUSTER;
use crate::kinds::rbac_binding::SCHEMA as RBAC_BINDING;
use crate::plan::live::LiveObject;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The `rbac_binding` blocks.
pub(super) fn write(c: &mut Ctx<'_>, read: &Read<'_>, mapped: &Mapped) -> String {
    let chosen = select(c, read, mapped);
    let mut bnames: BTreeMap<String, usize> = BTreeMap::new();
    for (m, _) in &chosen {
        *bnames
            .entry(m["metadata"]["name"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    let mut out = String::new();
    for (m, _) in &chosen {
        let name = m["metadata"]["name"].as_str().unwrap_or("");
        let ns = m["metadata"]["namespace"].as_str();
        let want_label = match ns {
            Some(ns) if bnames[name] > 1 => format!("{ns}_{name}"),
            _ => name.to_string(),
        };
        let label = c.labels.take(RBAC_BINDING.name, &want_label);
        let to = address(&RBAC_BINDING, &label);
        let mut b = Block::labeled(&RBAC_BINDING, &label);
        b.lines(&c.allow_lines(&to, &[]));
        b.attr("cluster", &address(&CLUSTER, &c.cluster_label));
        b.attr("name", &q(name));
        b.attr("subjects", &subjects(m));
        let rk = m["roleRef"]["kind"].as_str().unwrap_or("ClusterRole");
        let rn = m["roleRef"]["name"].as_str().unwrap_or("");
        if rk == "Role" {
            b.attr("role", &q(rn));
        } else {
            b.attr("cluster_role", &q(rn));
        }
        if let Some(ns) = ns {
            b.attr("namespaces", &format!("[{}]", q(ns)));
        }
        out.push_str(&b.close());
        out.push('\n');
        c.import(
            to,
            match ns {
                Some(ns) => format!("{ns}/{name}"),
                None => name.to_string(),
            },
        );
        c.count(RBAC_BINDING.name);
    }
    out
}

/// `[{ kind = "...", name = "...", namespace = "..." }, ...]`.
fn subjects(m: &Json) -> String {
    let subjects: Vec<String> = m["subjects"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|sub| {
            let mut s = format!(
                "{{ kind = {}, name = {}",
                q(sub["kind"].as_str().unwrap_or("")),
                q(sub["name"].as_str().unwrap_or(""))
            );
            if let Some(n) = sub["namespace"].as_str() {
                s.push_str(&format!(", namespace = {}", q(n)));
            }
            s.push_str(" }");
            s
        })
        .collect();
    hcl::list_of(&subjects)
}

/// The bindings of a mapped group or username, owned by no other stack and not made by
/// Kubernetes or EKS.
fn select<'a>(
    c: &mut Ctx<'_>,
    read: &Read<'a>,
    mapped: &Mapped,
) -> Vec<(&'a Json, &'a LiveObject)> {
    let mut chosen = vec![];
    for (m, o) in &read.bindings {
        let name = m["metadata"]["name"].as_str().unwrap_or("");
        let subjects = m["subjects"].as_array().cloned().unwrap_or_default();
        let hits = subjects.iter().any(|sub| {
            let n = sub["name"].as_str().unwrap_or("");
            match sub["kind"].as_str() {
                Some("Group") => mapped.groups.contains(n),
                Some("User") => mapped.users.contains(n),
                _ => false,
            }
        });
        if !hits {
            continue;
        }
        let shown = match m["metadata"]["namespace"].as_str() {
            Some(ns) => format!("{ns}/{name}"),
            None => name.to_string(),
        };
        if name.starts_with("system:")
            || name.starts_with("eks:")
            || m["metadata"]["labels"]["kubernetes.io/bootstrapping"].is_string()
        {
            c.note(format!(
                "left out: binding {shown}: made by Kubernetes or EKS"
            ));
            continue;
        }
        if let Some(other) = c.owned_elsewhere(&o.owner) {
            c.note(format!(
                "left out: binding {shown}: owned by the eksfed stack `{other}`"
            ));
            continue;
        }
        chosen.push((*m, *o));
    }
    chosen
}
