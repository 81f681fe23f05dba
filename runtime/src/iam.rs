//! IAM: reading the live roles, customer managed policies and identity providers of an
//! account as [`LiveObject`](eksfed_compiler::live::LiveObject) pieces, applying
//! [`Change`](eksfed_compiler::plan::Change)s to them, and adopting existing
//! objects (`eksfed import`).
//!
//! **Reading** ([`read`]) costs, for an account with R roles, P customer managed policies,
//! O OIDC and S SAML providers:
//!
//! | requests | what |
//! | --- | --- |
//! | ⌈(R+P)/1000⌉ (more if AWS cuts a page short) | `GetAccountAuthorizationDetails` (Filter `Role`, `LocalManagedPolicy`, MaxItems 1000, Marker followed): trust policies, inline documents, attachments, boundaries and tags of every role; every version of every policy |
//! | ⌈R/1000⌉ | `ListRoles`: the two role fields GAAD leaves out, `Description` and `MaxSessionDuration` |
//! | P | `ListPolicyTags`, 10 at a time: GAAD carries no policy tags, and ownership is a tag |
//! | 1 + O | `ListOpenIDConnectProviders` + `GetOpenIDConnectProvider` each (10 at a time) |
//! | 1 + S | `ListSAMLProviders` + `GetSAMLProvider` each (10 at a time) |
//!
//! so 300 roles sharing one policy cost 5 requests, where reading role by role the way the
//! Terraform provider does (GetRole + ListRolePolicies + GetRolePolicy per inline +
//! ListAttachedRolePolicies) costs at least 4 per role. Only objects owned by the stack (tag
//! `eksfed:stack` = stack) or whose key the caller wants are returned; another stack's object
//! is returned only when wanted, an unmarked one (owner `None`) likewise.
//!
//! **Writing** ([`apply`]) computes the minimal calls from a change's `before` (the live
//! piece) and `after`; a role's attachments and inline policies are managed exclusively (a
//! policy attached by hand is detached). Before any write to an existing object the
//! ownership tag is checked again with one Get; a foreign object is never modified. Every
//! write goes through [`crate::retry`] (IAM's eventual consistency, throttling).
//!
//! **SAML providers and ownership.** On AWS, `CreateSAMLProvider` takes tags and
//! `GetSAMLProvider` returns them, so SAML providers carry the `eksfed:stack` tag like every
//! other object. moto (5.2.5) accepts the tags on create and drops them: its
//! `GetSAMLProvider` answer has no `Tags` element, and `TagSAMLProvider`,
//! `UntagSAMLProvider` and `ListSAMLProviderTags` are not implemented (HTTP 500). eksfed does
//! not guess ownership from names: a provider whose tags did not stick is *unmarked*. So
//! [`apply`] checks after `CreateSAMLProvider` that the tag is there and fails with an error
//! saying the endpoint did not keep it; [`read`] returns such a provider (when wanted) with
//! owner `None` and `meta.ownership` explaining that the endpoint returned no tags, which
//! the plan reports as an object this stack does not own; updates, deletes and adoption
//! refuse it. On such an endpoint a stack can create a SAML provider but not manage it after.

use aws_sdk_iam::types::Tag;
use eksfed_compiler::render::STACK_TAG;
use eksfed_compiler::security::drift::{APPLIED_TAG, META_KEY};

mod apply;
mod read;

pub use apply::{adopt, apply};
pub use read::read;

/// Concurrent per-object requests (ListPolicyTags, Get*Provider).
pub const CONCURRENCY: usize = 10;

/// The `eksfed:stack` tag's value.
fn owner_of(tags: &[Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == STACK_TAG)
        .map(|t| t.value().to_string())
}

/// Tags as a map, in the order IAM returns them (the map type is the rendered one).
/// The tags of a live object, without the record of the last apply (which goes to `meta`,
/// see [`applied_of`]).
fn tag_map<M: FromIterator<(String, String)>>(tags: &[Tag]) -> M {
    tags.iter()
        .filter(|t| t.key() != APPLIED_TAG)
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// The record of the last apply (`security::drift`), for the live object's `meta`.
fn applied_of(tags: &[Tag]) -> Option<(String, serde_json::Value)> {
    tags.iter()
        .find(|t| t.key() == APPLIED_TAG)
        .map(|t| (META_KEY.to_string(), serde_json::Value::from(t.value())))
}

/// Refuses to change an object this stack does not own (checked right before each write).
fn check_owner(what: &str, tags: &[Tag], stack: &str) -> anyhow::Result<()> {
    match owner_of(tags) {
        Some(s) if s == stack => Ok(()),
        Some(other) => anyhow::bail!("refusing to change {what}: it is owned by the stack `{other}` (tag {STACK_TAG}={other})"),
        None => anyhow::bail!(
            "refusing to change {what}: it does not carry the tag {STACK_TAG}={stack} (it changed after the plan was made, or eksfed does not manage it; `eksfed import` adopts it)"
        ),
    }
}

fn is_not_found<E, R>(e: &aws_sdk_iam::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_iam::error::ProvideErrorMetadata,
{
    matches!(
        crate::error::code(e).as_deref(),
        Some("NoSuchEntity" | "NoSuchEntityException")
    )
}

/// `Ok(None)` for `NoSuchEntity`: the object is gone (a read), or already in the state a
/// detach/delete wants.
fn none_if_gone<T, E, R>(
    r: Result<T, aws_sdk_iam::error::SdkError<E, R>>,
) -> Result<Option<T>, aws_sdk_iam::error::SdkError<E, R>>
where
    E: aws_sdk_iam::error::ProvideErrorMetadata,
{
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn date(d: Option<&aws_smithy_types::DateTime>) -> serde_json::Value {
    d.and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .map(serde_json::Value::String)
        .unwrap_or(serde_json::Value::Null)
}

/// The name in `arn:aws:iam::1:policy/path/name` (or a provider's `.../name`).
fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
