//! Typed lowering: an evaluated block ([`EvBlock`]) becomes a typed resource of the model,
//! with its ARN computed from account, partition and path, and its exports for references.
//! Problems that need more than the schema (one of two attributes, enum values, documents)
//! are reported here. The stage owns the walk; each kind's lowering and exports live in its
//! kind file (`kinds/<kind>.rs`, through `kinds::lower`, `kinds::lower_existing` and
//! `kinds::exports`), the helpers they share in the leaf `lower_util.rs`.

use crate::desired::existing::{identifying, EXISTING_META, E_EXISTING};
use crate::desired::model::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds;
use crate::language::evblock::EvBlock;
use crate::language::value::Address;

use crate::kinds::lowering::Ctx;

/// Lowers one evaluated resource block to its typed form.
pub fn resolve(addr: &Address, b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> ResourceKind {
    if crate::desired::existing::is_existing(b) {
        return resolve_existing(addr, b, ctx, d);
    }
    kinds::lower(addr, b, ctx, d).unwrap_or_else(|| unreachable_kind(&addr.kind))
}

/// The typed form of an `existing = true` block: identity and ARN only. Anything else
/// written in the block is an error (E0530) at that attribute or block.
pub fn resolve_existing(
    addr: &Address,
    b: &EvBlock,
    ctx: &Ctx<'_>,
    d: &mut Diagnostics,
) -> ResourceKind {
    let kind = addr.kind.as_str();
    let ident = identifying(kind);
    let ident_text = ident
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    for (name, a) in &b.attrs {
        if ident.contains(&name.as_str()) || EXISTING_META.contains(&name.as_str()) {
            continue;
        }
        d.push(
            Diagnostic::error(
                E_EXISTING,
                format!(
                    "`{name}` cannot be set on `{addr}`: it is `existing = true`, so eksfed only reads it and never creates, changes or tags it"
                ),
            )
            .at(Some(a.span.clone()))
            .address(addr.to_string())
            .help(format!(
                "only {ident_text} identify an existing {kind}; remove `{name}`, or remove `existing = true` to manage it here"
            )),
        );
    }
    for nb in &b.blocks {
        d.push(
            Diagnostic::error(
                E_EXISTING,
                format!(
                    "`{}` block in `{addr}`: it is `existing = true`, so eksfed only reads it and never creates or changes it",
                    nb.kind
                ),
            )
            .at(Some(nb.span.clone()))
            .address(addr.to_string())
            .help(format!(
                "only {ident_text} identify an existing {kind}; remove the block, or remove `existing = true` to manage it here"
            )),
        );
    }
    kinds::lower_existing(addr, b, ctx, d).unwrap_or_else(|| unreachable_kind(kind))
}

fn unreachable_kind(kind: &str) -> ResourceKind {
    // The loader only hands resource kinds of the schema; keep a harmless value otherwise.
    ResourceKind::RbacBinding(RbacBinding {
        cluster: Address::new("cluster", kind, None),
        name: None,
        subjects: vec![],
        cluster_role: None,
        role: None,
        namespaces: vec![],
    })
}
