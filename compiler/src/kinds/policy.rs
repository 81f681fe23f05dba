//! `policy`: a customer managed IAM policy, identified by its ARN (from its path and name).
//!
//! In this file, in order: the front half — the `policy` block, its lowering (the document),
//! the existing-policy form, exports (its `impl Lower`); its render (`impl Render`: the typed
//! model into the piece AWS or Kubernetes holds); its `Kind` impl (the diff side, the ids an
//! `import` block names it by, and the files `eksfed render --out` writes).

use super::declared::{Lower, Render};
use super::id::KindId;
use super::kind::{sorted_map, Kind, ObjectKey, Parts};
use crate::desired::model::{DesiredState, Policy, Resource, ResourceKind};
use crate::diag::Diagnostics;
use crate::iam;
use crate::kinds::lowering::{iam_arn, name_or_label, policy_document, string_exports, Ctx};
use crate::language::evblock::EvBlock;
use crate::language::schema::types::{opt, BlockSchema, Ty, EXISTING, STATEMENT};
use crate::language::value::{Address, Value};
use crate::plan::rendered::{
    json_file, with_stack_tag, RenderFile, RenderedKind, RenderedResource,
};
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

// ---- Schema

/// The `policy` block: its labels, attributes and nested blocks.
pub const SCHEMA: BlockSchema = BlockSchema {
    name: "policy",
    labels: &["label"],
    attrs: &[
        opt("name", Ty::String, "policy name (default: the label)"),
        opt("path", Ty::String, "IAM path (default /)"),
        opt("description", Ty::String, "description (immutable in IAM)"),
        opt(
            "document",
            Ty::Any,
            "a JSON document (string or object) instead of statement blocks",
        ),
        opt("tags", Ty::MapString, "IAM tags"),
        EXISTING,
    ],
    blocks: &[(&STATEMENT, true)],
    open: false,
    doc: "a customer managed IAM policy",
};

// ---- Lowering

/// The `policy` kind: its lowering, render and diff side.
pub struct PolicyKind;

impl Lower for PolicyKind {
    type Model = Policy;
    const ID: KindId = KindId::Policy;
    const SCHEMA: &'static BlockSchema = &SCHEMA;

    /// Lowers a `policy` block: its document from `statement` blocks or `document`.
    fn lower(addr: &Address, b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> Policy {
        let name = name_or_label(addr, b);
        let path = b.str("path").unwrap_or_else(|| "/".into());
        let document = policy_document(b, &format!("policy `{addr}`"), d);
        Policy {
            arn: iam_arn(ctx, "policy", &path, &name),
            name,
            path,
            description: b.str("description").unwrap_or_default(),
            document,
            tags: b.map("tags"),
        }
    }

    /// An `existing = true` policy: its name, path and ARN only.
    fn lower_existing(
        addr: &Address,
        b: &EvBlock,
        ctx: &Ctx<'_>,
        _d: &mut Diagnostics,
    ) -> Option<Policy> {
        let name = name_or_label(addr, b);
        let path = b.str("path").unwrap_or_else(|| "/".into());
        Some(Policy {
            arn: iam_arn(ctx, "policy", &path, &name),
            name,
            path,
            description: String::new(),
            document: iam::document(vec![]),
            tags: IndexMap::new(),
        })
    }

    /// What other blocks may read of a policy: `policy.LABEL.ATTR`.
    fn exports(p: &Policy, _ctx: &Ctx<'_>) -> IndexMap<String, Value> {
        string_exports(&[("arn", &p.arn), ("name", &p.name), ("path", &p.path)])
    }
}

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

impl Render for PolicyKind {
    /// The policy as IAM holds it, with the stack's ownership tag.
    fn render(p: &Policy, _r: &Resource, desired: &DesiredState) -> RenderedKind {
        RenderedKind::Policy {
            name: p.name.clone(),
            path: p.path.clone(),
            description: p.description.clone(),
            arn: p.arn.clone(),
            document: p.document.clone(),
            tags: with_stack_tag(&p.tags, &desired.stack.name),
        }
    }

    /// The identity-only rendered piece of an `existing = true` policy (no mark), with its
    /// document as lowered.
    fn existing_piece(p: &Policy) -> Option<RenderedKind> {
        Some(RenderedKind::Policy {
            name: p.name.clone(),
            path: p.path.clone(),
            description: String::new(),
            arn: p.arn.clone(),
            document: p.document.clone(),
            tags: IndexMap::new(),
        })
    }
}

// ---- Diff

pub fn key_policy(arn: &str) -> ObjectKey {
    format!("iam:policy:{arn}")
}

impl Kind for PolicyKind {
    fn type_name(&self) -> &'static str {
        KindId::Policy.name()
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
    fn mark_owned(&self, piece: &mut RenderedKind, stack: &str) {
        if let RenderedKind::Policy { tags, .. } = piece {
            *tags = crate::plan::rendered::with_stack_tag(tags, stack);
        }
    }
    fn parts<'a>(&self, piece: &'a RenderedKind) -> Parts<'a> {
        Parts::iam_object(matches!(piece, RenderedKind::Policy { .. }))
    }
    /// Its name.
    fn import_id_form(&self) -> &'static str {
        "its name"
    }
    /// Its name.
    fn import_ids(&self, _model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String> {
        match piece {
            RenderedKind::Policy { name, .. } => vec![name.clone()],
            _ => vec![],
        }
    }
    /// Its document, `iam/policies/NAME.json`.
    fn files(&self, res: &RenderedResource) -> Vec<RenderFile> {
        match &res.kind {
            RenderedKind::Policy { name, document, .. } => {
                vec![(format!("iam/policies/{name}.json"), json_file(document))]
            }
            _ => vec![],
        }
    }
}
