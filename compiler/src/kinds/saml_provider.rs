//! `saml_provider`: an IAM SAML provider, identified by its ARN (from its name).
//!
//! In this file, in order: the front half — the `saml_provider` block, its lowering (metadata
//! checks), the existing-provider form, exports (its `impl Lower`); its render (`impl Render`:
//! the typed model into the piece AWS or Kubernetes holds); its `Kind` impl (the diff side,
//! the ids an `import` block names it by, and the files `eksfed render --out` writes).

use super::declared::{Lower, Render};
use super::id::KindId;
use super::kind::{sorted_map, Kind, ObjectKey, Parts};
use crate::desired::model::{DesiredState, Resource, ResourceKind, SamlProvider};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::lowering::{iam_arn, name_or_label, string_exports, Ctx};
use crate::language::evblock::EvBlock;
use crate::language::schema::types::{opt, req, BlockSchema, Ty, EXISTING};
use crate::language::value::{Address, Value};
use crate::plan::rendered::{
    provider_file, with_stack_tag, RenderFile, RenderedKind, RenderedResource,
};
use indexmap::IndexMap;
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
        EXISTING,
    ],
    blocks: &[],
    open: false,
    doc: "an IAM SAML 2.0 identity provider",
};

// ---- Lowering

pub const E_SAML: &str = "E0509";

fn saml_metadata_ok(xml: &str) -> Result<(), String> {
    let doc = roxmltree::Document::parse(xml)
        .map_err(|e| format!("metadata is not well-formed XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "EntityDescriptor" {
        return Err(format!(
            "metadata root element is <{}>, expected a SAML 2.0 <EntityDescriptor>",
            root.tag_name().name()
        ));
    }
    if root.tag_name().namespace() != Some("urn:oasis:names:tc:SAML:2.0:metadata") {
        return Err("the EntityDescriptor is not in the SAML 2.0 metadata namespace (urn:oasis:names:tc:SAML:2.0:metadata)".into());
    }
    Ok(())
}

/// The `saml_provider` kind: its lowering, render and diff side.
pub struct SamlProviderKind;

impl Lower for SamlProviderKind {
    type Model = SamlProvider;
    const ID: KindId = KindId::SamlProvider;
    const SCHEMA: &'static BlockSchema = &SCHEMA;

    /// Lowers a `saml_provider` block, checking the metadata's size and root element (E0509).
    fn lower(addr: &Address, b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> SamlProvider {
        let name = name_or_label(addr, b);
        let metadata = b.str("metadata").unwrap_or_default();
        if b.get("metadata").is_some() {
            let n = metadata.chars().count();
            if !(1000..=10_000_000).contains(&n) {
                d.push(
                    Diagnostic::error(
                        E_SAML,
                        format!("SAML metadata is {n} characters; IAM accepts 1,000 to 10,000,000"),
                    )
                    .at(Some(b.span_of("metadata")))
                    .help("use the IdP's full metadata document (it includes the signing certificate)"),
                );
            }
            if let Err(e) = saml_metadata_ok(&metadata) {
                d.push(Diagnostic::error(E_SAML, e).at(Some(b.span_of("metadata"))));
            }
        }
        SamlProvider {
            arn: iam_arn(ctx, "saml-provider/", "", &name),
            name,
            metadata,
            tags: b.map("tags"),
        }
    }

    /// An `existing = true` provider: its name and ARN only.
    fn lower_existing(
        addr: &Address,
        b: &EvBlock,
        ctx: &Ctx<'_>,
        _d: &mut Diagnostics,
    ) -> Option<SamlProvider> {
        let name = name_or_label(addr, b);
        Some(SamlProvider {
            arn: iam_arn(ctx, "saml-provider/", "", &name),
            name,
            metadata: String::new(),
            tags: IndexMap::new(),
        })
    }

    /// What other blocks may read of a provider: `saml_provider.LABEL.ATTR`.
    fn exports(p: &SamlProvider, _ctx: &Ctx<'_>) -> IndexMap<String, Value> {
        string_exports(&[("arn", &p.arn), ("name", &p.name)])
    }
}

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

impl Render for SamlProviderKind {
    /// The provider as IAM holds it, with the stack's ownership tag.
    fn render(p: &SamlProvider, _r: &Resource, desired: &DesiredState) -> RenderedKind {
        RenderedKind::SamlProvider {
            arn: p.arn.clone(),
            name: p.name.clone(),
            metadata: p.metadata.clone(),
            tags: with_stack_tag(&p.tags, &desired.stack.name),
        }
    }

    /// The identity-only rendered piece of an `existing = true` provider (no mark).
    fn existing_piece(p: &SamlProvider) -> Option<RenderedKind> {
        Some(RenderedKind::SamlProvider {
            arn: p.arn.clone(),
            name: p.name.clone(),
            metadata: String::new(),
            tags: IndexMap::new(),
        })
    }
}

// ---- Diff

pub fn key_saml(arn: &str) -> ObjectKey {
    format!("iam:saml-provider:{arn}")
}

impl Kind for SamlProviderKind {
    fn type_name(&self) -> &'static str {
        KindId::SamlProvider.name()
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
    fn mark_owned(&self, piece: &mut RenderedKind, stack: &str) {
        if let RenderedKind::SamlProvider { tags, .. } = piece {
            *tags = crate::plan::rendered::with_stack_tag(tags, stack);
        }
    }
    fn parts<'a>(&self, piece: &'a RenderedKind) -> Parts<'a> {
        Parts::iam_object(matches!(piece, RenderedKind::SamlProvider { .. }))
    }
    /// Its name.
    fn import_id_form(&self) -> &'static str {
        "its name"
    }
    /// Its name.
    fn import_ids(&self, _model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String> {
        match piece {
            RenderedKind::SamlProvider { name, .. } => vec![name.clone()],
            _ => vec![],
        }
    }
    /// `the SAML provider NAME`.
    fn describe_existing(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::SamlProvider { name, .. } => format!("the SAML provider {name}"),
            _ => String::new(),
        }
    }
    /// One JSON file under `iam/providers/` (without the metadata document).
    fn files(&self, res: &RenderedResource) -> Vec<RenderFile> {
        vec![provider_file(res)]
    }
}
