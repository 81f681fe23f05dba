//! `oidc_provider`: an IAM OpenID Connect provider, identified by its ARN (from its URL).

use super::kind::{sorted, sorted_map, Kind, ObjectKey};
use crate::model;
use crate::rendered::{provider_file, with_stack_tag, RenderFile, RenderedKind, RenderedResource};
use serde_json::{json, Value as Json};

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

/// The provider as IAM holds it, with the stack's ownership tag.
pub fn render(p: &model::OidcProvider, stack: &str) -> RenderedKind {
    RenderedKind::OidcProvider {
        arn: p.arn.clone(),
        url: p.url.clone(),
        client_ids: p.client_ids.clone(),
        thumbprints: p.thumbprints.clone(),
        tags: with_stack_tag(&p.tags, stack),
    }
}

/// One JSON file under `iam/providers/`.
pub fn files(res: &RenderedResource) -> Vec<RenderFile> {
    vec![provider_file(res)]
}

// ---- Diff

pub struct OidcProviderKind;

pub fn key_oidc(arn: &str) -> ObjectKey {
    format!("iam:oidc-provider:{arn}")
}

impl Kind for OidcProviderKind {
    fn type_name(&self) -> &'static str {
        "oidc_provider"
    }
    fn keys(&self, piece: &RenderedKind) -> Vec<ObjectKey> {
        match piece {
            RenderedKind::OidcProvider { arn, .. } => vec![key_oidc(arn)],
            _ => vec![],
        }
    }
    /// Thumbprints are compared only when the stack gives them (IAM fills them in itself).
    fn normalize(&self, piece: &RenderedKind, desired: &RenderedKind) -> Json {
        match (piece, desired) {
            (
                RenderedKind::OidcProvider {
                    url,
                    client_ids,
                    thumbprints,
                    tags,
                    ..
                },
                RenderedKind::OidcProvider {
                    thumbprints: dt, ..
                },
            ) => json!({
                "url": url.trim_end_matches('/'), "client_ids": sorted(client_ids),
                "thumbprints": dt.as_ref().map(|_| sorted(&thumbprints.clone().unwrap_or_default().iter().map(|t| t.to_lowercase()).collect::<Vec<_>>())),
                "tags": sorted_map(tags),
            }),
            _ => serde_json::to_value(piece).unwrap_or_default(),
        }
    }
    fn delete_tier(&self) -> u8 {
        3
    }
    fn renamed_by(&self) -> Option<&'static str> {
        Some("url")
    }
    fn describe(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::OidcProvider { arn, .. } => format!("the OIDC provider {arn}"),
            _ => String::new(),
        }
    }
    fn import_id(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::OidcProvider { arn, .. } => arn.clone(),
            _ => String::new(),
        }
    }
    fn orphan_name(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::OidcProvider { url, .. } => {
                url.trim_start_matches("https://").to_string()
            }
            _ => String::new(),
        }
    }
}
