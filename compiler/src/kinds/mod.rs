//! One home per resource kind: what differs between kinds on the diff side — live identity
//! (the keys of its pieces, the other keys it may find them under), how its live pieces merge
//! into one object, its comparable (normalised) form, why a change must replace it, when it
//! is deleted, and how it is named in messages and by `eksfed import`.
//!
//! Each kind file also holds the front half of the kind: its block's schema (`SCHEMA`) and its
//! lowering — block → typed model — in its [`Lower`] impl, then its render — typed model → the
//! piece AWS or Kubernetes holds — in its [`Render`] impl, then its [`Kind`] impl (the piece
//! side: the diff, the files `eksfed render --out` writes, the ids `import` takes).
//! `cluster.rs` implements only `Lower`: a cluster is read, never rendered.
//!
//! Every kind is registered once, in the `kinds!` table below: that one line per kind
//! generates [`ALL`], [`of`], every dispatch function after it and the registry's test
//! table. The stages (`resolve`, `adopt`, `render`, `diff`, `live`, `report`) own the walk
//! and ask the kind through them.

pub mod lowering;

pub mod declared;
pub mod id;
pub mod k8s;
pub mod kind;
// The kind files (`cluster.rs`, `role.rs`, ...) are declared by their line in `kinds!`.

use declared::{Lower, Render};
use id::KindId;
use kind::{Kind, ObjectKey, Parts};

use crate::desired::model::{DesiredState, Resource, ResourceKind};
use crate::diag::Diagnostics;
use crate::language::evblock::EvBlock;
use crate::language::schema::types::BlockSchema;
use crate::language::value::{Address, Value};
use crate::plan::rendered::{RenderFile, RenderedKind, RenderedResource};
use indexmap::IndexMap;
use lowering::Ctx;

