//! The IAM OIDC identity provider, everything the runtime does specifically for it: its
//! [`IamObject`] calls, create (thumbprints only where the stack gives some), update
//! (thumbprints, client IDs added before removed, tags), delete, and reading it.

use super::common::{date, ec, plain, sdk, tag_map, Piece};
use super::kind::{cannot, cannot_update, IamKind, Pair};
use super::object::{self, owned, sdk_tags, IamObject};
use crate::error::Error;
use crate::retry::{with_retry, with_retry_opts};
use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use eksfed_compiler::kinds::oidc_provider::normal_thumbprints;
use eksfed_compiler::plan::rendered::RenderedKind;
use std::collections::BTreeMap;

/// The OIDC provider kind: its id in IAM calls is its ARN.
pub(super) struct OidcProvider;

impl IamObject for OidcProvider {
    const NOUN: &'static str = "OIDC provider";
    const API: &'static str = "OpenIDConnectProvider";
    type Got = aws_sdk_iam::operation::get_open_id_connect_provider::GetOpenIdConnectProviderOutput;
    async fn get(iam: &Client, id: &str) -> Result<Option<Self::Got>, Error> {
        let call = iam.get_open_id_connect_provider();
        sdk(call.open_id_connect_provider_arn(id).send().await).map(Some)
    }
    fn tags(got: &Self::Got) -> Option<&[Tag]> {
        Some(got.tags())
    }
    async fn tag(iam: &Client, id: &str, tags: Vec<Tag>) -> Result<(), Error> {
        let call = iam.tag_open_id_connect_provider();
        let call = call.open_id_connect_provider_arn(id).set_tags(Some(tags));
        sdk(call.send().await).map(drop)
    }
    async fn untag(iam: &Client, id: &str, keys: Vec<String>) -> Result<(), Error> {
        let call = iam.untag_open_id_connect_provider();
        let call = call
            .open_id_connect_provider_arn(id)
            .set_tag_keys(Some(keys));
        sdk(call.send().await).map(drop)
    }
    async fn delete(iam: &Client, id: &str) -> Result<(), Error> {
        let call = iam.delete_open_id_connect_provider();
        sdk(call.open_id_connect_provider_arn(id).send().await).map(drop)
    }
}

impl IamKind for OidcProvider {
    const TYPE: &'static str = eksfed_compiler::kinds::id::KindId::OidcProvider.name();
    type Undone = ();

    async fn create(iam: &Client, stack: &str, after: &RenderedKind) -> anyhow::Result<()> {
        let RenderedKind::OidcProvider {
            url,
            client_ids,
            thumbprints,
            tags,
            ..
        } = after
        else {
            return Err(cannot("create", after));
        };
        let tags = sdk_tags(tags.iter(), stack)?;
        // Thumbprints only when the stack gives some: IAM no longer needs them for most
        // IdPs and fills in its own; a stack that names none never diffs on them.
        let thumbprints = thumbprints.clone().filter(|t| !t.is_empty());
        with_retry_opts(
            &format!("IAM CreateOpenIDConnectProvider {url}"),
            &plain(),
            || {
                iam.create_open_id_connect_provider()
                    .url(url)
                    .set_client_id_list(Some(client_ids.clone()))
                    .set_thumbprint_list(thumbprints.clone())
                    .set_tags(Some(tags.clone()))
                    .send()
            },
        )
        .await?;
        Ok(())
    }

    async fn update(iam: &Client, stack: &str, pair: Pair<'_>) -> anyhow::Result<()> {
        let (
            RenderedKind::OidcProvider {
                arn: b_arn,
                client_ids: b_ids,
                thumbprints: b_thumbs,
                tags: b_tags,
                ..
            },
            RenderedKind::OidcProvider {
                arn,
                client_ids,
                thumbprints,
                tags,
                ..
            },
        ) = pair
        else {
            return Err(cannot_update(pair));
        };
        if b_arn != arn {
            anyhow::bail!("cannot turn the OIDC provider {b_arn} into {arn} in place");
        }
        owned::<Self>(iam, stack, arn).await?;
        // Thumbprints only when the stack specifies them (IAM keeps its own otherwise).
        if let Some(want) = thumbprints {
            if normal_thumbprints(want)
                != normal_thumbprints(b_thumbs.as_deref().unwrap_or_default())
            {
                with_retry_opts(
                    &format!("IAM UpdateOpenIDConnectProviderThumbprint {arn}"),
                    &ec(),
                    || {
                        iam.update_open_id_connect_provider_thumbprint()
                            .open_id_connect_provider_arn(arn)
                            .set_thumbprint_list(Some(want.clone()))
                            .send()
                    },
                )
                .await?;
            }
        }
        // Add before remove: the provider never has no audience.
        for id in client_ids.iter().filter(|id| !b_ids.contains(id)) {
            with_retry_opts(
                &format!("IAM AddClientIDToOpenIDConnectProvider {arn} {id}"),
                &ec(),
                || {
                    iam.add_client_id_to_open_id_connect_provider()
                        .open_id_connect_provider_arn(arn)
                        .client_id(id)
                        .send()
                },
            )
            .await?;
        }
        for id in b_ids.iter().filter(|id| !client_ids.contains(id)) {
            with_retry_opts(
                &format!("IAM RemoveClientIDFromOpenIDConnectProvider {arn} {id}"),
                &ec(),
                || {
                    iam.remove_client_id_from_open_id_connect_provider()
                        .open_id_connect_provider_arn(arn)
                        .client_id(id)
                        .send()
                },
            )
            .await?;
        }
        object::retag_declared::<Self>(iam, stack, arn, b_tags, tags).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Read

/// The ARNs of the account's OIDC providers.
pub(super) async fn list(iam: &Client) -> anyhow::Result<Vec<String>> {
    let list = with_retry("IAM ListOpenIDConnectProviders", || {
        iam.list_open_id_connect_providers().send()
    })
    .await?;
    Ok(list
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(String::from))
        .collect())
}

/// A provider as GetOpenIDConnectProvider returns it, as its piece and `meta`.
pub(super) fn piece(arn: &str, p: &<OidcProvider as IamObject>::Got) -> Piece {
    // IAM returns the URL without its scheme; the stack writes it with `https://`.
    let url = p.url().unwrap_or_default();
    let url = if url.starts_with("https://") {
        url.to_string()
    } else {
        format!("https://{url}")
    };
    let piece = RenderedKind::OidcProvider {
        arn: arn.to_string(),
        url,
        client_ids: p.client_id_list().to_vec(),
        thumbprints: Some(p.thumbprint_list().to_vec()),
        tags: tag_map(p.tags()),
    };
    let meta = BTreeMap::from([("create_date".to_string(), date(p.create_date()))]);
    (piece, meta)
}
