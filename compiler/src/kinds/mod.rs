//! One home per resource kind: what differs between kinds on the diff side — live identity
//! (the keys of its pieces, the other keys it may find them under), how its live pieces merge
//! into one object, its comparable (normalised) form, why a change must replace it, when it
//! is deleted, and how it is named in messages and by `eksfed import`.
//!
//! Each kind file also holds, above its `Kind` impl, the front half of the kind: its block's
//! schema (`SCHEMA`, listed in `schema::TOP_LEVEL`) and its lowering — block → typed model
//! ([`lower`]), an `existing = true` object ([`lower_existing`], [`existing_piece`],
//! [`describe_existing`]), its exports ([`exports`]) and the ids an `import` block names it by
//! ([`import_ids`], [`import_id_form`]). Below it, its render: typed model → the piece AWS or
//! Kubernetes holds ([`render`]), the files `eksfed render --out` writes ([`files`],
//! [`cluster_files`]), and the namespaces and trusted clusters other stages ask about
//! ([`namespaces`], [`trusted_clusters`]). `cluster.rs` holds only the front half: a cluster
//! is read, never rendered, and has no `Kind`.
//!
//! The stages (`resolve`, `adopt`, `render`, `diff`, `live`, `report`) own the walk and ask
//! the kind through [`of`] and the dispatch functions after it. A new kind is a new file here
//! implementing [`Kind`], and one arm in [`of`] and in each dispatch function.

pub mod lowering;

pub mod access;
pub mod cluster;
pub mod id;
pub mod k8s;
pub mod kind;
pub mod oidc_provider;
pub mod policy;
pub mod rbac_binding;
pub mod role;
pub mod saml_provider;
pub mod service_account;

use id::KindId;
use kind::{Kind, ObjectKey, Parts};

use crate::desired::model::{DesiredState, Resource, ResourceKind};
use crate::diag::Diagnostics;
use crate::language::evblock::EvBlock;
use crate::language::value::{Address, Value};
use crate::plan::rendered::{RenderFile, RenderedKind, RenderedResource};
use indexmap::IndexMap;
use lowering::Ctx;

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

/// Lowers one evaluated resource block to its typed form (`None` for a block of no kind).
pub fn lower(
    addr: &Address,
    b: &EvBlock,
    ctx: &Ctx<'_>,
    d: &mut Diagnostics,
) -> Option<ResourceKind> {
    Some(match KindId::parse(&addr.kind)? {
        KindId::Cluster => cluster::lower(addr, b, ctx, d),
        KindId::OidcProvider => oidc_provider::lower(addr, b, ctx, d),
        KindId::SamlProvider => saml_provider::lower(addr, b, ctx, d),
        KindId::Policy => policy::lower(addr, b, ctx, d),
        KindId::Role => role::lower(addr, b, ctx, d),
        KindId::ServiceAccount => service_account::lower(addr, b, ctx, d),
        KindId::Access => access::lower(addr, b, ctx, d),
        KindId::RbacBinding => rbac_binding::lower(addr, b, ctx, d),
    })
}

/// The typed form of an `existing = true` block, identity and ARN only (`None` for a kind
/// that cannot be existing).
pub fn lower_existing(
    addr: &Address,
    b: &EvBlock,
    ctx: &Ctx<'_>,
    d: &mut Diagnostics,
) -> Option<ResourceKind> {
    Some(match KindId::parse(&addr.kind)? {
        KindId::OidcProvider => oidc_provider::lower_existing(addr, b, ctx, d),
        KindId::SamlProvider => saml_provider::lower_existing(addr, b, ctx),
        KindId::Policy => policy::lower_existing(addr, b, ctx),
        KindId::Role => role::lower_existing(addr, b, ctx),
        KindId::Cluster | KindId::ServiceAccount | KindId::Access | KindId::RbacBinding => {
            return None
        }
    })
}

/// What other blocks may read of a resource: `TYPE.LABEL.ATTR`.
pub fn exports(kind: &ResourceKind, ctx: &Ctx<'_>) -> IndexMap<String, Value> {
    match kind {
        ResourceKind::Cluster(c) => cluster::exports(c, ctx),
        ResourceKind::OidcProvider(p) => oidc_provider::exports(p, ctx),
        ResourceKind::SamlProvider(p) => saml_provider::exports(p, ctx),
        ResourceKind::Policy(p) => policy::exports(p, ctx),
        ResourceKind::Role(r) => role::exports(r, ctx),
        ResourceKind::ServiceAccount(sa) => service_account::exports(sa, ctx),
        ResourceKind::Access(a) => access::exports(a, ctx),
        ResourceKind::RbacBinding(rb) => rbac_binding::exports(rb, ctx),
    }
}

