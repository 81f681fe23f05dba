//! What reading and writing IAM share, for every kind: the ownership tag, tag maps, dates, ARN
//! names, documents, SDK answers, the retry options of a call. A leaf: it imports no other
//! file of `iam/`.

use crate::error::{CallError, Error};
use crate::retry::RetryOptions;
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::Tag;
use eksfed_compiler::iam::decode_document;
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::plan::rendered::STACK_TAG;
use eksfed_compiler::review::security::drift::{APPLIED_TAG, META_KEY};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// A live object as a reader turns it out: its piece and its `meta` (what IAM says beyond
/// the piece: ids, dates, versions, the record of the last apply).
pub(super) type Piece = (RenderedKind, BTreeMap<String, Json>);

/// Concurrent per-object requests (ListPolicyTags, Get*Provider).
pub const CONCURRENCY: usize = 10;

/// The `eksfed:stack` tag's value.
pub(super) fn owner_of(tags: &[Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == STACK_TAG)
        .map(|t| t.value().to_string())
}

/// Tags as a map, in the order IAM returns them (the map type is the rendered one).
/// The tags of a live object, without the record of the last apply (which goes to `meta`,
/// see [`applied_of`]).
pub(super) fn tag_map<M: FromIterator<(String, String)>>(tags: &[Tag]) -> M {
    tags.iter()
        .filter(|t| t.key() != APPLIED_TAG)
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Refuses to change an object this stack does not own (checked right before each write).
pub(super) fn check_owner(what: &str, tags: &[Tag], stack: &str) -> anyhow::Result<()> {
    match owner_of(tags) {
        Some(s) if s == stack => Ok(()),
        Some(other) => anyhow::bail!("refusing to change {what}: it is owned by the stack `{other}` (tag {STACK_TAG}={other})"),
        None => anyhow::bail!(
            "refusing to change {what}: it does not carry the tag {STACK_TAG}={stack} (it changed after the plan was made, or eksfed does not manage it; `eksfed import` adopts it)"
        ),
    }
}

pub(super) fn date(d: Option<&aws_smithy_types::DateTime>) -> serde_json::Value {
    d.and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .map(serde_json::Value::String)
        .unwrap_or(serde_json::Value::Null)
}

/// The name in `arn:aws:iam::1:policy/path/name` (or a provider's `.../name`).
pub(super) fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The record of the last apply (`security::drift`), for the live object's `meta`.
pub(super) fn applied_of(tags: &[Tag]) -> Option<(String, serde_json::Value)> {
    tags.iter()
        .find(|t| t.key() == APPLIED_TAG)
        .map(|t| (META_KEY.to_string(), serde_json::Value::from(t.value())))
}

/// A document as IAM returns it, decoded; an undecodable one is kept as its raw string so
/// the plan shows it differs instead of the read failing.
pub(super) fn document(raw: Option<&str>) -> Json {
    match raw {
        Some(s) => decode_document(s).unwrap_or_else(|| Json::String(s.to_string())),
        None => Json::Null,
    }
}

/// Documents are sent as compact JSON.
pub(super) fn compact(doc: &Json) -> anyhow::Result<String> {
    Ok(serde_json::to_string(doc)?)
}

pub(super) fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

pub(super) fn ec() -> RetryOptions {
    RetryOptions::eventually_consistent()
}

pub(super) fn plain() -> RetryOptions {
    RetryOptions::default()
}

/// Already gone (or detached) is what a detach or delete wants.
pub(super) fn gone_is_done<T>(r: Result<T, CallError>) -> anyhow::Result<()> {
    CallError::none_if_missing(r)?;
    Ok(())
}

/// An SDK answer with its error classified.
pub(super) fn sdk<T, E>(r: Result<T, SdkError<E, HttpResponse>>) -> Result<T, Error>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    r.map_err(|e| Error::from_sdk(&e))
}
