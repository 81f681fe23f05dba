//! Builds the access model from pieces: what each piece says, by system (`collect`), then
//! the joins (`paths.rs`), then the limits of what the model can know.

use super::grants::binding;
use super::mapping::{by_access_entry, by_aws_auth};
use super::model::{AccessModel, AccessPath, ClusterInfo, GrantKind, Piece, FORMAT_VERSION};
use super::paths::{Found, Joined, Names, Walk};
use super::rbac::{self, RbacRole};
use crate::desired::model::AccessMode;
use crate::iam::statement;
use crate::plan::rendered::strip_role_path;
use crate::plan::rendered::RenderedKind;
use std::collections::{BTreeMap, BTreeSet};

/// Builds the model from pieces and the RBAC roles read from each cluster (by label; a
/// cluster that is not a key was not read). Pure; the order of the paths is stable.
pub fn build(
    clusters: &[ClusterInfo],
    pieces: &[Piece],
    rbac: &BTreeMap<String, Vec<RbacRole>>,
) -> AccessModel {
    let names = Names::new(clusters);
    let read: rbac::Read<'_> = rbac
        .iter()
        .map(|(label, roles)| (label.as_str(), roles.iter().collect()))
        .collect();
    let joined = collect(pieces, &names);
    let labels = labels(clusters, &joined);
    let principals = principals(&joined);
    let walk = Walk {
        clusters,
        names,
        read,
        joined,
        labels,
    };
    let mut found = Found::default();
    for arn in &principals {
        walk.principal_paths(arn, &mut found);
    }
    // Kubernetes subjects of bindings that no IAM path above reaches: service accounts, and
    // users and groups authenticated some other way (or by nobody).
    walk.subject_paths(&found.reached, &mut found.paths);
    let Found {
        mut paths,
        limits: mut limits_found,
        ..
    } = found;
    paths.sort_by(|a, b| {
        (&a.cluster, &a.role, &a.identity, &a.username).cmp(&(
            &b.cluster,
            &b.role,
            &b.identity,
            &b.username,
        ))
    });
    paths.dedup();
    let mut limits = limits(clusters, &paths, &walk.read);
    limits_found.sort();
    limits_found.dedup();
    limits.extend(limits_found);
    let mut permissions = walk.joined.permissions;
    permissions.retain(|arn, _| paths.iter().any(|p| p.role.as_deref() == Some(arn)));
    AccessModel {
        format_version: FORMAT_VERSION,
        paths,
        limits,
        permissions,
    }
}

/// What each piece says, by system: roles with their trust and permissions, access entries and
/// `aws-auth` entries per cluster (each where the cluster's access mode reads it), bindings
/// per cluster, and pod identity associations per role.
fn collect<'a>(pieces: &'a [Piece], names: &Names<'_>) -> Joined<'a> {
    let mut j = Joined::default();
    let documents: BTreeMap<&str, &serde_json::Value> = pieces
        .iter()
        .filter_map(|p| match &p.kind {
            RenderedKind::Policy { arn, document, .. } => Some((arn.as_str(), document)),
            _ => None,
        })
        .collect();
    for p in pieces {
        match &p.kind {
            RenderedKind::Role {
                arn,
                trust_policy,
                policies,
                inline_policies,
                ..
            } => {
                j.roles.insert(arn.clone(), (trust_policy, p.managed));
                let mut may = vec![];
                for doc in inline_policies.values() {
                    may.extend(summarise(doc));
                }
                for pa in policies {
                    match documents.get(pa.as_str()) {
                        Some(doc) => may.extend(summarise(doc)),
                        None => may.push(format!("policy {pa}")),
                    }
                }
                j.permissions.insert(arn.clone(), may);
            }
            RenderedKind::Access {
                cluster,
                aws_auth: a,
                access_entry,
            } => {
                let mode = names.mode_of(cluster);
                if let Some(e) = access_entry {
                    if mode.is_none_or(|m| m.uses_access_entries()) {
                        j.entries
                            .entry(cluster.clone())
                            .or_default()
                            .insert(e.principal_arn.clone(), by_access_entry(e, p.managed));
                    }
                }
                if let Some(a) = a {
                    if mode.is_none_or(|m| m.uses_aws_auth()) {
                        j.aws_auth
                            .entry(cluster.clone())
                            .or_default()
                            .insert(a.arn().to_string(), by_aws_auth(a, p.managed));
                    }
                }
            }
            RenderedKind::RbacBinding { cluster, manifests } => {
                for m in manifests {
                    if let Some(b) = binding(m, p.managed) {
                        j.bindings.entry(cluster.clone()).or_default().push(b);
                    }
                }
            }
            RenderedKind::ServiceAccount {
                cluster,
                pod_identity_association: Some(a),
                ..
            } => {
                j.pod_ids.entry(a.role_arn.clone()).or_default().push((
                    names.name_of(cluster),
                    a.namespace.clone(),
                    a.service_account.clone(),
                    p.managed,
                ));
            }
            // Read above (policies, as the documents roles attach), or no way in: an IRSA
            // account's role is found from the trust policy; providers grant nothing alone.
            RenderedKind::ServiceAccount {
                pod_identity_association: None,
                ..
            }
            | RenderedKind::Policy { .. }
            | RenderedKind::OidcProvider { .. }
            | RenderedKind::SamlProvider { .. } => {}
        }
    }
    j
}