/// The identity-only rendered piece of an `existing = true` resource (`None` for a kind that
/// cannot be existing).
pub fn existing_piece(kind: &ResourceKind) -> Option<RenderedKind> {
    Some(match kind {
        ResourceKind::OidcProvider(p) => oidc_provider::existing_piece(p),
        ResourceKind::SamlProvider(p) => saml_provider::existing_piece(p),
        ResourceKind::Policy(p) => policy::existing_piece(p),
        ResourceKind::Role(r) => role::existing_piece(r),
        _ => return None,
    })
}

/// What an `existing = true` resource is, for messages.
pub fn describe_existing(piece: &RenderedKind) -> String {
    match piece {
        RenderedKind::OidcProvider { url, .. } => oidc_provider::describe_existing(url),
        RenderedKind::SamlProvider { name, .. } => saml_provider::describe_existing(name),
        RenderedKind::Policy { .. } | RenderedKind::Role { .. } => of(piece).describe(piece),
        other => format!("the {}", other.type_name()),
    }
}

/// The ids that name the object a rendered resource describes, in the form `import` takes,
/// the first the one to suggest; `model` is the resource's typed form when known.
pub fn import_ids(model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String> {
    match piece {
        RenderedKind::OidcProvider { url, .. } => oidc_provider::import_ids(url),
        RenderedKind::SamlProvider { name, .. } => saml_provider::import_ids(name),
        RenderedKind::Policy { name, .. } => policy::import_ids(name),
        RenderedKind::Role { name, .. } => role::import_ids(name),
        RenderedKind::ServiceAccount {
            manifest,
            pod_identity_association,
            ..
        } => service_account::import_ids(manifest, pod_identity_association.as_ref()),
        RenderedKind::Access {
            aws_auth,
            access_entry,
            ..
        } => access::import_ids(model, aws_auth.as_ref(), access_entry.as_ref()),
        RenderedKind::RbacBinding { manifests, .. } => rbac_binding::import_ids(manifests),
    }
}

/// How an `import` block names an object of the piece's kind, for messages.
pub fn import_id_form(piece: &RenderedKind) -> &'static str {
    match piece {
        RenderedKind::OidcProvider { .. } => oidc_provider::IMPORT_ID_FORM,
        RenderedKind::SamlProvider { .. } => saml_provider::IMPORT_ID_FORM,
        RenderedKind::Policy { .. } => policy::IMPORT_ID_FORM,
        RenderedKind::Role { .. } => role::IMPORT_ID_FORM,
        RenderedKind::ServiceAccount { .. } => service_account::IMPORT_ID_FORM,
        RenderedKind::Access { .. } => access::IMPORT_ID_FORM,
        RenderedKind::RbacBinding { .. } => rbac_binding::IMPORT_ID_FORM,
    }
}

/// What a rendered resource (or a live piece) is made of, by the system holding each part.
pub fn parts(piece: &RenderedKind) -> Parts<'_> {
    of(piece).parts(piece)
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

/// The rendered form of a declared resource; `None` for what renders nothing (a cluster).
pub fn render(r: &Resource, desired: &DesiredState) -> Option<RenderedKind> {
    let stack = &desired.stack.name;
    Some(match &r.kind {
        ResourceKind::Cluster(_) => return None,
        ResourceKind::OidcProvider(p) => oidc_provider::render(p, stack),
        ResourceKind::SamlProvider(p) => saml_provider::render(p, stack),
        ResourceKind::Policy(p) => policy::render(p, stack),
        ResourceKind::Role(p) => role::render(p, stack),
        ResourceKind::ServiceAccount(p) => service_account::render(p, desired),
        ResourceKind::Access(p) => access::render(p, desired),
        ResourceKind::RbacBinding(p) => rbac_binding::render(p, &r.address, stack),
    })
}

/// The files `eksfed render --out` writes for one rendered resource on its own.
pub fn files(res: &RenderedResource) -> Vec<RenderFile> {
    match &res.kind {
        RenderedKind::OidcProvider { .. } => oidc_provider::files(res),
        RenderedKind::SamlProvider { .. } => saml_provider::files(res),
        RenderedKind::Policy { .. } => policy::files(res),
        RenderedKind::Role { .. } => role::files(res),
        RenderedKind::ServiceAccount { .. } => service_account::files(res),
        RenderedKind::Access { .. } => access::files(res),
        RenderedKind::RbacBinding { .. } => rbac_binding::files(res),
    }
}

/// The files the pieces of one cluster share (written after every resource's own files),
/// in this order: `aws-auth` entries, access entries, pod identity associations.
pub fn cluster_files(pieces: &[&RenderedKind]) -> Vec<RenderFile> {
    [
        access::cluster_files(pieces),
        service_account::cluster_files(pieces),
    ]
    .concat()
}

/// The namespaces a declared resource's Kubernetes objects go into; `None` for kinds that
/// have none.
pub fn namespaces(r: &Resource) -> Option<k8s::Namespaces> {
    match &r.kind {
        ResourceKind::ServiceAccount(p) => Some(service_account::namespaces(p)),
        ResourceKind::RbacBinding(p) => Some(rbac_binding::namespaces(p)),
        _ => None,
    }
}

