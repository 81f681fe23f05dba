//! `access`: a principal's way into a cluster — an `aws-auth` entry and/or an EKS access
//! entry (with its access policies), by the cluster's access mode.

use super::kind::{sorted, Kind, ObjectKey};
use crate::model::{self, AccessMode, DesiredState, PrincipalKind};
use crate::rendered::{
    cluster_key, json_file, k8s_name, node_identity, strip_role_path, yaml_file, AccessEntry,
    AccessPolicyAssociation, AccessScope, AwsAuthEntry, RenderFile, RenderedKind, RenderedResource,
};
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

/// By the cluster's access mode, the `aws-auth` entry (role path stripped; a node role's
/// identity as EKS assigns it) and/or the EKS access entry with its access policies.
pub fn render(a: &model::Access, desired: &DesiredState) -> RenderedKind {
    let mode = desired
        .cluster(&a.cluster)
        .map(|c| c.access_mode)
        .unwrap_or(AccessMode::AwsAuth);
    let aws_auth = mode.uses_aws_auth().then(|| {
        let (rolearn, userarn) = match a.principal_kind {
            PrincipalKind::Role => (Some(strip_role_path(&a.principal_arn)), None),
            PrincipalKind::User => (None, Some(a.principal_arn.clone())),
        };
        let (username, groups) = match node_identity(&a.entry_type) {
            Some((u, g)) => (
                Some(u.to_string()),
                g.iter().map(|s| s.to_string()).collect(),
            ),
            None => (a.username.clone(), a.groups.clone()),
        };
        AwsAuthEntry {
            rolearn,
            userarn,
            username,
            groups,
        }
    });
    let access_entry = mode.uses_access_entries().then(|| AccessEntry {
        principal_arn: a.principal_arn.clone(),
        username: a.username.clone(),
        kubernetes_groups: a.groups.clone(),
        entry_type: a.entry_type.clone(),
        access_policies: a
            .access_policies
            .iter()
            .map(|p| AccessPolicyAssociation {
                policy_arn: p.policy_arn.clone(),
                access_scope: AccessScope {
                    scope_type: p.scope.clone(),
                    namespaces: p.namespaces.clone(),
                },
            })
            .collect(),
    });
    RenderedKind::Access {
        cluster: cluster_key(&a.cluster),
        aws_auth,
        access_entry,
    }
}

/// None of its own: its entries are in the files its cluster's pieces share
/// ([`cluster_files`]).
pub fn files(_res: &RenderedResource) -> Vec<RenderFile> {
    vec![]
}

/// Per cluster, the `aws-auth` entries (`k8s/CLUSTER/kube-system/aws-auth-entries.yaml`:
/// `mapRoles` and `mapUsers`), then the access entries (`eks/CLUSTER/access-entries.json`).
pub fn cluster_files(pieces: &[&RenderedKind]) -> Vec<RenderFile> {
    let mut aws_auth: IndexMap<String, Vec<&AwsAuthEntry>> = IndexMap::new();
    let mut entries: IndexMap<String, Vec<&AccessEntry>> = IndexMap::new();
    for piece in pieces {
        if let RenderedKind::Access {
            cluster,
            aws_auth: a,
            access_entry,
        } = piece
        {
            if let Some(a) = a {
                aws_auth.entry(cluster.clone()).or_default().push(a);
            }
            if let Some(e) = access_entry {
                entries.entry(cluster.clone()).or_default().push(e);
            }
        }
    }
    let mut out = vec![];
    for (cluster, list) in aws_auth {
        let roles: Vec<_> = list.iter().filter(|e| e.rolearn.is_some()).collect();
        let users: Vec<_> = list.iter().filter(|e| e.userarn.is_some()).collect();
        let v = json!({ "mapRoles": roles, "mapUsers": users });
        out.push((
            format!(
                "k8s/{}/kube-system/aws-auth-entries.yaml",
                k8s_name(&cluster)
            ),
            yaml_file(&v),
        ));
    }
    for (cluster, list) in entries {
        out.push((
            format!("eks/{}/access-entries.json", k8s_name(&cluster)),
            json_file(&json!(list)),
        ));
    }
    out
}

// ---- Diff

pub struct AccessKind;

pub fn key_aws_auth(cluster: &str, arn: &str) -> ObjectKey {
    format!("k8s:{cluster}:aws-auth:{arn}")
}
pub fn key_access_entry(cluster: &str, principal_arn: &str) -> ObjectKey {
    format!("eks:{cluster}:access-entry:{principal_arn}")
}

