//! One home per resource kind: what differs between kinds on the diff side — live identity
//! (the keys of its pieces, the other keys it may find them under), how its live pieces merge
//! into one object, its comparable (normalised) form, why a change must replace it, when it
//! is deleted, and how it is named in messages and by `eksfed import`.
//!
//! The stages (`diff`, `live`, `report`) own the walk and ask the kind through [`of`]. A new
//! kind is a new file here implementing [`Kind`], and one arm in [`of`].

pub mod access;
pub mod k8s;
pub mod oidc_provider;
pub mod policy;
pub mod rbac_binding;
pub mod role;
pub mod saml_provider;
pub mod service_account;

use crate::render::RenderedKind;
use serde_json::Value as Json;
use std::collections::BTreeMap;

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
}

/// Every kind, in the order providers, policies, roles, then cluster-side objects.
pub static ALL: [&dyn Kind; 7] = [
    &oidc_provider::OidcProviderKind,
    &saml_provider::SamlProviderKind,
    &policy::PolicyKind,
    &role::RoleKind,
    &service_account::ServiceAccountKind,
    &access::AccessKind,
    &rbac_binding::RbacBindingKind,
];

/// The kind of a rendered resource or live piece.
pub fn of(piece: &RenderedKind) -> &'static dyn Kind {
    match piece {
        RenderedKind::OidcProvider { .. } => &oidc_provider::OidcProviderKind,
        RenderedKind::SamlProvider { .. } => &saml_provider::SamlProviderKind,
        RenderedKind::Policy { .. } => &policy::PolicyKind,
        RenderedKind::Role { .. } => &role::RoleKind,
        RenderedKind::ServiceAccount { .. } => &service_account::ServiceAccountKind,
        RenderedKind::Access { .. } => &access::AccessKind,
        RenderedKind::RbacBinding { .. } => &rbac_binding::RbacBindingKind,
    }
}

/// The keys of every piece a rendered resource (or a live piece) is made of.
pub fn keys(piece: &RenderedKind) -> Vec<ObjectKey> {
    of(piece).keys(piece)
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
    let what = of(piece).orphan_name(piece);
    format!(
        "{}.{}",
        piece.type_name(),
        clean(what.rsplit('/').next().unwrap_or(&what))
    )
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
