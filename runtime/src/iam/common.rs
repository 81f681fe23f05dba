//! What reading and writing IAM share: the ownership tag, tag maps, dates, ARN names.

use aws_sdk_iam::types::Tag;
use eksfed_compiler::render::STACK_TAG;
use eksfed_compiler::security::drift::{APPLIED_TAG, META_KEY};

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
