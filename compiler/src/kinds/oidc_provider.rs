//! `oidc_provider`: an IAM OpenID Connect provider, identified by its ARN (from its URL).
//!
//! In this file, in order: the front half — the `oidc_provider` block, its lowering, the
//! existing-provider form, exports (its `impl Lower`); its render (`impl Render`: the typed
//! model into the piece AWS or Kubernetes holds); its `Kind` impl (the diff side, the ids an
//! `import` block names it by, and the files `eksfed render --out` writes).

use super::declared::{Lower, Render};
use super::id::KindId;
use super::kind::{sorted, sorted_map, Kind, ObjectKey, Parts};
use crate::desired::model::{DesiredState, OidcProvider, Resource, ResourceKind};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::lowering::{iam_arn, string_exports, strip_https, Ctx, E_SEMANTIC};
use crate::language::evblock::EvBlock;
use crate::language::schema::types::{opt, req, BlockSchema, Ty, EXISTING};
use crate::language::value::{Address, Value};
use crate::plan::rendered::{
    provider_file, with_stack_tag, RenderFile, RenderedKind, RenderedResource,
};
use indexmap::IndexMap;
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
        EXISTING,
    ],
    blocks: &[],
    open: false,
    doc: "an IAM OpenID Connect identity provider",
};

// ---- Lowering

/// `url` must start with https:// (E0501 at the attribute).
fn check_url(b: &EvBlock, url: &str, d: &mut Diagnostics) {
    if !url.starts_with("https://") {
        d.push(
            Diagnostic::error(
                E_SEMANTIC,
                format!("`url` must start with https://, got \"{url}\""),
            )
            .at(Some(b.span_of("url"))),
        );
    }
}

/// Thumbprints in their normal form: a set of hex digests, whatever their case. The plan
/// compares them so and the runtime decides on an update so.
pub fn normal_thumbprints(v: &[String]) -> Vec<String> {
    sorted(&v.iter().map(|t| t.to_lowercase()).collect::<Vec<_>>())
}

/// The `oidc_provider` kind: its lowering, render and diff side.
pub struct OidcProviderKind;

impl Lower for OidcProviderKind {
    type Model = OidcProvider;
    const ID: KindId = KindId::OidcProvider;
    const SCHEMA: &'static BlockSchema = &SCHEMA;

    /// Lowers an `oidc_provider` block; its ARN is named after the URL without `https://`.
    fn lower(_addr: &Address, b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> OidcProvider {
        let url = b.str("url").unwrap_or_default();
        check_url(b, &url, d);
        OidcProvider {
            arn: iam_arn(ctx, "oidc-provider/", "", &strip_https(&url)),
            url,
            client_ids: if b.get("client_ids").is_some() {
                b.list("client_ids")
            } else {
                vec!["sts.amazonaws.com".into()]
            },
            // `thumbprints = []` means "not specified": AWS fills in its own, and an empty
            // list would otherwise drift forever (terraform-aws-eks #3601).
            thumbprints: b
                .get("thumbprints")
                .filter(|_| !b.list("thumbprints").is_empty())
                .map(|_| {
                    b.list("thumbprints")
                        .iter()
                        .map(|t| t.to_lowercase())
                        .collect()
                }),
            tags: b.map("tags"),
        }
    }

    /// An `existing = true` provider: its URL and ARN only.
    fn lower_existing(
        _addr: &Address,
        b: &EvBlock,
        ctx: &Ctx<'_>,
        d: &mut Diagnostics,
    ) -> Option<OidcProvider> {
        let url = b.str("url").unwrap_or_default();
        if b.get("url").is_some() {
            check_url(b, &url, d);
        }
        Some(OidcProvider {
            arn: iam_arn(ctx, "oidc-provider/", "", &strip_https(&url)),
            url,
            client_ids: vec![],
            thumbprints: None,
            tags: IndexMap::new(),
        })
    }

    /// What other blocks may read of a provider: `oidc_provider.LABEL.ATTR`.
    fn exports(p: &OidcProvider, _ctx: &Ctx<'_>) -> IndexMap<String, Value> {
        string_exports(&[("arn", &p.arn), ("url", &p.url)])
    }
}

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

impl Render for OidcProviderKind {
    /// The provider as IAM holds it, with the stack's ownership tag.
    fn render(p: &OidcProvider, _r: &Resource, desired: &DesiredState) -> RenderedKind {
        RenderedKind::OidcProvider {
            arn: p.arn.clone(),
            url: p.url.clone(),
            client_ids: p.client_ids.clone(),
            thumbprints: p.thumbprints.clone(),
            tags: with_stack_tag(&p.tags, &desired.stack.name),
        }
    }

    /// The identity-only rendered piece of an `existing = true` provider (no mark).
    fn existing_piece(p: &OidcProvider) -> Option<RenderedKind> {
        Some(RenderedKind::OidcProvider {
            arn: p.arn.clone(),
            url: p.url.clone(),
            client_ids: vec![],
            thumbprints: None,
            tags: IndexMap::new(),
        })
    }
}

// ---- Diff

pub fn key_oidc(arn: &str) -> ObjectKey {
    format!("iam:oidc-provider:{arn}")
}

impl Kind for OidcProviderKind {
    fn type_name(&self) -> &'static str {
        KindId::OidcProvider.name()
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
                "thumbprints": dt.as_ref().map(|_| normal_thumbprints(thumbprints.as_deref().unwrap_or_default())),
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
    fn mark_owned(&self, piece: &mut RenderedKind, stack: &str) {
        if let RenderedKind::OidcProvider { tags, .. } = piece {
            *tags = crate::plan::rendered::with_stack_tag(tags, stack);
        }
    }
    fn parts<'a>(&self, piece: &'a RenderedKind) -> Parts<'a> {
        Parts::iam_object(matches!(piece, RenderedKind::OidcProvider { .. }))
    }
    /// Its URL.
    fn import_id_form(&self) -> &'static str {
        "its URL"
    }
    /// Its URL, also without `https://` or with a final `/`.
    fn import_ids(&self, _model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String> {
        let RenderedKind::OidcProvider { url, .. } = piece else {
            return vec![];
        };
        let u = url.trim_end_matches('/').to_string();
        vec![u.clone(), strip_https(&u), format!("{u}/")]
    }
    /// `the OIDC provider for URL`.
    fn describe_existing(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::OidcProvider { url, .. } => format!("the OIDC provider for {url}"),
            _ => String::new(),
        }
    }
    /// One JSON file under `iam/providers/`.
    fn files(&self, res: &RenderedResource) -> Vec<RenderFile> {
        vec![provider_file(res)]
    }
}
