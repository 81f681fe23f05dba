//! `saml_provider`: an IAM SAML provider, identified by its ARN (from its name).

use super::kind::{sorted_map, Kind, ObjectKey};
use crate::model;
use crate::rendered::{provider_file, with_stack_tag, RenderFile, RenderedKind, RenderedResource};
use serde_json::{json, Value as Json};

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

/// The provider as IAM holds it, with the stack's ownership tag.
pub fn render(p: &model::SamlProvider, stack: &str) -> RenderedKind {
    RenderedKind::SamlProvider {
        arn: p.arn.clone(),
        name: p.name.clone(),
        metadata: p.metadata.clone(),
        tags: with_stack_tag(&p.tags, stack),
    }
}

/// One JSON file under `iam/providers/` (without the metadata document).
pub fn files(res: &RenderedResource) -> Vec<RenderFile> {
    vec![provider_file(res)]
}

// ---- Diff

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
