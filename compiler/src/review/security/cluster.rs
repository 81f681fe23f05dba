//! The review of cluster access: `aws-auth` entries and access entries (who gets into a
//! cluster, as which user, with which groups and access policies), RBAC bindings (which
//! subjects get which role), and workloads (which role a service account's pods get). The
//! strength of built-in access policies and ClusterRoles is the access model's
//! ([`crate::review::access_model::strength`]); the sentences are [`wording`]'s.

use super::item::SecurityItem;
use super::wording::{self, Binding, Pods};
use crate::plan::rendered::AccessEntry;
use crate::plan::rendered::AccessPolicyAssociation;
use crate::plan::rendered::AwsAuthEntry;
use crate::plan::rendered::RenderedKind;
use serde_json::Value as Json;

/// The role a service account's pods get: (IRSA annotation, pod identity association).
fn workload_roles(k: &RenderedKind) -> (Option<String>, Option<String>) {
    match k {
        RenderedKind::ServiceAccount {
            manifest,
            pod_identity_association,
            ..
        } => (
            manifest
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(crate::plan::rendered::ROLE_ARN_ANNOTATION))
                .and_then(Json::as_str)
                .map(str::to_string),
            pod_identity_association
                .as_ref()
                .map(|p| p.role_arn.clone()),
        ),
        // No pods run as these.
        RenderedKind::OidcProvider { .. }
        | RenderedKind::SamlProvider { .. }
        | RenderedKind::Policy { .. }
        | RenderedKind::Role { .. }
        | RenderedKind::Access { .. }
        | RenderedKind::RbacBinding { .. } => (None, None),
    }
}

pub(super) fn service_account(
    addr: &str,
    before: Option<&RenderedKind>,
    after: &RenderedKind,
) -> Vec<SecurityItem> {
    let RenderedKind::ServiceAccount {
        cluster, manifest, ..
    } = after
    else {
        return vec![];
    };
    let namespace = manifest
        .pointer("/metadata/namespace")
        .and_then(Json::as_str)
        .unwrap_or("default");
    let name = manifest
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .unwrap_or("?");
    let (b_irsa, b_pod) = before.map(workload_roles).unwrap_or_default();
    let (a_irsa, a_pod) = workload_roles(after);
    let mut out = vec![];
    for (how, b, a) in [
        ("through IRSA", b_irsa, a_irsa),
        ("through pod identity", b_pod, a_pod),
    ] {
        let pods = Pods {
            addr,
            namespace,
            name,
            cluster,
            how,
        };
        match (&b, &a) {
            (b, Some(a)) if b.as_ref() != Some(a) => {
                out.push(wording::pods_get_role(&pods, b.as_ref(), a))
            }
            (Some(b), None) => out.push(wording::pods_lose_role(&pods, b)),
            _ => {}
        }
    }
    out
}

/// A principal's `aws-auth` entry and access entry in one cluster.
pub(super) fn access(
    addr: &str,
    before: Option<&RenderedKind>,
    after: &RenderedKind,
) -> Vec<SecurityItem> {
    let RenderedKind::Access {
        cluster,
        aws_auth,
        access_entry,
    } = after
    else {
        return vec![];
    };
    let (b_auth, b_entry) = match before {
        Some(RenderedKind::Access {
            aws_auth,
            access_entry,
            ..
        }) => (aws_auth.as_ref(), access_entry.as_ref()),
        _ => (None, None),
    };
    let mut out = vec![];
    if let Some(a) = aws_auth {
        out.extend(aws_auth_items(addr, cluster, b_auth, a));
    }
    if let Some(a) = access_entry {
        out.extend(access_entry_items(addr, cluster, b_entry, a));
    }
    out
}

fn groups_items(
    addr: &str,
    cluster: &str,
    before: &[String],
    after: &[String],
) -> Vec<SecurityItem> {
    let mut out = vec![];
    for g in after.iter().filter(|g| !before.contains(g)) {
        out.push(wording::gets_group(addr, cluster, g));
    }
    for g in before.iter().filter(|g| !after.contains(g)) {
        out.push(wording::loses_group(addr, cluster, g));
    }
    out
}

fn aws_auth_items(
    addr: &str,
    cluster: &str,
    before: Option<&AwsAuthEntry>,
    after: &AwsAuthEntry,
) -> Vec<SecurityItem> {
    let arn = after.arn();
    match before {
        Some(b) if b.arn() == arn => {
            let mut out = groups_items(addr, cluster, &b.groups, &after.groups);
            if b.username != after.username {
                let names = (&b.username, &after.username);
                out.push(wording::now_user(addr, cluster, names, true));
            }
            out
        }
        _ => vec![wording::gets_into_cluster(
            addr,
            cluster,
            "aws-auth",
            (before.map(|b| b.arn()), arn),
            &after.groups,
        )],
    }
}

/// Built-in strength of EKS access policies, from the access model.
fn access_policy_rank(arn: &str) -> Option<u8> {
    crate::review::access_model::strength(
        crate::review::access_model::GrantKind::AccessPolicy,
        arn.rsplit('/').next()?,
    )
}

/// Built-in strength of ClusterRoles, from the access model.
fn cluster_role_rank(kind: &str, name: &str) -> Option<u8> {
    match kind {
        "ClusterRole" => crate::review::access_model::strength(
            crate::review::access_model::GrantKind::ClusterRole,
            name,
        ),
        _ => None,
    }
}

fn at_most(weaker: (Option<u8>, &str), stronger: (Option<u8>, &str)) -> bool {
    weaker.1 == stronger.1 || matches!((weaker.0, stronger.0), (Some(a), Some(b)) if a <= b)
}

