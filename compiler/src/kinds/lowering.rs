//! What the kinds' lowerings (`kinds/<kind>.rs`, block → typed model) share: the context
//! ([`Ctx`]: account, partition, issuers), ARNs, the error codes, enum attributes, references
//! to other resources and policy documents. A leaf: the kind files import it, never
//! `resolve.rs` (the stage that calls them).

use crate::diag::{Diagnostic, Diagnostics};
use crate::iam;
use crate::language::evblock::EvBlock;
use crate::language::value::{Address, Value};
use indexmap::IndexMap;
use std::collections::HashMap;

pub const E_SEMANTIC: &str = "E0501";
pub const E_ENUM: &str = "E0504";
pub const E_DOCUMENT: &str = "E0507";

/// Placeholder account id when none is known yet (validate works without one).
pub const UNKNOWN_ACCOUNT: &str = "000000000000";

pub struct Ctx<'a> {
    pub account: &'a str,
    pub partition: &'a str,
    pub default_region: Option<&'a str>,
    /// Issuer URLs learned at plan time (DescribeCluster), by cluster address.
    pub issuers: &'a HashMap<String, String>,
}

pub fn iam_arn(ctx: &Ctx<'_>, kind: &str, path: &str, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:{}{}{}",
        ctx.partition, ctx.account, kind, path, name
    )
}

pub fn strip_https(url: &str) -> String {
    url.trim_start_matches("https://")
        .trim_end_matches('/')
        .to_string()
}

/// The block's `name`, or the instance's label (its `for_each` key, else the block label).
pub fn name_or_label(addr: &Address, b: &EvBlock) -> String {
    b.str("name")
        .unwrap_or_else(|| addr.key.clone().unwrap_or_else(|| addr.label.clone()))
}

/// The value of an enum attribute (`default` when absent); another value is E0504 and
/// gives `default`.
pub fn enum_value(
    b: &EvBlock,
    attr: &str,
    allowed: &[&str],
    default: &str,
    d: &mut Diagnostics,
) -> String {
    let v = b.str(attr).unwrap_or_else(|| default.to_string());
    if !allowed.contains(&v.as_str()) {
        d.push(
            Diagnostic::error(
                E_ENUM,
                format!(
                    "`{attr}` must be one of {}, got \"{v}\"",
                    allowed
                        .iter()
                        .map(|a| format!("\"{a}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .at(Some(b.span_of(attr))),
        );
        return default.to_string();
    }
    v
}

/// The address and exports of the resource an attribute references.
pub fn resource_ref(b: &EvBlock, attr: &str) -> Option<(Address, IndexMap<String, Value>)> {
    match b.get(attr) {
        Some(Value::Resource(r)) => Some((r.address.clone(), r.attrs.clone())),
        _ => None,
    }
}

/// A string export of a referenced resource (empty when absent).
pub fn attr_str(attrs: &IndexMap<String, Value>, name: &str) -> String {
    attrs
        .get(name)
        .and_then(Value::as_string)
        .unwrap_or_default()
}

/// A policy document from statement blocks or a `document` attribute (JSON string or object).
pub fn policy_document(b: &EvBlock, what: &str, d: &mut Diagnostics) -> serde_json::Value {
    let statements: Vec<&EvBlock> = b.blocks_of("statement").collect();
    match b.get("document") {
        Some(doc) => {
            if !statements.is_empty() {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        format!("{what} has both `document` and `statement` blocks; use one"),
                    )
                    .at(Some(b.span_of("document"))),
                );
            }
            let json = match doc {
                Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
                    Ok(j) => j,
                    Err(e) => {
                        d.push(
                            Diagnostic::error(
                                E_DOCUMENT,
                                format!("`document` is not valid JSON: {e}"),
                            )
                            .at(Some(b.span_of("document"))),
                        );
                        return iam::document(vec![]);
                    }
                },
                other => other.to_json(),
            };
            if !json
                .get("Statement")
                .is_some_and(|s| s.is_array() || s.is_object())
            {
                d.push(
                    Diagnostic::error(
                        E_DOCUMENT,
                        "`document` must be an IAM policy document with a `Statement`",
                    )
                    .at(Some(b.span_of("document"))),
                );
            }
            json
        }
        None => {
            if statements.is_empty() {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        format!("{what} needs `statement` blocks or a `document`"),
                    )
                    .at(Some(b.span.clone())),
                );
            }
            for s in &statements {
                enum_value(s, "effect", &["Allow", "Deny"], "Allow", d);
                if s.get("actions").is_none() && s.get("not_actions").is_none() {
                    d.push(
                        Diagnostic::error(
                            E_SEMANTIC,
                            "a statement needs `actions` or `not_actions`",
                        )
                        .at(Some(s.span.clone())),
                    );
                }
            }
            iam::document(statements.iter().map(|s| iam::statement(s)).collect())
        }
    }
}

/// The cluster a block's `cluster` attribute names (`cluster.?` when it did not evaluate).
pub fn cluster_ref(b: &EvBlock) -> Address {
    resource_ref(b, "cluster")
        .map(|c| c.0)
        .unwrap_or_else(|| Address::new("cluster", "?", None))
}

/// Exports that are strings, in this order.
pub fn string_exports(pairs: &[(&str, &str)]) -> IndexMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect()
}
