//! What every IAM object kind (role, customer managed policy, OIDC provider, SAML provider)
//! shares, written once: get, get with the ownership check, tag and untag to the wanted
//! tags, delete, adopt (`eksfed import`). A kind says only what differs: its names and its
//! four SDK calls ([`IamObject`], implemented in the kind's file: `role.rs`, `policy.rs`,
//! `oidc_provider.rs`, `saml_provider.rs`).

use super::common::{check_owner, owner_of};
use crate::error::{CallError, Error};
use crate::retry::{with_retry_opts, RetryOptions};
use anyhow::Context as _;
use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use eksfed_compiler::plan::rendered::STACK_TAG;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

/// One IAM object kind: what differs between kinds.
pub(super) trait IamObject {
    /// In messages: `the role r`, `the OIDC provider arn:...`.
    const NOUN: &'static str;
    /// In operation names: `IAM GetRole r`, `IAM TagOpenIDConnectProvider arn:...`.
    const API: &'static str;
    /// The endpoint may drop this kind's tags (moto does for SAML providers; see the module
    /// documentation of `iam.rs`): a Get answer without tags is not "no owner", and a
    /// mark written by `eksfed import` is read back.
    const TAGS_MAY_NOT_STICK: bool = false;
    /// What a Get returns.
    type Got: Send + Sync;

    /// One Get: `None` where the answer holds no object.
    fn get(iam: &Client, id: &str)
        -> impl Future<Output = Result<Option<Self::Got>, Error>> + Send;
    /// The tags of a Get answer; `None` where it has no Tags element.
    fn tags(got: &Self::Got) -> Option<&[Tag]>;
    fn tag(
        iam: &Client,
        id: &str,
        tags: Vec<Tag>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    fn untag(
        iam: &Client,
        id: &str,
        keys: Vec<String>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    fn delete(iam: &Client, id: &str) -> impl Future<Output = Result<(), Error>> + Send;
}

/// `the role r`
fn what<K: IamObject>(id: &str) -> String {
    format!("the {} {id}", K::NOUN)
}

/// `IAM GetRole r`
fn op<K: IamObject>(verb: &str, id: &str) -> String {
    format!("IAM {verb}{} {id}", K::API)
}

/// The object, or `None` where it is not there.
pub(super) async fn get<K: IamObject>(
    iam: &Client,
    id: &str,
    opts: &RetryOptions,
) -> Result<Option<K::Got>, CallError> {
    let got = with_retry_opts(&op::<K>("Get", id), opts, || K::get(iam, id)).await;
    CallError::none_if_missing(got).map(Option::flatten)
}

/// The object right after a write to it: "not found" is retried (IAM's reads lag its writes).
pub(super) async fn read_back<K: IamObject>(
    iam: &Client,
    id: &str,
) -> Result<Option<K::Got>, CallError> {
    let opts = RetryOptions::eventually_consistent();
    with_retry_opts(&op::<K>("Get", id), &opts, || K::get(iam, id)).await
}

/// The object, after checking that this stack owns it: one Get right before the first write.
pub(super) async fn owned<K: IamObject>(
    iam: &Client,
    stack: &str,
    id: &str,
) -> anyhow::Result<K::Got> {
    let what = what::<K>(id);
    let got = get::<K>(iam, id, &RetryOptions::default())
        .await?
        .ok_or_else(|| anyhow::anyhow!("{what} no longer exists"))?;
    let Some(tags) = K::tags(&got) else {
        anyhow::bail!("refusing to change {what}: the endpoint returned no tags for it, so its {STACK_TAG} ownership tag cannot be checked");
    };
    check_owner(&what, tags, stack)?;
    Ok(got)
}

/// The desired tags as SDK tags, the ownership tag always set to `stack`.
pub(super) fn sdk_tags<'a>(
    tags: impl IntoIterator<Item = (&'a String, &'a String)>,
    stack: &str,
) -> anyhow::Result<Vec<Tag>> {
    let mut map = tag_pairs(tags);
    map.insert(STACK_TAG.to_string(), stack.to_string());
    map.into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(anyhow::Error::from)
        })
        .collect()
}

