//! What marks a block as `existing = true` (made and owned elsewhere, only read) and the
//! `import` block's typed form: the facts about adoption that `lower`, `model` and
//! `resolve` read. A leaf; the rest of adoption (checks, plan-time diagnostics) is
//! `adopt.rs`.

use crate::diag::Span;
use crate::kinds::id::KindId;
use crate::language::evblock::EvBlock;
use crate::language::value::Address;
use serde::Serialize;

/// An attribute or block an `existing = true` object cannot have.
pub const E_EXISTING: &str = "E0530";
/// The kinds that may be `existing = true`.
pub const EXISTING_KINDS: &[&str] = &[
    KindId::OidcProvider.name(),
    KindId::SamlProvider.name(),
    KindId::Policy.name(),
    KindId::Role.name(),
];

/// Attributes allowed on an `existing = true` block besides the identifying ones: `existing`
/// itself and the meta-attributes that do not imply ownership.
pub const EXISTING_META: &[&str] = &["existing", "for_each", "depends_on"];

/// The attributes that identify an object of `kind` (the only ones `existing` allows).
pub fn identifying(kind: &str) -> &'static [&'static str] {
    match KindId::parse(kind) {
        Some(KindId::OidcProvider) => &["url"],
        Some(KindId::SamlProvider) => &["name"],
        Some(KindId::Policy | KindId::Role) => &["name", "path"],
        // Nothing identifies what cannot be `existing = true`.
        Some(KindId::Cluster | KindId::ServiceAccount | KindId::Access | KindId::RbacBinding)
        | None => &[],
    }
}

/// True for a block of a kind that allows it with `existing = true`.
pub fn is_existing(b: &EvBlock) -> bool {
    EXISTING_KINDS.contains(&b.kind.as_str()) && b.bool("existing") == Some(true)
}

/// Whether the schema's required attribute `attr` may be left out of `b` (an existing
/// object needs only its identifying attributes).
pub fn required_waived(b: &EvBlock, attr: &str) -> bool {
    is_existing(b) && !identifying(&b.kind).contains(&attr)
}

/// One `import` block.
#[derive(Debug, Clone, Serialize)]
pub struct Import {
    pub to: Address,
    pub id: String,
    /// The `import` block's head.
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub id_span: Span,
}
