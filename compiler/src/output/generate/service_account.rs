//! Service accounts with a role: an IRSA annotation or a pod identity association, of a role
//! the stack generates (with `--group`, `group.rs` writes those of one role group under one
//! block first).

use super::block::{address, Block};
use super::ctx::{Ctx, Read};
use super::hcl::q;
use crate::kinds::cluster::SCHEMA as CLUSTER;
use crate::kinds::role::SCHEMA as ROLE;
use crate::kinds::service_account::SCHEMA as SERVICE_ACCOUNT;
use crate::plan::rendered::RenderedKind;
use crate::plan::rendered::ROLE_ARN_ANNOTATION;
use std::collections::BTreeMap;

/// A service account to write: namespace, name, its role's label, mode.
pub(super) type SaEntry<'m> = (String, String, String, &'m str);

/// The service accounts to write, and how many of them have each name (counted before
/// `--group` takes some).
pub(super) struct Selected<'m> {
    pub list: Vec<SaEntry<'m>>,
    names: BTreeMap<String, usize>,
}

/// The `service_account` blocks of what is left in `sa.list`.
pub(super) fn write(c: &mut Ctx<'_>, sa: &Selected<'_>) -> String {
    let mut out = String::new();
    for (ns, n, rl, mode) in &sa.list {
        let want_label = if sa.names[n] > 1 {
            format!("{ns}_{n}")
        } else {
            n.clone()
        };
        let label = c.labels.take(SERVICE_ACCOUNT.name, &want_label);
        let to = address(&SERVICE_ACCOUNT, &label);
        let mut b = Block::labeled(&SERVICE_ACCOUNT, &label);
        b.lines(&c.allow_lines(&to, &[]));
        b.attr("cluster", &address(&CLUSTER, &c.cluster_label));
        b.attr("namespace", &q(ns));
        b.attr("name", &q(n));
        b.attr("role", &address(&ROLE, rl));
        write_mode(&mut b, mode);
        out.push_str(&b.close());
        out.push('\n');
        c.import(to, format!("{ns}/{n}"));
        c.count(SERVICE_ACCOUNT.name);
    }
    out
}

/// `mode`, when not the default (`irsa`).
pub(super) fn write_mode(b: &mut Block, mode: &str) {
    if mode == "pod_identity" {
        b.attr("mode", &q(mode));
    }
}

/// The service accounts to generate, in (namespace, name) order; notes the rest.
pub(super) fn select<'m>(c: &mut Ctx<'_>, read: &Read<'_>) -> Selected<'m> {
    let mut sa_list = vec![];
    for ((ns, n), o) in &read.sas {
        let m = match &o.piece {
            RenderedKind::ServiceAccount { manifest, .. } => manifest,
            _ => continue,
        };
        let annotated = m["metadata"]["annotations"][ROLE_ARN_ANNOTATION].as_str();
        let pia = read.pias.get(&(ns.clone(), n.clone()));
        if annotated.is_none() && pia.is_none() {
            continue;
        }
        if let Some(other) = c.owned_elsewhere(&o.owner) {
            c.note(format!(
                "left out: service account {ns}/{n}: owned by the eksfed stack `{other}`"
            ));
            continue;
        }
        if m["metadata"]["labels"]["app.kubernetes.io/managed-by"].as_str() == Some("EKS") {
            c.note(format!("left out: service account {ns}/{n}: made by EKS"));
            continue;
        }
        let (arn, mode) = match (annotated, pia) {
            (Some(_), Some(_)) => {
                c.note(format!("left out: service account {ns}/{n}: it has both a role annotation and a pod identity association (one stack mode cannot express both)"));
                continue;
            }
            (Some(a), None) => (a.to_string(), "irsa"),
            (None, Some(p)) => (p.role_arn.clone(), "pod_identity"),
            (None, None) => continue,
        };
        let Some(rl) = c.role_ref_by_arn(&arn) else {
            c.note(format!(
                "left out: service account {ns}/{n}: its role {arn} is not generated"
            ));
            continue;
        };
        // `aws-reserved` roles are existing and cannot be a service account's role.
        sa_list.push((ns.clone(), n.clone(), rl, mode));
    }
    for (ns, n) in read.pias.keys() {
        if !read.sas.contains_key(&(ns.clone(), n.clone())) {
            c.note(format!("left out: pod identity association {ns}/{n}: its service account does not exist (eksfed would create it)"));
        }
    }
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (_, n, _, _) in &sa_list {
        *names.entry(n.clone()).or_default() += 1;
    }
    Selected {
        list: sa_list,
        names,
    }
}
