//! The access model (`eksfed access`): every path by which an outside identity reaches a role,
//! and a role reaches a cluster, joined across the four places that decide it: IAM trust
//! policies (identity → role, evaluated as IAM does: `trust.rs`, `policy.rs`, `condition.rs`,
//! `subject.rs`), `aws-auth` and access entries (role → Kubernetes username and groups; an
//! access entry wins over `aws-auth` for the same principal, as EKS does; an `aws-auth`
//! `rolearn` written with the role's path never matches), and RBAC bindings and access
//! policies (username and groups, with the groups every user is in → grants). Cluster admin is
//! `system:masters`, a ClusterRoleBinding to a ClusterRole that allows everything
//! (`cluster-admin`, or any other whose rules do: `rbac.rs`), or `AmazonEKSClusterAdminPolicy`
//! at cluster scope.
//!
//! The model is built from pieces in the render shape ([`RenderedKind`]), so one builder serves
//! the stack alone ([`from_desired`]) and the stack plus a live snapshot ([`from_live`]); each
//! piece says whether the stack owns it, and a path is `managed` only when every object on it
//! is. The model is plain data, so two models can be compared (the plan security review).

mod build;
mod condition;
mod draw;
mod grants;
mod mapping;
mod model;
mod paths;
mod policy;
mod query;
mod rbac;
mod subject;
mod trust;

pub use build::build;
pub use condition::{Answer, Verdict};
pub use draw::{json, mermaid, text};
pub use grants::{binding, Binding};
pub use mapping::aws_auth_user;
pub use model::{
    AccessModel, AccessPath, ClusterInfo, Grant, GrantKind, Piece, CLUSTER_ADMIN_POLICY,
    FORMAT_VERSION,
};
pub use query::{admission, admits, select, Query};
pub use rbac::{rbac_role, RbacRole};

use crate::desired::model::{DesiredState, ResourceKind};
use crate::plan::live::LiveState;
use std::collections::{BTreeMap, BTreeSet};

/// The clusters of a stack.
pub fn clusters(desired: &DesiredState) -> Vec<ClusterInfo> {
    desired
        .resources
        .iter()
        .filter_map(|r| match &r.kind {
            ResourceKind::Cluster(c) => Some(ClusterInfo {
                label: crate::plan::rendered::cluster_key(&r.address),
                name: c.name.clone(),
                issuer: c
                    .oidc_issuer_url
                    .as_deref()
                    .map(|i| i.trim_start_matches("https://").to_string()),
                access_mode: c.access_mode,
                arn: Some(c.arn.clone()).filter(|a| {
                    a.split(':').nth(4).is_some_and(|acct| {
                        acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())
                    })
                }),
            }),
            _ => None,
        })
        .collect()
}

/// The model of the stack alone: every piece it renders, all managed.
pub fn from_desired(desired: &DesiredState) -> AccessModel {
    let pieces: Vec<Piece> = crate::plan::render::render(desired)
        .resources
        .into_iter()
        .map(|r| Piece {
            kind: r.kind,
            managed: true,
        })
        .collect();
    let mut m = build(&clusters(desired), &pieces, &BTreeMap::new());
    m.limits.push(
        "offline: only what the stack declares; `--live` adds what is live, owned or not"
            .to_string(),
    );
    m
}

/// The model of the live systems plus what the stack declares and is not live yet. A live
/// object is managed when it carries this stack's mark. `rbac` holds the ClusterRoles and
/// Roles read from each cluster (by label; a cluster that is not a key was not read).
pub fn from_live(
    desired: &DesiredState,
    live: &LiveState,
    rbac: &BTreeMap<String, Vec<RbacRole>>,
) -> AccessModel {
    let stack = &desired.stack.name;
    let mut seen = BTreeSet::new();
    let mut pieces = vec![];
    for o in &live.objects {
        seen.insert(o.key.clone());
        pieces.push(Piece {
            kind: o.piece.clone(),
            managed: o.owner.as_deref() == Some(stack.as_str()),
        });
    }
    for r in crate::plan::render::render(desired).resources {
        let keys = crate::kinds::keys(&r.kind);
        if keys.iter().any(|k| seen.contains(k)) {
            continue;
        }
        pieces.push(Piece {
            kind: r.kind,
            managed: true,
        });
    }
    build(&clusters(desired), &pieces, rbac)
}

/// The built-in order of strength of a grant (Kubernetes' user-facing roles): ClusterRoles view ⊂ edit ⊂ admin
/// ⊂ cluster-admin, access policies AmazonEKSViewPolicy ⊂ Edit ⊂ Admin ⊂ ClusterAdmin;
/// `None` for anything else (a custom role is comparable only with itself).
pub fn strength(kind: GrantKind, name: &str) -> Option<u8> {
    match (kind, name) {
        (GrantKind::ClusterRole, "view") | (GrantKind::AccessPolicy, "AmazonEKSViewPolicy") => {
            Some(1)
        }
        (GrantKind::ClusterRole, "edit") | (GrantKind::AccessPolicy, "AmazonEKSEditPolicy") => {
            Some(2)
        }
        (GrantKind::ClusterRole, "admin") | (GrantKind::AccessPolicy, "AmazonEKSAdminPolicy") => {
            Some(3)
        }
        (GrantKind::ClusterRole, "cluster-admin")
        | (GrantKind::AccessPolicy, CLUSTER_ADMIN_POLICY) => Some(4),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
