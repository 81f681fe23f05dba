//! The live snapshot the runtime reads and the diff compares against. Every live object is a
//! *piece* in the same shape as render's output ([`RenderedKind`]): a role, a policy, a
//! provider, one ServiceAccount manifest, one RBAC manifest, one `aws-auth` entry, one access
//! entry, one pod identity association. A desired resource is made of one or more pieces,
//! found by their [`keys`].

use crate::render::{
    AccessEntry, AwsAuthEntry, PodIdentityAssociation, RenderedKind, RenderedResource,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Identity of a live object, stable across runs (names and ARNs, never server ids).
pub type ObjectKey = String;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveObject {
    pub key: ObjectKey,
    /// The stack named by its ownership mark (`eksfed:stack` tag, `eksfed.io/stack` label, or
    /// the `aws-auth` ownership annotation); `None` when it carries no mark.
    pub owner: Option<String>,
    pub piece: RenderedKind,
    /// A hash of everything read about the object; a saved plan is refused when it moved.
    pub fingerprint: String,
    /// Server-side facts apply needs and the diff ignores (policy version ids, association
    /// ids, resourceVersion...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveState {
    pub account_id: String,
    /// Objects the stack owns, and objects holding a name or ARN the stack wants.
    pub objects: Vec<LiveObject>,
}

impl LiveState {
    pub fn get(&self, key: &str) -> Option<&LiveObject> {
        self.objects.iter().find(|o| o.key == key)
    }
}

/// In a reader's wanted keys: every object, owned or not (`eksfed access --live`, read-only).
pub const ANY_KEY: &str = "*";

pub fn key_oidc(arn: &str) -> ObjectKey {
    format!("iam:oidc-provider:{arn}")
}
pub fn key_saml(arn: &str) -> ObjectKey {
    format!("iam:saml-provider:{arn}")
}
pub fn key_policy(arn: &str) -> ObjectKey {
    format!("iam:policy:{arn}")
}
/// Role names are unique in an account whatever the path, so a path change keeps the key.
pub fn key_role(name: &str) -> ObjectKey {
    format!("iam:role:{name}")
}
pub fn key_service_account(cluster: &str, ns: &str, name: &str) -> ObjectKey {
    format!("k8s:{cluster}:ServiceAccount:{ns}/{name}")
}
pub fn key_pod_identity(cluster: &str, ns: &str, sa: &str) -> ObjectKey {
    format!("eks:{cluster}:pod-identity:{ns}/{sa}")
}
pub fn key_aws_auth(cluster: &str, arn: &str) -> ObjectKey {
    format!("k8s:{cluster}:aws-auth:{arn}")
}
pub fn key_access_entry(cluster: &str, principal_arn: &str) -> ObjectKey {
    format!("eks:{cluster}:access-entry:{principal_arn}")
}
pub fn key_manifest(cluster: &str, m: &serde_json::Value) -> ObjectKey {
    let kind = m["kind"].as_str().unwrap_or("");
    let ns = m["metadata"]["namespace"].as_str().unwrap_or("");
    let name = m["metadata"]["name"].as_str().unwrap_or("");
    format!("k8s:{cluster}:{kind}:{ns}/{name}")
}

/// Live piece constructors, for readers.
pub fn aws_auth_piece(cluster: &str, entry: AwsAuthEntry) -> RenderedKind {
    RenderedKind::Access {
        cluster: cluster.to_string(),
        aws_auth: Some(entry),
        access_entry: None,
    }
}
pub fn access_entry_piece(cluster: &str, entry: AccessEntry) -> RenderedKind {
    RenderedKind::Access {
        cluster: cluster.to_string(),
        aws_auth: None,
        access_entry: Some(entry),
    }
}
pub fn pod_identity_piece(cluster: &str, a: PodIdentityAssociation) -> RenderedKind {
    RenderedKind::ServiceAccount {
        cluster: cluster.to_string(),
        manifest: serde_json::Value::Null,
        pod_identity_association: Some(a),
    }
}

/// The keys of every piece a rendered resource (or a live piece) is made of.
pub fn keys(kind: &RenderedKind) -> Vec<ObjectKey> {
    match kind {
        RenderedKind::OidcProvider { arn, .. } => vec![key_oidc(arn)],
        RenderedKind::SamlProvider { arn, .. } => vec![key_saml(arn)],
        RenderedKind::Policy { arn, .. } => vec![key_policy(arn)],
        RenderedKind::Role { name, .. } => vec![key_role(name)],
        RenderedKind::ServiceAccount {
            cluster,
            manifest,
            pod_identity_association,
        } => {
            let mut v = vec![];
            if !manifest.is_null() {
                v.push(key_manifest(cluster, manifest));
            }
            if let Some(p) = pod_identity_association {
                v.push(key_pod_identity(cluster, &p.namespace, &p.service_account));
            }
            v
        }
        RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } => {
            let mut v = vec![];
            if let Some(a) = aws_auth {
                v.push(key_aws_auth(cluster, a.arn()));
            }
            if let Some(e) = access_entry {
                v.push(key_access_entry(cluster, &e.principal_arn));
            }
            v
        }
        RenderedKind::RbacBinding { cluster, manifests } => {
            manifests.iter().map(|m| key_manifest(cluster, m)).collect()
        }
    }
}

/// FNV-1a 64 over a value's JSON: stable across builds, used for fingerprints.
pub fn fingerprint(v: &impl Serialize) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// Builds a live object with its fingerprint.
pub fn live_object(
    key: ObjectKey,
    owner: Option<String>,
    piece: RenderedKind,
    meta: BTreeMap<String, serde_json::Value>,
) -> LiveObject {
    let fingerprint = fingerprint(&(&piece, &meta, &owner));
    LiveObject {
        key,
        owner,
        piece,
        fingerprint,
        meta,
    }
}

/// A rendered resource's address for an owned live piece that is no longer declared.
pub fn orphan_address(piece: &RenderedKind) -> String {
    let clean = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    let what = match piece {
        RenderedKind::OidcProvider { url, .. } => url.trim_start_matches("https://").to_string(),
        RenderedKind::SamlProvider { name, .. }
        | RenderedKind::Policy { name, .. }
        | RenderedKind::Role { name, .. } => name.clone(),
        RenderedKind::ServiceAccount {
            manifest,
            pod_identity_association,
            ..
        } => match pod_identity_association {
            Some(p) => format!("{}/{}", p.namespace, p.service_account),
            None => format!(
                "{}/{}",
                manifest["metadata"]["namespace"].as_str().unwrap_or(""),
                manifest["metadata"]["name"].as_str().unwrap_or("")
            ),
        },
        RenderedKind::Access {
            aws_auth,
            access_entry,
            ..
        } => aws_auth
            .as_ref()
            .map(|a| a.arn().to_string())
            .or_else(|| access_entry.as_ref().map(|e| e.principal_arn.clone()))
            .unwrap_or_default(),
        RenderedKind::RbacBinding { manifests, .. } => manifests
            .first()
            .and_then(|m| m["metadata"]["name"].as_str())
            .unwrap_or("")
            .to_string(),
    };
    format!(
        "{}.{}",
        piece.type_name(),
        clean(what.rsplit('/').next().unwrap_or(&what))
    )
}

pub fn resource(address: String, kind: RenderedKind) -> RenderedResource {
    RenderedResource { address, kind }
}