/// Every cluster label: the stack's clusters and those the pieces name.
fn labels(clusters: &[ClusterInfo], j: &Joined<'_>) -> BTreeSet<String> {
    let mut labels: BTreeSet<String> = clusters.iter().map(|c| c.label.clone()).collect();
    labels.extend(j.entries.keys().cloned());
    labels.extend(j.aws_auth.keys().cloned());
    labels.extend(j.bindings.keys().cloned());
    labels
}

/// Every principal some cluster maps: the roles read, plus users and unknown roles.
fn principals(j: &Joined<'_>) -> BTreeSet<String> {
    let mut principals: BTreeSet<String> = j.roles.keys().cloned().collect();
    for m in j.entries.values().chain(j.aws_auth.values()) {
        for arn in m.keys() {
            if !j
                .roles
                .keys()
                .any(|r| strip_role_path(r) == *arn || r == arn)
            {
                principals.insert(arn.clone());
            }
        }
    }
    principals
}

/// `ACTIONS on RESOURCES` for each Allow statement of a policy document.
fn summarise(doc: &serde_json::Value) -> Vec<String> {
    let side = |yes: &Option<Vec<String>>, no: &Option<Vec<String>>| match (yes, no) {
        (_, Some(v)) => format!("all but {}", v.join(", ")),
        (Some(v), None) => v.join(", "),
        (None, None) => String::new(),
    };
    statement::statements(doc)
        .iter()
        .filter(|st| st.is_allow())
        .map(|st| {
            let actions = side(&st.action, &st.not_action);
            let resources = side(&st.resource, &st.not_resource);
            let cond = if st.condition.is_some() {
                " (with conditions)"
            } else {
                ""
            };
            format!("{actions} on {resources}{cond}")
        })
        .collect()
}

/// What the model cannot know, for the paths it has.
fn limits(clusters: &[ClusterInfo], paths: &[AccessPath], read: &rbac::Read<'_>) -> Vec<String> {
    let mut out = vec![];
    for c in clusters {
        if c.access_mode == AccessMode::AwsAuth {
            out.push(format!(
                "cluster {}: in CONFIG_MAP mode the cluster creator's system:masters is invisible (no aws-auth entry or access entry shows it)",
                c.name
            ));
        }
    }
    if paths.iter().any(|p| p.identity.starts_with("saml:")) {
        out.push(
            "SAML: which IdP users and groups may assume a role is decided in the IdP, not shown here"
                .to_string(),
        );
    }
    let label_of = |name: &str| {
        clusters
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.label.as_str())
            .unwrap_or(name)
            .to_string()
    };
    let mut custom = BTreeSet::new();
    for p in paths {
        let label = p.cluster.as_deref().map(label_of).unwrap_or_default();
        if read.contains_key(label.as_str()) {
            continue;
        }
        for g in &p.grants {
            let builtin = matches!(g.name.as_str(), "cluster-admin" | "admin" | "edit" | "view")
                || g.name.starts_with("system:");
            if matches!(g.kind, GrantKind::ClusterRole | GrantKind::Role) && !builtin {
                custom.insert(format!("{:?} {}", g.kind, g.name));
            }
        }
    }
    if !custom.is_empty() {
        out.push(format!(
            "custom RBAC roles are named, not expanded (their rules are read with --live): {}",
            custom.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}