impl Kind for AccessKind {
    fn type_name(&self) -> &'static str {
        "access"
    }
    fn keys(&self, piece: &RenderedKind) -> Vec<ObjectKey> {
        let RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } = piece
        else {
            return vec![];
        };
        let mut v = vec![];
        if let Some(a) = aws_auth {
            v.push(key_aws_auth(cluster, a.arn()));
        }
        if let Some(e) = access_entry {
            v.push(key_access_entry(cluster, &e.principal_arn));
        }
        v
    }
    /// Both pieces, whatever the cluster's mode: an `aws-auth` entry after a switch to
    /// access entries (or back).
    fn other_mode_keys(&self, desired: &RenderedKind) -> Vec<ObjectKey> {
        let RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } = desired
        else {
            return vec![];
        };
        let arn = access_entry
            .as_ref()
            .map(|e| e.principal_arn.clone())
            .or_else(|| aws_auth.as_ref().map(|a| a.arn().to_string()))
            .unwrap_or_default();
        vec![
            key_aws_auth(cluster, &strip_role_path(&arn)),
            key_access_entry(cluster, &arn),
        ]
    }
    fn merge(&self, desired: &RenderedKind, pieces: &[&RenderedKind]) -> RenderedKind {
        let RenderedKind::Access { cluster, .. } = desired else {
            return pieces[0].clone();
        };
        let (mut aa, mut ae) = (None, None);
        for p in pieces {
            if let RenderedKind::Access {
                aws_auth,
                access_entry,
                ..
            } = p
            {
                aa = aa.or(aws_auth.clone());
                ae = ae.or(access_entry.clone());
            }
        }
        RenderedKind::Access {
            cluster: cluster.clone(),
            aws_auth: aa,
            access_entry: ae,
        }
    }
    /// Groups and policies in any order; the username of an access entry only when the stack
    /// gives one (EKS generates one otherwise).
    fn normalize(&self, piece: &RenderedKind, desired: &RenderedKind) -> Json {
        match (piece, desired) {
            (
                RenderedKind::Access {
                    aws_auth,
                    access_entry,
                    ..
                },
                RenderedKind::Access {
                    access_entry: de, ..
                },
            ) => json!({
                "aws_auth": aws_auth.as_ref().map(|a| json!({ "arn": a.arn(), "username": a.username, "groups": sorted(&a.groups) })),
                "access_entry": access_entry.as_ref().map(|e| {
                    let mut pols: Vec<Json> = e.access_policies.iter().map(|p| json!({ "policy_arn": p.policy_arn, "type": p.access_scope.scope_type, "namespaces": sorted(&p.access_scope.namespaces) })).collect();
                    pols.sort_by_key(|p| p.to_string());
                    // EKS generates a username when none is given: compare only a specified one.
                    let username = if de.as_ref().is_some_and(|d| d.username.is_some()) { json!(e.username) } else { Json::Null };
                    json!({ "principal_arn": e.principal_arn, "username": username, "groups": sorted(&e.kubernetes_groups), "type": e.entry_type, "policies": pols })
                }),
            }),
            _ => serde_json::to_value(piece).unwrap_or_default(),
        }
    }
    fn replace_reason(&self, before: &RenderedKind, after: &RenderedKind) -> Option<String> {
        match (before, after) {
            (
                RenderedKind::Access {
                    access_entry: Some(a),
                    ..
                },
                RenderedKind::Access {
                    access_entry: Some(b),
                    ..
                },
            ) if a.entry_type != b.entry_type => Some(format!(
                "access entry type changed from {} to {} (immutable)",
                a.entry_type, b.entry_type
            )),
            _ => None,
        }
    }
    fn delete_tier(&self) -> u8 {
        0
    }
    fn describe(&self, piece: &RenderedKind) -> String {
        let RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } = piece
        else {
            return String::new();
        };
        match (aws_auth, access_entry) {
            (Some(a), _) => format!("the aws-auth entry for {} in cluster {cluster}", a.arn()),
            (_, Some(e)) => format!(
                "the access entry for {} in cluster {cluster}",
                e.principal_arn
            ),
            _ => "an access mapping".into(),
        }
    }
    fn import_id(&self, piece: &RenderedKind) -> String {
        self.orphan_name(piece)
    }
    /// The principal's ARN (the `aws-auth` entry's first).
    fn orphan_name(&self, piece: &RenderedKind) -> String {
        let RenderedKind::Access {
            aws_auth,
            access_entry,
            ..
        } = piece
        else {
            return String::new();
        };
        aws_auth
            .as_ref()
            .map(|a| a.arn().to_string())
            .or_else(|| access_entry.as_ref().map(|e| e.principal_arn.clone()))
            .unwrap_or_default()
    }
}