pub(super) fn tag_pairs<'a>(
    tags: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> BTreeMap<String, String> {
    tags.into_iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Tags to set (new or changed values) and keys to remove, `before` -> `after`.
pub(super) fn tag_delta(
    before: &BTreeMap<String, String>,
    after: &[Tag],
) -> (Vec<Tag>, Vec<String>) {
    let set = after
        .iter()
        .filter(|t| before.get(t.key()).map(String::as_str) != Some(t.value()))
        .cloned()
        .collect();
    let wanted: BTreeSet<&str> = after.iter().map(|t| t.key()).collect();
    let remove = before
        .keys()
        .filter(|k| !wanted.contains(k.as_str()))
        .cloned()
        .collect();
    (set, remove)
}

/// Brings the object's tags from `before` (as read) to `after`: a Tag call for what is new or
/// changed, an Untag call for what goes, each only where needed.
pub(super) async fn retag<K: IamObject>(
    iam: &Client,
    id: &str,
    before: &BTreeMap<String, String>,
    after: &[Tag],
) -> anyhow::Result<()> {
    let (set, remove) = tag_delta(before, after);
    let opts = RetryOptions::eventually_consistent();
    if !set.is_empty() {
        with_retry_opts(&op::<K>("Tag", id), &opts, || K::tag(iam, id, set.clone())).await?;
    }
    if !remove.is_empty() {
        let untag = || K::untag(iam, id, remove.clone());
        with_retry_opts(&op::<K>("Untag", id), &opts, untag).await?;
    }
    Ok(())
}

/// Brings the object's tags from `before` (as read) to the `after` the stack declares, the
/// ownership tag set to `stack`.
pub(super) async fn retag_declared<'a, K: IamObject>(
    iam: &Client,
    stack: &str,
    id: &str,
    before: impl IntoIterator<Item = (&'a String, &'a String)>,
    after: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> anyhow::Result<()> {
    let want = sdk_tags(after, stack)?;
    retag::<K>(iam, id, &tag_pairs(before), &want).await
}

/// Sets one tag to `value`, or removes it when `None` (the record of the last apply).
pub(super) async fn set_tag<K: IamObject>(
    iam: &Client,
    id: &str,
    key: &str,
    value: Option<String>,
) -> anyhow::Result<()> {
    let opts = RetryOptions::eventually_consistent();
    match value {
        Some(v) => {
            let t = Tag::builder().key(key).value(v).build()?;
            let tag = || K::tag(iam, id, vec![t.clone()]);
            with_retry_opts(&op::<K>("Tag", id), &opts, tag).await?;
        }
        None => {
            let untag = || K::untag(iam, id, vec![key.to_string()]);
            with_retry_opts(&op::<K>("Untag", id), &opts, untag).await?;
        }
    }
    Ok(())
}

/// Deletes the object; already gone is what a delete wants. A conflict is retried: IAM may
/// still see the detaches that resolve it in flight.
pub(super) async fn delete<K: IamObject>(iam: &Client, id: &str) -> anyhow::Result<()> {
    let opts = RetryOptions::default().and_conflicts();
    let gone = with_retry_opts(&op::<K>("Delete", id), &opts, || K::delete(iam, id)).await;
    CallError::none_if_missing(gone)?;
    Ok(())
}

/// Deletes the object after checking that this stack owns it (a kind that needs nothing
/// else gone first).
pub(super) async fn check_and_delete<K: IamObject>(
    iam: &Client,
    stack: &str,
    id: &str,
) -> anyhow::Result<()> {
    owned::<K>(iam, stack, id).await?;
    delete::<K>(iam, id).await
}

/// `eksfed import`: marks the object as owned by `stack`. One already carrying this stack's
/// mark is left alone; another stack's is refused.
pub(super) async fn adopt<K: IamObject>(
    iam: &Client,
    stack: &str,
    id: &str,
    mark: &[Tag],
) -> anyhow::Result<()> {
    let what = what::<K>(id);
    let got = get::<K>(iam, id, &RetryOptions::default())
        .await?
        .ok_or_else(|| anyhow::anyhow!("{what} does not exist"))?;
    match owner_of(K::tags(&got).unwrap_or_default()) {
        Some(s) if s == stack => return Ok(()),
        Some(other) => anyhow::bail!("refusing to import {what}: it is owned by the stack `{other}` (tag {STACK_TAG}={other})"),
        None => {}
    }
    let opts = RetryOptions::default();
    let tagged = with_retry_opts(&op::<K>("Tag", id), &opts, || {
        K::tag(iam, id, mark.to_vec())
    })
    .await;
    if !K::TAGS_MAY_NOT_STICK {
        tagged?;
        return Ok(());
    }
    tagged.with_context(|| {
        format!(
            "cannot mark {what} as owned: the endpoint refused Tag{}",
            K::API
        )
    })?;
    let check = read_back::<K>(iam, id).await?;
    if owner_of(check.as_ref().and_then(K::tags).unwrap_or_default()).as_deref() != Some(stack) {
        anyhow::bail!(
            "tagged {what}, but the endpoint does not return the tag: eksfed cannot mark it as owned here"
        );
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tag_delta_sets_changed_and_removes_undeclared_keeping_the_mark() {
        let before = BTreeMap::from([
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "2".to_string()),
            (STACK_TAG.to_string(), "s".to_string()),
        ]);
        let after = sdk_tags(
            [
                (&"a".to_string(), &"1".to_string()),
                (&"c".to_string(), &"3".to_string()),
            ],
            "s",
        )
        .unwrap();
        let (set, remove) = tag_delta(&before, &after);
        assert_eq!(
            set.iter().map(|t| (t.key(), t.value())).collect::<Vec<_>>(),
            vec![("c", "3")]
        );
        assert_eq!(remove, vec!["b".to_string()]);
    }

    #[test]
    fn desired_tags_always_carry_this_stacks_mark() {
        let t = sdk_tags([(&STACK_TAG.to_string(), &"other".to_string())], "mine").unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].key(), t[0].value()), (STACK_TAG, "mine"));
    }
}