/// The registry: from one line per kind — `Variant => module::Type`, the variant named the
/// same in `KindId`, `model::ResourceKind` and `RenderedKind` — it declares the kind's module
/// (`pub mod module;`, its file `kinds/module.rs`) and generates [`ALL`],
/// [`SCHEMAS`], [`of`] and the dispatch functions (each an exhaustive match, one arm per
/// kind, delegating to the kind's `Lower`, `Render` or `Kind` impl), and the test table
/// that checks each line against its kind file. `read` kinds (the cluster) implement only
/// `Lower`; `rendered` kinds implement `Lower`, `Render` and `Kind`, in the order
/// providers, policies, roles, then cluster-side objects (the order of `KindId::ALL`).
macro_rules! kinds {
    (
        read { $($rv:ident => $rm:ident :: $rt:ident),* $(,)? }
        rendered { $($v:ident => $m:ident :: $t:ident),* $(,)? }
    ) => {
        $(pub mod $rm;)*
        $(pub mod $m;)*

        /// Every kind that renders, in the registry's order.
        pub static ALL: [&dyn Kind; [$(stringify!($v)),*].len()] = [$(&$m::$t),*];

        /// Every kind's block schema, in the registry's order (the language's order).
        pub const SCHEMAS: [&BlockSchema; [$(stringify!($rv),)* $(stringify!($v)),*].len()] =
            [$(<$rm::$rt as Lower>::SCHEMA,)* $(<$m::$t as Lower>::SCHEMA),*];

        /// The kind of a rendered resource or live piece.
        pub fn of(piece: &RenderedKind) -> &'static dyn Kind {
            match piece {
                $(RenderedKind::$v { .. } => &$m::$t,)*
            }
        }

        /// Lowers one evaluated resource block to its typed form (`None` for a block of no
        /// kind).
        pub fn lower(
            addr: &Address,
            b: &EvBlock,
            ctx: &Ctx<'_>,
            d: &mut Diagnostics,
        ) -> Option<ResourceKind> {
            Some(match KindId::parse(&addr.kind)? {
                $(KindId::$rv => ResourceKind::$rv(<$rm::$rt as Lower>::lower(addr, b, ctx, d)),)*
                $(KindId::$v => ResourceKind::$v(<$m::$t as Lower>::lower(addr, b, ctx, d)),)*
            })
        }

        /// The typed form of an `existing = true` block, identity and ARN only (`None` for a
        /// kind that cannot be existing).
        pub fn lower_existing(
            addr: &Address,
            b: &EvBlock,
            ctx: &Ctx<'_>,
            d: &mut Diagnostics,
        ) -> Option<ResourceKind> {
            match KindId::parse(&addr.kind)? {
                $(KindId::$rv => <$rm::$rt as Lower>::lower_existing(addr, b, ctx, d).map(ResourceKind::$rv),)*
                $(KindId::$v => <$m::$t as Lower>::lower_existing(addr, b, ctx, d).map(ResourceKind::$v),)*
            }
        }

        /// What other blocks may read of a resource: `TYPE.LABEL.ATTR`.
        pub fn exports(kind: &ResourceKind, ctx: &Ctx<'_>) -> IndexMap<String, Value> {
            match kind {
                $(ResourceKind::$rv(m) => <$rm::$rt as Lower>::exports(m, ctx),)*
                $(ResourceKind::$v(m) => <$m::$t as Lower>::exports(m, ctx),)*
            }
        }

        /// The rendered form of a declared resource; `None` for what renders nothing (a
        /// cluster).
        pub fn render(r: &Resource, desired: &DesiredState) -> Option<RenderedKind> {
            match &r.kind {
                $(ResourceKind::$rv(_) => None,)*
                $(ResourceKind::$v(m) => Some(<$m::$t as Render>::render(m, r, desired)),)*
            }
        }

        /// The identity-only rendered piece of an `existing = true` resource (`None` for a
        /// kind that cannot be existing).
        pub fn existing_piece(kind: &ResourceKind) -> Option<RenderedKind> {
            match kind {
                $(ResourceKind::$rv(_) => None,)*
                $(ResourceKind::$v(m) => <$m::$t as Render>::existing_piece(m),)*
            }
        }

        /// The namespaces a declared resource's Kubernetes objects go into; `None` for kinds
        /// that have none.
        pub fn namespaces(r: &Resource) -> Option<k8s::Namespaces> {
            match &r.kind {
                $(ResourceKind::$rv(_) => None,)*
                $(ResourceKind::$v(m) => <$m::$t as Render>::namespaces(m),)*
            }
        }

        /// The clusters whose service accounts a declared resource trusts, each with the
        /// issuer it names; empty for kinds that trust none.
        pub fn trusted_clusters(r: &Resource) -> Vec<(&Address, &str)> {
            match &r.kind {
                $(ResourceKind::$rv(_) => vec![],)*
                $(ResourceKind::$v(m) => <$m::$t as Render>::trusted_clusters(m),)*
            }
        }

        /// Each registration line agrees with its kind file, and every kind is registered.
        #[cfg(test)]
        mod registry {
            use super::*;

            #[test]
            fn every_line_names_its_kind_module_schema_and_variant() {
                let mut registered = vec![];
                $(
                    assert_eq!(<$rm::$rt as Lower>::ID, KindId::$rv, stringify!($rv));
                    assert_eq!(stringify!($rm), KindId::$rv.name());
                    assert_eq!(<$rm::$rt as Lower>::SCHEMA.name, KindId::$rv.name());
                    registered.push(KindId::$rv);
                )*
                $(
                    assert_eq!(<$m::$t as Lower>::ID, KindId::$v, stringify!($v));
                    assert_eq!(stringify!($m), KindId::$v.name());
                    assert_eq!(<$m::$t as Lower>::SCHEMA.name, KindId::$v.name());
                    assert_eq!(Kind::type_name(&$m::$t), KindId::$v.name());
                    registered.push(KindId::$v);
                )*
                // Every kind once, in `KindId::ALL`'s order.
                assert_eq!(registered, KindId::ALL.to_vec());
                let schemas: Vec<&str> = SCHEMAS.iter().map(|s| s.name).collect();
                assert_eq!(schemas, KindId::NAMES.to_vec());
                let rendered: Vec<&str> = ALL.iter().map(|k| k.type_name()).collect();
                assert_eq!(rendered, vec![$(KindId::$v.name()),*]);
                $(assert!(!rendered.contains(&KindId::$rv.name()));)*
            }
        }
    };
}

kinds! {
    read {
        Cluster => cluster::ClusterKind,
    }
    rendered {
        OidcProvider => oidc_provider::OidcProviderKind,
        SamlProvider => saml_provider::SamlProviderKind,
        Policy => policy::PolicyKind,
        Role => role::RoleKind,
        ServiceAccount => service_account::ServiceAccountKind,
        Access => access::AccessKind,
        RbacBinding => rbac_binding::RbacBindingKind,
    }
}

/// What an `existing = true` resource is, for messages.
pub fn describe_existing(piece: &RenderedKind) -> String {
    of(piece).describe_existing(piece)
}

/// The ids that name the object a rendered resource describes, in the form `import` takes,
/// the first the one to suggest; `model` is the resource's typed form when known.
pub fn import_ids(model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String> {
    of(piece).import_ids(model, piece)
}

/// How an `import` block names an object of the piece's kind, for messages.
pub fn import_id_form(piece: &RenderedKind) -> &'static str {
    of(piece).import_id_form()
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

/// The files `eksfed render --out` writes for one rendered resource on its own.
pub fn files(res: &RenderedResource) -> Vec<RenderFile> {
    of(&res.kind).files(res)
}

/// The files the pieces of one cluster share (written after every resource's own files),
/// each kind's in the registry's order.
pub fn cluster_files(pieces: &[&RenderedKind]) -> Vec<RenderFile> {
    ALL.iter().flat_map(|k| k.cluster_files(pieces)).collect()
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
