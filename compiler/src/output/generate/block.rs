//! Writing one block of the generated stack: `TYPE "label" {`, its attributes, `}`.
//!
//! A block is written against its kind's schema (`kinds/<kind>.rs`'s `SCHEMA`): its type name
//! comes from there, and so do the attributes of the IAM kinds, whose live pieces name their
//! fields as the block names its attributes (`path`, `tags`, `client_ids`, ...):
//! [`Block::live_attrs`] walks the schema's attributes in order and writes each the piece holds,
//! by the attribute's type; a kind's writer says only what differs (a reference instead of an
//! ARN, a file instead of a string). Names a writer spells itself are checked against the
//! schema in debug builds (every test), so a generated attribute the language lacks fails
//! there rather than in the round trip.

use super::hcl::{self, q};
use crate::language::schema::{Attr, BlockSchema, Ty};
use crate::plan::rendered::STACK_TAG;
use serde::Serialize;
use serde_json::Value as Json;

/// Live values that are the language's defaults, so the generated block leaves them out.
/// The schema states defaults only in its docs ("IAM path (default /)"); re-spelled here until
/// `Attr` holds its default.
const DEFAULTS: &[(&str, &str)] = &[("path", "\"/\""), ("max_session_duration", "3600")];

/// One block being written.
pub(super) struct Block {
    schema: &'static BlockSchema,
    text: String,
}

impl Block {
    /// `TYPE "label" {`.
    pub fn labeled(schema: &'static BlockSchema, label: &str) -> Block {
        Block {
            schema,
            text: format!("{} {} {{\n", schema.name, q(label)),
        }
    }

    /// `TYPE {` (the blocks without labels: trust blocks, `statement`, `condition`, `import`).
    pub fn unlabeled(schema: &'static BlockSchema) -> Block {
        Block {
            schema,
            text: format!("{} {{\n", schema.name),
        }
    }

    /// A block's body alone, for a writer that puts it under a header of its own (a role's
    /// body under `for_each` with `--group`).
    pub fn body(schema: &'static BlockSchema) -> Block {
        Block {
            schema,
            text: String::new(),
        }
    }

    /// Lines as they are: comments, `allow_lints` lines, nested blocks.
    pub fn lines(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// `NAME = EXPR`.
    pub fn attr(&mut self, name: &str, expr: &str) {
        debug_assert!(
            self.schema.attr(name).is_some(),
            "`{}` has no attribute `{name}`",
            self.schema.name
        );
        self.text.push_str(&format!("{name} = {expr}\n"));
    }

    /// One attribute from its live value, by the schema's type: nothing for no value, an
    /// empty string or map (the ownership tag aside) or the default; strings quoted, lists and
    /// maps of strings written as such. A type the schema leaves open (`Any`, references) is
    /// the kind writer's to write.
    pub fn live(&mut self, attr: &Attr, v: &Json) {
        if let Some(expr) = live_expr(attr, v) {
            self.attr(attr.name, &expr);
        }
    }

    /// The block's attributes a live piece holds, in the schema's order, with their values:
    /// what [`Block::live`] writes unless the kind's writer writes it otherwise.
    pub fn live_attrs(&self, piece: &impl Serialize) -> Vec<(&'static Attr, Json)> {
        let Ok(Json::Object(fields)) = serde_json::to_value(piece) else {
            return vec![];
        };
        self.schema
            .attrs
            .iter()
            .filter_map(|a| Some((a, fields.get(a.name)?.clone())))
            .collect()
    }

    /// What [`Block::body`] gathered.
    pub fn into_body(self) -> String {
        self.text
    }

    /// The block with its closing `}`.
    pub fn close(mut self) -> String {
        self.text.push_str("}\n");
        self.text
    }
}

/// A live value as the attribute's expression (see [`Block::live`]).
fn live_expr(attr: &Attr, v: &Json) -> Option<String> {
    let expr = match (attr.ty, v) {
        (Ty::String, Json::String(s)) if !s.is_empty() => q(s),
        (Ty::Number, Json::Number(n)) => n.to_string(),
        (Ty::ListString, Json::Array(items)) => {
            let items: Vec<String> = items
                .iter()
                .filter_map(Json::as_str)
                .map(String::from)
                .collect();
            hcl::list(&items)
        }
        (Ty::MapString, Json::Object(m)) => {
            let entries: Vec<(String, String)> = m
                .iter()
                .filter(|(k, _)| k.as_str() != STACK_TAG)
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect();
            if entries.is_empty() {
                return None;
            }
            hcl::map(entries.iter().map(|(k, v)| (k, v)))
        }
        _ => return None,
    };
    let default = DEFAULTS.iter().any(|(n, d)| *n == attr.name && *d == expr);
    (!default).then_some(expr)
}

/// `TYPE.label`: a generated block's address, and the reference to it.
pub(super) fn address(schema: &BlockSchema, label: &str) -> String {
    format!("{}.{label}", schema.name)
}
