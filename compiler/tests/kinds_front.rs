//! Every resource kind is registered in the compiler's front dispatch tables: its block is a
//! top-level block of the schema (the kind file's `SCHEMA`), `kinds::lower` lowers it to its
//! own variant of the model, and exactly the kinds that may be `existing = true` lower through
//! `kinds::lower_existing` to an identity-only rendered piece of their kind.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::desired::existing::EXISTING_KINDS;
use eksfed_compiler::desired::model::ResourceKind;
use eksfed_compiler::diag::{Diagnostics, Span};
use eksfed_compiler::kinds::lowering::Ctx;
use eksfed_compiler::language::evblock::EvBlock;
use eksfed_compiler::language::schema::{self, RESOURCE_KINDS};
use eksfed_compiler::{kinds, language::value::Address};
use indexmap::IndexMap;
use std::collections::HashMap;

/// `oidc_provider` → `OidcProvider`, the model's variant name.
fn variant(kind: &str) -> String {
    kind.split('_')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect()
}

fn is_variant(model: &ResourceKind, kind: &str) -> bool {
    format!("{model:?}").starts_with(&format!("{}(", variant(kind)))
}

fn empty_block(kind: &str) -> EvBlock {
    EvBlock {
        kind: kind.to_string(),
        labels: vec!["x".into()],
        span: Span::new(0, 0..1),
        attrs: IndexMap::new(),
        blocks: vec![],
    }
}

#[test]
fn every_resource_kind_has_a_schema_a_lowering_and_exports() {
    let issuers = HashMap::new();
    let ctx = Ctx {
        account: "111122223333",
        partition: "aws",
        default_region: Some("eu-west-1"),
        issuers: &issuers,
    };
    assert_eq!(RESOURCE_KINDS.len(), 8);
    for kind in RESOURCE_KINDS {
        let sch = schema::top_level(kind).unwrap_or_else(|| panic!("{kind}: no schema"));
        assert_eq!(sch.name, *kind);
        let addr = Address::new(kind, "x", None);
        let b = empty_block(kind);
        let mut d = Diagnostics::default();
        let model = kinds::lower(&addr, &b, &ctx, &mut d)
            .unwrap_or_else(|| panic!("{kind}: not in kinds::lower"));
        assert!(is_variant(&model, kind), "{kind}: lowered to {model:?}");
        // Exports are what references read; only a binding exports nothing.
        assert_eq!(
            kinds::exports(&model, &ctx).is_empty(),
            *kind == "rbac_binding",
            "{kind}"
        );
        let existing = kinds::lower_existing(&addr, &b, &ctx, &mut d);
        assert_eq!(existing.is_some(), EXISTING_KINDS.contains(kind), "{kind}");
        if let Some(model) = existing {
            assert!(is_variant(&model, kind), "{kind}: existing {model:?}");
            let piece = kinds::existing_piece(&model).unwrap();
            assert_eq!(piece.type_name(), *kind);
            assert!(!kinds::describe_existing(&piece).is_empty());
        }
    }
    let other = Address::new("variable", "x", None);
    let mut d = Diagnostics::default();
    assert!(kinds::lower(&other, &empty_block("variable"), &ctx, &mut d).is_none());
}
