//! The declared side of a kind, typed by its model: [`Lower`] (evaluated block → typed model,
//! what other blocks read of it) and [`Render`] (typed model → the piece AWS or Kubernetes
//! holds). Every kind file implements `Lower` (the cluster too) and every rendered kind
//! `Render`; the registry in `kinds/mod.rs` dispatches to them statically, matching each
//! `ResourceKind` variant to its kind, so a model of the wrong type does not compile.
//!
//! The piece side (a `RenderedKind`, whatever its kind) is the object-safe [`Kind`] trait of
//! `kind.rs`. Optional answers have defaults that say "none": a kind that may not be
//! `existing = true`, has no namespaces or trusts no cluster writes nothing for them.
//!
//! [`Kind`]: super::kind::Kind

use super::id::KindId;
use super::k8s::Namespaces;
use super::lowering::Ctx;
use crate::desired::model::{DesiredState, Resource};
use crate::diag::Diagnostics;
use crate::language::evblock::EvBlock;
use crate::language::schema::types::BlockSchema;
use crate::language::value::{Address, Value};
use crate::plan::rendered::RenderedKind;
use indexmap::IndexMap;

/// Block → typed model: what every kind, rendered or only read, answers.
pub trait Lower {
    /// The kind's typed model: what its `model::ResourceKind` variant holds.
    type Model;
    /// The kind (its name in the language, addresses and plans).
    const ID: KindId;
    /// Its block's schema (attributes, types, docs, nested blocks).
    const SCHEMA: &'static BlockSchema;
    /// Lowers an evaluated block of this kind to its model, with the semantic errors.
    fn lower(addr: &Address, b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> Self::Model;
    /// The model of an `existing = true` block, identity and ARN only; `None` for a kind that
    /// cannot be existing.
    fn lower_existing(
        _addr: &Address,
        _b: &EvBlock,
        _ctx: &Ctx<'_>,
        _d: &mut Diagnostics,
    ) -> Option<Self::Model> {
        None
    }
    /// What other blocks may read of it: `TYPE.LABEL.ATTR`.
    fn exports(m: &Self::Model, ctx: &Ctx<'_>) -> IndexMap<String, Value>;
}

/// Typed model → piece: what a kind that renders answers (all but the cluster).
pub trait Render: Lower {
    /// The piece AWS or Kubernetes holds for a declared resource, ownership mark included.
    fn render(m: &Self::Model, r: &Resource, desired: &DesiredState) -> RenderedKind;
    /// The identity-only piece of an `existing = true` resource (no mark); `None` for a kind
    /// that cannot be existing.
    fn existing_piece(_m: &Self::Model) -> Option<RenderedKind> {
        None
    }
    /// The namespaces its Kubernetes objects go into; `None` for a kind that has none.
    fn namespaces(_m: &Self::Model) -> Option<Namespaces> {
        None
    }
    /// The clusters whose service accounts it trusts, each with the issuer it names; empty
    /// for a kind that trusts none.
    fn trusted_clusters(_m: &Self::Model) -> Vec<(&Address, &str)> {
        vec![]
    }
}
