//! `policy`: a customer managed IAM policy, identified by its ARN (from its path and name).

use super::kind::{sorted_map, Kind, ObjectKey};
use crate::iam;
use crate::model;
use crate::rendered::{json_file, with_stack_tag, RenderFile, RenderedKind, RenderedResource};
use serde_json::{json, Value as Json};

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

/// The policy as IAM holds it, with the stack's ownership tag.
pub fn render(p: &model::Policy, stack: &str) -> RenderedKind {
    RenderedKind::Policy {
        name: p.name.clone(),
        path: p.path.clone(),
        description: p.description.clone(),
        arn: p.arn.clone(),
        document: p.document.clone(),
        tags: with_stack_tag(&p.tags, stack),
    }
}

/// Its document, `iam/policies/NAME.json`.
pub fn files(res: &RenderedResource) -> Vec<RenderFile> {
    match &res.kind {
        RenderedKind::Policy { name, document, .. } => {
            vec![(format!("iam/policies/{name}.json"), json_file(document))]
        }
        _ => vec![],
    }
}

// ---- Diff

pub struct PolicyKind;

pub fn key_policy(arn: &str) -> ObjectKey {
    format!("iam:policy:{arn}")
}

impl Kind for PolicyKind {
    fn type_name(&self) -> &'static str {
        "policy"
    }
    fn keys(&self, piece: &RenderedKind) -> Vec<ObjectKey> {
        match piece {
            RenderedKind::Policy { arn, .. } => vec![key_policy(arn)],
            _ => vec![],
        }
    }
    /// The document in canonical form (statement order, one-element lists, white space).
    fn normalize(&self, piece: &RenderedKind, _desired: &RenderedKind) -> Json {
        match piece {
            RenderedKind::Policy {
                name,
                path,
                description,
                document,
                tags,
                ..
            } => {
                json!({ "name": name, "path": path, "description": description, "document": iam::canonical(document), "tags": sorted_map(tags) })
            }
            _ => serde_json::to_value(piece).unwrap_or_default(),
        }
    }
    fn replace_reason(&self, before: &RenderedKind, after: &RenderedKind) -> Option<String> {
        match (before, after) {
            (
                RenderedKind::Policy { description: a, .. },
                RenderedKind::Policy { description: b, .. },
            ) if a != b => {
                Some("description changed (IAM cannot update a policy's description)".into())
            }
            _ => None,
        }
    }
    fn delete_tier(&self) -> u8 {
        2
    }
    fn renamed_by(&self) -> Option<&'static str> {
        Some("name")
    }
    fn describe(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::Policy { arn, .. } => format!("the policy {arn}"),
            _ => String::new(),
        }
    }
    fn import_id(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::Policy { arn, .. } => arn.clone(),
            _ => String::new(),
        }
    }
    fn orphan_name(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::Policy { name, .. } => name.clone(),
            _ => String::new(),
        }
    }
}
