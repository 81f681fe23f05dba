//! The [`Kind`] trait every kind file implements, the live identity type and the helpers the
//! kind files share. A leaf: the kind files import it, never `kinds/mod.rs` (which lists them).

use crate::desired::model::ResourceKind;
use crate::plan::rendered::{
    AccessEntry, AwsAuthEntry, PodIdentityAssociation, RenderFile, RenderedKind, RenderedResource,
};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// What a piece is made of, by the system that holds each part: what the runtime reads and
/// writes for it. A Kubernetes kind made of manifests needs no runtime code of its own:
/// `k8s` applies every manifest with server-side apply.
#[derive(Debug, Default)]
pub struct Parts<'a> {
    /// The piece is an IAM object (the runtime's `iam` module reads and writes it).
    pub iam: bool,
    /// Kubernetes manifests, applied with server-side apply.
    pub manifests: Vec<&'a Json>,
    /// An entry in the cluster's `aws-auth` ConfigMap.
    pub aws_auth: Option<&'a AwsAuthEntry>,
    /// An EKS access entry (with its access policies).
    pub access_entry: Option<&'a AccessEntry>,
    /// An EKS pod identity association.
    pub pod_identity: Option<&'a PodIdentityAssociation>,
}

impl Parts<'_> {
    /// The parts of an IAM kind's piece: the IAM object itself when `is_this_kind`, nothing
    /// for a piece of another kind.
    pub fn iam_object(is_this_kind: bool) -> Self {
        Parts {
            iam: is_this_kind,
            ..Parts::default()
        }
    }
    /// Something lives in the cluster's Kubernetes API.
    pub fn kube(&self) -> bool {
        !self.manifests.is_empty() || self.aws_auth.is_some()
    }
    /// Something lives in the EKS API.
    pub fn eks(&self) -> bool {
        self.access_entry.is_some() || self.pod_identity.is_some()
    }
}

/// Identity of a live object, stable across runs (names and ARNs, never server ids).
pub type ObjectKey = String;

/// What differs per resource kind. Every method is handed pieces of this kind (a value of
/// another kind gets the neutral answer: no keys, its JSON, no reason).
pub trait Kind: Sync {
    /// The kind's name in addresses and plans (`role`, `service_account`, ...).
    fn type_name(&self) -> &'static str;
    /// The keys of every piece a rendered resource (or a live piece) of this kind is made of.
    fn keys(&self, piece: &RenderedKind) -> Vec<ObjectKey>;
    /// More keys a desired resource may find its live pieces under: the pieces it had under
    /// another mode (an `aws-auth` entry after a switch to access entries, an IRSA account
    /// now in pod identity mode).
    fn other_mode_keys(&self, _desired: &RenderedKind) -> Vec<ObjectKey> {
        vec![]
    }
    /// Keys of live pieces, owned by the stack, that belong to `desired` although no key of
    /// it names them (a RoleBinding in a namespace no longer listed). `owned` yields the
    /// stack's own live pieces, in snapshot order; kinds that do not need it never read it.
    fn owned_keys(
        &self,
        _desired: &RenderedKind,
        _owned: &mut dyn Iterator<Item = (&ObjectKey, &RenderedKind)>,
    ) -> Vec<ObjectKey> {
        vec![]
    }
    /// The live pieces of one resource (never empty) merged into one object of this kind.
    fn merge(&self, _desired: &RenderedKind, pieces: &[&RenderedKind]) -> RenderedKind {
        pieces[0].clone()
    }
    /// The comparable form of `piece`, seen through the desired object (what it specifies).
    fn normalize(&self, piece: &RenderedKind, _desired: &RenderedKind) -> Json {
        serde_json::to_value(piece).unwrap_or_default()
    }
    /// Why going from `before` to `after` needs a replace rather than an update.
    fn replace_reason(&self, _before: &RenderedKind, _after: &RenderedKind) -> Option<String> {
        None
    }
    /// Deletes run dependents first: lower tiers are deleted before higher ones.
    fn delete_tier(&self) -> u8;
    /// When a new value of this attribute makes a new object (`name`, `url`): a create and a
    /// delete of this kind, one each, are one replace. `None` for kinds that never pair.
    fn renamed_by(&self) -> Option<&'static str> {
        None
    }
    /// The object in messages: `the role NAME`.
    fn describe(&self, piece: &RenderedKind) -> String;
    /// The ID `eksfed import` takes for a piece.
    fn import_id(&self, piece: &RenderedKind) -> String;
    /// The name an owned piece no longer declared gets in its address (before cleaning).
    fn orphan_name(&self, piece: &RenderedKind) -> String;
    /// Marks `piece` as owned by `stack`, as apply would leave it (the stack tag on an IAM
    /// object, the ownership labels on a manifest). Kinds whose ownership is kept elsewhere
    /// (an `aws-auth` entry's annotation) leave it as it is.
    fn mark_owned(&self, _piece: &mut RenderedKind, _stack: &str) {}
    /// What `piece` is made of, by the system holding each part.
    fn parts<'a>(&self, piece: &'a RenderedKind) -> Parts<'a>;
    /// How an `import` block names an object of this kind, for messages.
    fn import_id_form(&self) -> &'static str;
    /// The ids that name the object a piece describes, in the form `import` takes, the first
    /// the one to suggest; `model` is the resource's typed form when known.
    fn import_ids(&self, model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String>;
    /// An `existing = true` object in messages: its [`Kind::describe`] unless the kind words
    /// it otherwise.
    fn describe_existing(&self, piece: &RenderedKind) -> String {
        self.describe(piece)
    }
    /// The files `eksfed render --out` writes for one resource of this kind on its own.
    fn files(&self, res: &RenderedResource) -> Vec<RenderFile>;
    /// The files the pieces of this kind in one cluster share (written after every
    /// resource's own files); none for a kind whose files are all its own.
    fn cluster_files(&self, _pieces: &[&RenderedKind]) -> Vec<RenderFile> {
        vec![]
    }
}

/// The ownership labels of `stack` on a Kubernetes manifest.
pub(crate) fn label_owned(manifest: &mut Json, stack: &str) {
    if manifest.is_object() {
        for (k, v) in crate::plan::rendered::ownership_labels(stack) {
            manifest["metadata"]["labels"][k] = Json::String(v);
        }
    }
}

/// A sorted list without duplicates (IAM and EKS keep lists in no particular order).
pub(crate) fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Tags compared whatever their order.
pub(crate) fn sorted_map(m: &indexmap::IndexMap<String, String>) -> BTreeMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// `namespace/name` of a Kubernetes manifest.
pub(crate) fn ns_name(m: &Json) -> String {
    format!(
        "{}/{}",
        m["metadata"]["namespace"].as_str().unwrap_or(""),
        m["metadata"]["name"].as_str().unwrap_or("")
    )
}