fn assoc_covered(a: &AccessPolicyAssociation, b: &AccessPolicyAssociation) -> bool {
    let scope_ok = b.access_scope.scope_type == "cluster"
        || (a.access_scope.scope_type == "namespace"
            && a.access_scope
                .namespaces
                .iter()
                .all(|n| b.access_scope.namespaces.contains(n)));
    scope_ok
        && at_most(
            (access_policy_rank(&a.policy_arn), &a.policy_arn),
            (access_policy_rank(&b.policy_arn), &b.policy_arn),
        )
}

fn access_entry_items(
    addr: &str,
    cluster: &str,
    before: Option<&AccessEntry>,
    after: &AccessEntry,
) -> Vec<SecurityItem> {
    let b = match before {
        Some(b) if b.principal_arn == after.principal_arn => b,
        _ => {
            let principals = (
                before.map(|b| b.principal_arn.as_str()),
                after.principal_arn.as_str(),
            );
            let groups = &after.kubernetes_groups;
            let mut out = vec![wording::gets_into_cluster(
                addr,
                cluster,
                "an access entry",
                principals,
                groups,
            )];
            for a in &after.access_policies {
                out.push(wording::gets_access_policy(addr, cluster, a, &[]));
            }
            return out;
        }
    };
    let mut out = groups_items(
        addr,
        cluster,
        &b.kubernetes_groups,
        &after.kubernetes_groups,
    );
    if b.username != after.username {
        let names = (&b.username, &after.username);
        out.push(wording::now_user(addr, cluster, names, false));
    }
    for a in &after.access_policies {
        if !b.access_policies.iter().any(|x| assoc_covered(a, x)) {
            out.push(wording::gets_access_policy(
                addr,
                cluster,
                a,
                &b.access_policies,
            ));
        }
    }
    for x in &b.access_policies {
        if !after.access_policies.iter().any(|a| assoc_covered(x, a)) {
            out.push(wording::loses_access_policy(
                addr,
                cluster,
                x,
                &after.access_policies,
            ));
        }
    }
    out
}

/// A binding in the review's words, read by the access model's reader
/// ([`crate::review::access_model::binding`]). A manifest that reader does not take (not a well-formed
/// RoleBinding or ClusterRoleBinding) is kept as a cluster-wide binding of an unknown role,
/// so a change to it still broadens.
fn binding(m: &Json) -> Binding {
    let Some(b) = crate::review::access_model::binding(m, true) else {
        let s = |p: &str| {
            m.pointer(p)
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string()
        };
        return Binding {
            key: format!(
                "{}/{}/{}",
                s("/kind"),
                s("/metadata/namespace"),
                s("/metadata/name")
            ),
            scope: "cluster-wide".to_string(),
            role_kind: s("/roleRef/kind"),
            role_name: s("/roleRef/name"),
            subjects: vec![],
        };
    };
    Binding {
        key: b.key,
        scope: match &b.namespace {
            None => "cluster-wide".to_string(),
            Some(ns) => format!("in namespace {ns}"),
        },
        role_kind: format!("{:?}", b.role_kind),
        role_name: b.role_name,
        subjects: b
            .subjects
            .into_iter()
            .map(|(kind, name, ns)| match ns.as_deref() {
                None | Some("") => format!("{kind} {name}"),
                Some(ns) => format!("{kind} {ns}/{name}"),
            })
            .collect(),
    }
}

/// The RBAC bindings of one `rbac_binding`, before and after.
pub(super) fn rbac(
    addr: &str,
    before: Option<&RenderedKind>,
    after: &RenderedKind,
) -> Vec<SecurityItem> {
    let RenderedKind::RbacBinding { cluster, manifests } = after else {
        return vec![];
    };
    let b = match before {
        Some(RenderedKind::RbacBinding { manifests, .. }) => manifests.as_slice(),
        _ => &[],
    };
    rbac_items(addr, cluster, b, manifests)
}

fn rbac_items(addr: &str, cluster: &str, before: &[Json], after: &[Json]) -> Vec<SecurityItem> {
    let b: Vec<Binding> = before.iter().map(binding).collect();
    let a: Vec<Binding> = after.iter().map(binding).collect();
    let mut out = vec![];
    for x in &a {
        match b.iter().find(|y| y.key == x.key) {
            None => out.push(wording::binds(addr, cluster, x)),
            Some(y) => rebound(addr, cluster, x, y, &mut out),
        }
    }
    for y in b.iter().filter(|y| !a.iter().any(|x| x.key == y.key)) {
        out.push(wording::unbinds(addr, cluster, y));
    }
    out
}

/// A binding kept under its key: `x` after, `y` before. A role not known to be at most the
/// old one broadens (for every subject); a weaker one narrows, and then only the new
/// subjects broaden.
fn rebound(addr: &str, cluster: &str, x: &Binding, y: &Binding, out: &mut Vec<SecurityItem>) {
    let (role, old) = (x.role(), y.role());
    let weaker = at_most(
        (cluster_role_rank(&x.role_kind, &x.role_name), &role),
        (cluster_role_rank(&y.role_kind, &y.role_name), &old),
    );
    if !weaker {
        out.push(wording::binds_stronger(addr, cluster, x, y));
    } else if role != old {
        out.push(wording::binds_weaker(addr, cluster, x, y));
    }
    let new: Vec<&str> = x
        .subjects
        .iter()
        .filter(|s| !y.subjects.contains(s))
        .map(|s| s.as_str())
        .collect();
    if weaker && !new.is_empty() {
        out.push(wording::now_binds(addr, cluster, x, &new));
    }
    let gone: Vec<&str> = y
        .subjects
        .iter()
        .filter(|s| !x.subjects.contains(s))
        .map(|s| s.as_str())
        .collect();
    if !gone.is_empty() {
        out.push(wording::no_longer_binds(addr, cluster, y, &gone));
    }
}
