//! `access`: a principal's way into a cluster — an `aws-auth` entry and/or an EKS access
//! entry (with its access policies), by the cluster's access mode.

use super::kind::{sorted, Kind, ObjectKey};
use crate::render::{self, RenderedKind};
use crate::schema::types::{opt, req, Attr, BlockSchema, Ty};
use serde_json::{json, Value as Json};

// ---- Schema

pub const ACCESS_POLICY_ATTRS: &[Attr] = &[
    req(
        "policy",
        Ty::String,
        "EKS cluster access policy name or ARN",
    ),
    opt("scope", Ty::String, "cluster | namespace"),
    opt(
        "namespaces",
        Ty::ListString,
        "namespaces for namespace scope",
    ),
];

/// The `access` block: its labels, attributes and nested blocks.
pub const SCHEMA: BlockSchema = BlockSchema {
    name: "access",
    labels: &["label"],
    attrs: &[
        req("cluster", Ty::Ref(&["cluster"]), "the cluster"),
        opt("role", Ty::Ref(&["role"]), "a role of the stack"),
        opt("role_arn", Ty::String, "or a role ARN"),
        opt("user_arn", Ty::String, "or a user ARN"),
        opt(
            "username",
            Ty::String,
            "Kubernetes user name (aws-iam-authenticator templates allowed)",
        ),
        opt("groups", Ty::ListString, "Kubernetes groups"),
        opt(
            "access_policies",
            Ty::ListObject(ACCESS_POLICY_ATTRS),
            "EKS access policy associations",
        ),
        opt("type", Ty::String, "access entry type: STANDARD (default), or a node type EC2, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX (EKS assigns the username and groups)"),
    ],
    blocks: &[],
    open: false,
    doc: "a person-facing IAM role or user mapped into a cluster",
};

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
            key_aws_auth(cluster, &render::strip_role_path(&arn)),
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