/// The clusters whose service accounts a declared resource trusts, each with the issuer it
/// names; empty for kinds that trust none.
pub fn trusted_clusters(r: &Resource) -> Vec<(&Address, &str)> {
    match &r.kind {
        ResourceKind::Role(p) => role::trusted_clusters(p),
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    /// One piece of every kind, as a reader would give it.
    fn samples() -> Vec<RenderedKind> {
        let arn = "arn:aws:iam::111122223333:role/app";
        [
            json!({"type": "oidc_provider", "arn": "arn:aws:iam::111122223333:oidc-provider/example.com", "url": "https://example.com", "client_ids": [], "tags": {}}),
            json!({"type": "saml_provider", "arn": "arn:aws:iam::111122223333:saml-provider/okta", "name": "okta", "metadata": "<x/>", "tags": {}}),
            json!({"type": "policy", "name": "p", "path": "/", "description": "", "arn": "arn:aws:iam::111122223333:policy/p", "document": {}, "tags": {}}),
            json!({"type": "role", "name": "app", "path": "/", "description": "", "arn": arn, "max_session_duration": 3600, "tags": {}, "trust_policy": {}, "policies": [], "inline_policies": {}}),
            json!({"type": "service_account", "cluster": "prod", "manifest": {"kind": "ServiceAccount", "metadata": {"name": "api", "namespace": "pay"}}}),
            json!({"type": "access", "cluster": "prod", "aws_auth": {"rolearn": arn, "groups": []}}),
            json!({"type": "rbac_binding", "cluster": "prod", "manifests": [{"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "pay"}}]}),
        ]
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect()
    }

    #[test]
    fn every_kind_is_in_the_table_once_and_found_by_of() {
        let names: Vec<&str> = ALL.iter().map(|k| k.type_name()).collect();
        let mut distinct = names.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
        let samples = samples();
        assert_eq!(samples.len(), ALL.len());
        for p in &samples {
            assert_eq!(of(p).type_name(), p.type_name());
            assert!(names.contains(&p.type_name()));
        }
    }

    #[test]
    fn each_piece_has_one_key_and_other_kinds_give_none() {
        let samples = samples();
        for p in &samples {
            assert_eq!(keys(p).len(), 1, "{}", p.type_name());
            for k in ALL.iter().filter(|k| k.type_name() != p.type_name()) {
                assert!(
                    k.keys(p).is_empty(),
                    "{} on {}",
                    k.type_name(),
                    p.type_name()
                );
                assert_eq!(k.replace_reason(p, p), None);
            }
        }
        assert_eq!(
            keys(&samples[4]),
            vec!["k8s:prod:ServiceAccount:pay/api".to_string()]
        );
        assert_eq!(orphan_address(&samples[4]), "service_account.api");
        assert_eq!(orphan_address(&samples[0]), "oidc_provider.example_com");
    }

    /// Each piece lives where the runtime reads and writes it: IAM, Kubernetes or EKS.
    #[test]
    fn parts_name_the_system_of_each_piece() {
        let systems: Vec<(&str, bool, bool, bool)> = samples()
            .iter()
            .map(|p| {
                let parts = parts(p);
                (p.type_name(), parts.iam, parts.kube(), parts.eks())
            })
            .collect();
        assert_eq!(
            systems,
            vec![
                ("oidc_provider", true, false, false),
                ("saml_provider", true, false, false),
                ("policy", true, false, false),
                ("role", true, false, false),
                ("service_account", false, true, false),
                ("access", false, true, false),
                ("rbac_binding", false, true, false),
            ]
        );
        let pod_identity: RenderedKind = serde_json::from_value(json!({"type": "service_account", "cluster": "prod", "manifest": null,
            "pod_identity_association": {"cluster_name": "prod", "namespace": "pay", "service_account": "api", "role_arn": "arn:aws:iam::111122223333:role/app"}}))
        .unwrap();
        let p = parts(&pod_identity);
        assert!(p.manifests.is_empty() && !p.kube() && p.eks());
        for k in ALL.iter().filter(|k| k.type_name() != "service_account") {
            let other = k.parts(&pod_identity);
            assert!(
                !other.iam && !other.kube() && !other.eks(),
                "{}",
                k.type_name()
            );
        }
    }

    /// Deletes run dependents first: cluster-side pieces, roles, policies, providers.
    #[test]
    fn delete_tiers_put_dependents_first() {
        let tier = |n: &str| {
            ALL.iter()
                .find(|k| k.type_name() == n)
                .unwrap()
                .delete_tier()
        };
        assert!(tier("service_account") < tier("role"));
        assert!(tier("access") < tier("role"));
        assert!(tier("rbac_binding") < tier("role"));
        assert!(tier("role") < tier("policy"));
        assert!(tier("policy") < tier("oidc_provider"));
        assert_eq!(tier("oidc_provider"), tier("saml_provider"));
    }
}
