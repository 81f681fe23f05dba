//! `oidc_provider`: an IAM OpenID Connect provider, identified by its ARN (from its URL).

use super::kind::{sorted, sorted_map, Kind, ObjectKey};
use crate::render::RenderedKind;
use crate::schema::types::{opt, req, BlockSchema, Ty};
use serde_json::{json, Value as Json};

// ---- Schema

/// The `oidc_provider` block: its labels, attributes and nested blocks.
pub const SCHEMA: BlockSchema = BlockSchema {
    name: "oidc_provider",
    labels: &["label"],
    attrs: &[
        req("url", Ty::String, "issuer URL (https://...)"),
        opt(
            "client_ids",
            Ty::ListString,
            "audiences (default [\"sts.amazonaws.com\"])",
        ),
        opt(
            "thumbprints",
            Ty::ListString,
            "server certificate thumbprints (40 hex digits)",
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
    doc: "an IAM OpenID Connect identity provider",
};

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
