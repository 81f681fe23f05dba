//! One home per resource kind: what differs between kinds on the diff side — live identity
//! (the keys of its pieces, the other keys it may find them under), how its live pieces merge
//! into one object, its comparable (normalised) form, why a change must replace it, when it
//! is deleted, and how it is named in messages and by `eksfed import`.
//!
//! The stages (`diff`, `live`, `report`) own the walk and ask the kind through [`of`]. A new
//! kind is a new file here implementing [`Kind`], and one arm in [`of`].

pub mod access;
pub mod k8s;
pub mod kind;
pub mod oidc_provider;
pub mod policy;
pub mod rbac_binding;
pub mod role;
pub mod saml_provider;
pub mod service_account;

pub use kind::{Kind, ObjectKey};

use crate::render::RenderedKind;

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
