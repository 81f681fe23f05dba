//! The JSON Schemas under `schemas/` are generated from the Rust types; this test fails when a
//! checked-in file is stale. Regenerate with `EKSFED_UPDATE_SCHEMAS=1 cargo test -p eksfed-compiler --test schemas`.
#![allow(clippy::unwrap_used)]

use std::path::Path;

fn check(name: &str, schema: serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas")
        .join(name);
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    if std::env::var_os("EKSFED_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == text,
        "{} is stale: run EKSFED_UPDATE_SCHEMAS=1 cargo test -p eksfed-compiler --test schemas",
        path.display()
    );
}

#[test]
fn schemas_are_current() {
    for (name, schema) in eksfed_compiler::output::schemas::all() {
        check(name, schema);
    }
}

/// docs/lints.md is generated from the rule files (`eksfed lints --format markdown`).
#[test]
fn lint_docs_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/lints.md");
    let text = eksfed_compiler::lints::markdown();
    if std::env::var_os("EKSFED_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(current == text, "docs/lints.md is stale: run EKSFED_UPDATE_SCHEMAS=1 cargo test -p eksfed-compiler --test schemas");
}
