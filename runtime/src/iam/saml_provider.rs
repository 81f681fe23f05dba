//! The IAM SAML identity provider, everything the runtime does specifically for it: its
//! [`IamObject`] calls (its tags may not stick: see the module documentation of `iam.rs`),
//! create (checking that the ownership tag stuck), update (metadata, tags), delete, and
//! reading it.

use super::common::{arn_name, date, ec, owner_of, plain, sdk, tag_map, Piece};
use super::kind::{cannot, cannot_update, IamKind, Pair};
use super::object::{self, owned, sdk_tags, IamObject};
use crate::error::Error;
use crate::retry::{with_retry, with_retry_opts};
use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::plan::rendered::STACK_TAG;
use serde_json::json;
use std::collections::BTreeMap;

/// The SAML provider kind: its id in IAM calls is its ARN.
pub(super) struct SamlProvider;

impl IamObject for SamlProvider {
    const NOUN: &'static str = "SAML provider";
    const API: &'static str = "SAMLProvider";
    const TAGS_MAY_NOT_STICK: bool = true;
    type Got = aws_sdk_iam::operation::get_saml_provider::GetSamlProviderOutput;
    async fn get(iam: &Client, id: &str) -> Result<Option<Self::Got>, Error> {
        sdk(iam.get_saml_provider().saml_provider_arn(id).send().await).map(Some)
    }
    fn tags(got: &Self::Got) -> Option<&[Tag]> {
        got.tags.as_deref()
    }
    async fn tag(iam: &Client, id: &str, tags: Vec<Tag>) -> Result<(), Error> {
        let call = iam.tag_saml_provider().saml_provider_arn(id);
        sdk(call.set_tags(Some(tags)).send().await).map(drop)
    }
    async fn untag(iam: &Client, id: &str, keys: Vec<String>) -> Result<(), Error> {
        let call = iam.untag_saml_provider().saml_provider_arn(id);
        sdk(call.set_tag_keys(Some(keys)).send().await).map(drop)
    }
    async fn delete(iam: &Client, id: &str) -> Result<(), Error> {
        sdk(iam
            .delete_saml_provider()
            .saml_provider_arn(id)
            .send()
            .await)
        .map(drop)
    }
}

impl IamKind for SamlProvider {
    const TYPE: &'static str = eksfed_compiler::kinds::id::KindId::SamlProvider.name();
    type Undone = ();

    async fn create(iam: &Client, stack: &str, after: &RenderedKind) -> anyhow::Result<()> {
        let RenderedKind::SamlProvider {
            name,
            metadata,
            tags,
            ..
        } = after
        else {
            return Err(cannot("create", after));
        };
        let tags = sdk_tags(tags.iter(), stack)?;
        let out = with_retry_opts(&format!("IAM CreateSAMLProvider {name}"), &plain(), || {
            iam.create_saml_provider()
                .name(name)
                .saml_metadata_document(metadata)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
        let arn = out.saml_provider_arn().unwrap_or_default().to_string();
        // The tag is the only ownership mark; an endpoint that drops it (moto) leaves a
        // provider eksfed cannot manage afterwards. Say so now rather than at the next plan.
        let got = object::read_back::<Self>(iam, &arn).await?;
        let tags = got.as_ref().and_then(|g| g.tags.as_deref());
        if owner_of(tags.unwrap_or_default()).as_deref() != Some(stack) {
            anyhow::bail!(
                "created the SAML provider {arn}, but the endpoint did not keep its tags (GetSAMLProvider returns {}), so it does not carry {STACK_TAG}={stack}: eksfed will treat it as not owned by this stack and will not change or delete it",
                match tags { None => "no Tags element".to_string(), Some(t) => format!("{} tags", t.len()) }
            );
        }
        Ok(())
    }

    async fn update(iam: &Client, stack: &str, pair: Pair<'_>) -> anyhow::Result<()> {
        let (
            RenderedKind::SamlProvider {
                arn: b_arn,
                metadata: b_meta,
                tags: b_tags,
                ..
            },
            RenderedKind::SamlProvider {
                arn,
                metadata,
                tags,
                ..
            },
        ) = pair
        else {
            return Err(cannot_update(pair));
        };
        if b_arn != arn {
            anyhow::bail!("cannot turn the SAML provider {b_arn} into {arn} in place");
        }
        owned::<Self>(iam, stack, arn).await?;
        if b_meta.trim() != metadata.trim() {
            with_retry_opts(&format!("IAM UpdateSAMLProvider {arn}"), &ec(), || {
                iam.update_saml_provider()
                    .saml_provider_arn(arn)
                    .saml_metadata_document(metadata)
                    .send()
            })
            .await?;
        }
        object::retag_declared::<Self>(iam, stack, arn, b_tags, tags).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Read

/// The ARNs of the account's SAML providers.
pub(super) async fn list(iam: &Client) -> anyhow::Result<Vec<String>> {
    let list = with_retry("IAM ListSAMLProviders", || iam.list_saml_providers().send()).await?;
    Ok(list
        .saml_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(String::from))
        .collect())
}

/// A provider as GetSAMLProvider returns it, as its piece and `meta`; one whose answer has no
/// tags says so in `meta.ownership`.
pub(super) fn piece(arn: &str, p: &<SamlProvider as IamObject>::Got) -> Piece {
    let piece = RenderedKind::SamlProvider {
        arn: arn.to_string(),
        name: arn_name(arn).to_string(),
        metadata: p.saml_metadata_document().unwrap_or_default().to_string(),
        tags: tag_map(p.tags()),
    };
    let mut meta = BTreeMap::from([
        ("create_date".to_string(), date(p.create_date())),
        ("valid_until".to_string(), date(p.valid_until())),
        (
            "saml_provider_uuid".to_string(),
            json!(p.saml_provider_uuid()),
        ),
    ]);
    if p.tags.is_none() {
        // moto drops SAML provider tags; AWS returns them. Ownership cannot be shown.
        meta.insert(
            "ownership".to_string(),
            json!("unknown: GetSAMLProvider returned no Tags element, so the eksfed:stack tag cannot be read (the endpoint did not return the provider's tags)"),
        );
    }
    (piece, meta)
}
