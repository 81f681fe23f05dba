//! `saml_provider`: an IAM SAML provider, identified by its ARN (from its name).

use super::kind::{sorted_map, Kind, ObjectKey};
use crate::render::RenderedKind;
use crate::schema::types::{opt, req, BlockSchema, Ty};
use serde_json::{json, Value as Json};

// ---- Schema

/// The `saml_provider` block: its labels, attributes and nested blocks.
pub const SCHEMA: BlockSchema = BlockSchema {
    name: "saml_provider",
    labels: &["label"],
    attrs: &[
        opt("name", Ty::String, "provider name (default: the label)"),
        req(
            "metadata",
            Ty::String,
            "SAML 2.0 EntityDescriptor metadata XML",
        ),
        opt("tags", Ty::MapString, "IAM tags"),
        opt(
            "existing",
            Ty::Bool,
            "made and owned elsewhere: only read (never created, changed, tagged or deleted); only the identifying attributes are allowed",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "an IAM SAML 2.0 identity provider",
};

pub struct SamlProviderKind;

pub fn key_saml(arn: &str) -> ObjectKey {
    format!("iam:saml-provider:{arn}")
}

impl Kind for SamlProviderKind {
    fn type_name(&self) -> &'static str {
        "saml_provider"
    }
    fn keys(&self, piece: &RenderedKind) -> Vec<ObjectKey> {
        match piece {
            RenderedKind::SamlProvider { arn, .. } => vec![key_saml(arn)],
            _ => vec![],
        }
    }
    fn normalize(&self, piece: &RenderedKind, _desired: &RenderedKind) -> Json {
        match piece {
            RenderedKind::SamlProvider {
                name,
                metadata,
                tags,
                ..
            } => json!({ "name": name, "metadata": metadata.trim(), "tags": sorted_map(tags) }),
            _ => serde_json::to_value(piece).unwrap_or_default(),
        }
    }
    fn delete_tier(&self) -> u8 {
        3
    }
    fn renamed_by(&self) -> Option<&'static str> {
        Some("name")
    }
    fn describe(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::SamlProvider { arn, .. } => format!("the SAML provider {arn}"),
            _ => String::new(),
        }
    }
    fn import_id(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::SamlProvider { arn, .. } => arn.clone(),
            _ => String::new(),
        }
    }
    fn orphan_name(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::SamlProvider { name, .. } => name.clone(),
            _ => String::new(),
        }
    }
}
