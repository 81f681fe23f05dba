//! The live snapshot the runtime reads and the diff compares against. Every live object is a
//! *piece* in the same shape as render's output ([`RenderedKind`]): a role, a policy, a
//! provider, one ServiceAccount manifest, one RBAC manifest, one `aws-auth` entry, one access
//! entry, one pod identity association. A desired resource is made of one or more pieces,
//! found by their [`keys`].

use crate::plan::rendered::AccessEntry;
use crate::plan::rendered::AwsAuthEntry;
use crate::plan::rendered::PodIdentityAssociation;
use crate::plan::rendered::RenderedKind;
use crate::plan::rendered::RenderedResource;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::kinds::kind::ObjectKey;

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

pub fn resource(address: String, kind: RenderedKind) -> RenderedResource {
    RenderedResource { address, kind }
}
