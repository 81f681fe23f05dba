//! The customer managed policy, everything the runtime does specifically for it: its
//! [`IamObject`] calls, create, update (a changed document is a new default version, the
//! oldest non-default one pruned when IAM's five are used; tags), delete (refused while
//! something outside the stack uses it; detached from the stack's roles and its versions
//! deleted first), attaching it again to those roles after a replacement, the record of the
//! last apply, and reading it.

use super::common::{applied_of, arn_name, compact, date, document, ec, gone_is_done};
use super::common::{non_empty, owner_of, plain, sdk, tag_map, Piece, CONCURRENCY};
use super::kind::{cannot, cannot_update, IamKind, Pair};
use super::object::{self, owned, sdk_tags, IamObject};
use super::page::{list_all, paginate, Page};
use super::role::{attach, detach, IamRole};
use crate::error::{CallError, Error};
use crate::par::bounded;
use crate::retry::{with_retry, with_retry_opts};
use aws_sdk_iam::types::{ManagedPolicyDetail, PolicyVersion, Tag};
use aws_sdk_iam::Client;
use eksfed_compiler::iam::canonical;
use eksfed_compiler::plan::rendered::RenderedKind;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashMap};

/// IAM keeps at most five versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// The customer managed policy kind: its id in IAM calls is its ARN.
pub(super) struct IamPolicy;

impl IamObject for IamPolicy {
    const NOUN: &'static str = "policy";
    const API: &'static str = "Policy";
    type Got = aws_sdk_iam::types::Policy;
    async fn get(iam: &Client, id: &str) -> Result<Option<Self::Got>, Error> {
        sdk(iam.get_policy().policy_arn(id).send().await).map(|o| o.policy)
    }
    fn tags(got: &Self::Got) -> Option<&[Tag]> {
        Some(got.tags())
    }
    async fn tag(iam: &Client, id: &str, tags: Vec<Tag>) -> Result<(), Error> {
        let call = iam.tag_policy().policy_arn(id).set_tags(Some(tags));
        sdk(call.send().await).map(drop)
    }
    async fn untag(iam: &Client, id: &str, keys: Vec<String>) -> Result<(), Error> {
        let call = iam.untag_policy().policy_arn(id).set_tag_keys(Some(keys));
        sdk(call.send().await).map(drop)
    }
    async fn delete(iam: &Client, id: &str) -> Result<(), Error> {
        sdk(iam.delete_policy().policy_arn(id).send().await).map(drop)
    }
}

impl IamKind for IamPolicy {
    const TYPE: &'static str = eksfed_compiler::kinds::id::KindId::Policy.name();
    /// Roles of this stack the policy was detached from.
    type Undone = Vec<String>;
    const RECORDS_APPLIED: bool = true;

    async fn create(iam: &Client, stack: &str, after: &RenderedKind) -> anyhow::Result<()> {
        let RenderedKind::Policy {
            name,
            path,
            description,
            document,
            tags,
            ..
        } = after
        else {
            return Err(cannot("create", after));
        };
        let tags = sdk_tags(tags.iter(), stack)?;
        let doc = compact(document)?;
        with_retry_opts(&format!("IAM CreatePolicy {name}"), &plain(), || {
            iam.create_policy()
                .policy_name(name)
                .path(path)
                .policy_document(&doc)
                .set_description(non_empty(description))
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
        Ok(())
    }

    async fn update(iam: &Client, stack: &str, pair: Pair<'_>) -> anyhow::Result<()> {
        let (
            RenderedKind::Policy {
                arn: b_arn,
                document: b_doc,
                tags: b_tags,
                ..
            },
            RenderedKind::Policy {
                arn,
                document,
                tags,
                ..
            },
        ) = pair
        else {
            return Err(cannot_update(pair));
        };
        if b_arn != arn {
            anyhow::bail!("cannot turn the policy {b_arn} into {arn} in place");
        }
        owned::<Self>(iam, stack, arn).await?;
        if canonical(b_doc) != canonical(document) {
            new_default_version(iam, arn, &compact(document)?).await?;
        }
        object::retag_declared::<Self>(iam, stack, arn, b_tags, tags).await?;
        Ok(())
    }

    /// Detach from this stack's roles (refusing, before any write, when anything else uses the
    /// policy), delete the non-default versions, delete.
    async fn delete_owned(iam: &Client, stack: &str, arn: &str) -> anyhow::Result<Vec<String>> {
        owned::<Self>(iam, stack, arn).await?;
        let entities = list_all(
            &format!("IAM ListEntitiesForPolicy {arn}"),
            &plain(),
            |m| {
                iam.list_entities_for_policy()
                    .policy_arn(arn)
                    .set_marker(m)
                    .send()
            },
            |out| {
                let roles = out.policy_roles().iter().filter_map(|r| r.role_name());
                let users = out.policy_users().iter().filter_map(|u| u.user_name());
                let groups = out.policy_groups().iter().filter_map(|g| g.group_name());
                let named = |kind: &'static str| move |n: &str| (kind, n.to_string());
                let mut items: Vec<(&'static str, String)> = roles.map(named("role")).collect();
                items.extend(users.map(named("user")));
                items.extend(groups.map(named("group")));
                items
            },
        )
        .await?;
        let mut ours = vec![];
        let mut others = vec![];
        for (kind, name) in entities {
            if kind != "role" {
                others.push(format!("the {kind} {name}"));
                continue;
            }
            let Some(role) = object::get::<IamRole>(iam, &name, &plain()).await? else {
                continue;
            };
            if owner_of(role.tags()).as_deref() != Some(stack) {
                others.push(format!("the role {name}"));
            } else if role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                == Some(arn)
            {
                others.push(format!(
                    "the role {name} (this stack's, as its permissions boundary)"
                ));
            } else {
                ours.push(name);
            }
        }
        others.sort();
        others.dedup();
        if !others.is_empty() {
            anyhow::bail!("refusing to delete the policy {arn}: it is still used by {}, which this stack does not manage that way; detach it there first", others.join(", "));
        }
        for role in &ours {
            detach(iam, role, arn).await?;
        }
        for v in policy_versions(iam, arn).await? {
            if v.is_default_version() {
                continue;
            }
            if let Some(id) = v.version_id() {
                delete_version(iam, arn, id).await?;
            }
        }
        object::delete::<Self>(iam, arn).await?;
        Ok(ours)
    }

    /// A policy recreated under the same ARN is attached again to the stack's roles it was
    /// detached from (the plan has no change for them).
    async fn restore(iam: &Client, pair: Pair<'_>, undone: Vec<String>) -> anyhow::Result<()> {
        match pair {
            (RenderedKind::Policy { arn: b, .. }, RenderedKind::Policy { arn: a, .. })
                if a == b =>
            {
                for role in &undone {
                    attach(iam, role, a).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

async fn policy_versions(iam: &Client, arn: &str) -> anyhow::Result<Vec<PolicyVersion>> {
    list_all(
        &format!("IAM ListPolicyVersions {arn}"),
        &ec(),
        |m| {
            iam.list_policy_versions()
                .policy_arn(arn)
                .set_marker(m)
                .send()
        },
        |out| out.versions().to_vec(),
    )
    .await
}

/// Order of creation: create date, then the number in `vN`.
fn version_age(v: &PolicyVersion) -> (i64, u32, u64) {
    let (s, n) = v
        .create_date()
        .map(|d| (d.secs(), d.subsec_nanos()))
        .unwrap_or((i64::MAX, 0));
    let num = v
        .version_id()
        .and_then(|id| id.trim_start_matches('v').parse().ok())
        .unwrap_or(u64::MAX);
    (s, n, num)
}

/// The oldest version that is not the default, when IAM's five are all used.
fn version_to_prune(versions: &[PolicyVersion]) -> Option<&PolicyVersion> {
    if versions.len() < MAX_POLICY_VERSIONS {
        return None;
    }
    versions
        .iter()
        .filter(|v| !v.is_default_version())
        .min_by_key(|v| version_age(v))
}

async fn delete_version(iam: &Client, arn: &str, id: &str) -> anyhow::Result<()> {
    let op = format!("IAM DeletePolicyVersion {arn} {id}");
    let call = iam.delete_policy_version().policy_arn(arn).version_id(id);
    gone_is_done(with_retry_opts(&op, &plain(), || call.clone().send()).await)
}

/// A changed document: a new default version, pruning the oldest non-default one first
/// when five exist.
async fn new_default_version(iam: &Client, arn: &str, doc: &str) -> anyhow::Result<()> {
    let versions = policy_versions(iam, arn).await?;
    if let Some(id) = version_to_prune(&versions).and_then(|v| v.version_id()) {
        delete_version(iam, arn, id).await?;
    }
    with_retry_opts(&format!("IAM CreatePolicyVersion {arn}"), &ec(), || {
        iam.create_policy_version()
            .policy_arn(arn)
            .policy_document(doc)
            .set_as_default(true)
            .send()
    })
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Read

/// Tags of each policy (`None`: deleted since it was listed), 10 requests at a time.
pub(super) async fn tags(
    iam: &Client,
    arns: Vec<String>,
) -> anyhow::Result<HashMap<String, Option<Vec<Tag>>>> {
    let tags = bounded(arns.clone(), CONCURRENCY, |arn| {
        let iam = iam.clone();
        async move {
            let op = format!("IAM ListPolicyTags {arn}");
            let mut all = vec![];
            let pages = paginate(&op, |marker| {
                let (iam, arn, op) = (&iam, &arn, &op);
                async move {
                    let call = iam.list_policy_tags().policy_arn(arn).max_items(100);
                    let call = call.set_marker(marker.clone());
                    let out = with_retry(op, || call.clone().send()).await;
                    let out = CallError::none_if_missing(out)?;
                    Ok(match out {
                        Some(o) => Page {
                            items: vec![Some(o.tags().to_vec())],
                            is_truncated: o.is_truncated(),
                            marker: o.marker().map(String::from),
                        },
                        None => Page {
                            items: vec![None],
                            is_truncated: false,
                            marker: None,
                        },
                    })
                }
            })
            .await?;
            for page in pages {
                match page {
                    Some(t) => all.extend(t),
                    None => return Ok(None),
                }
            }
            Ok(Some(all))
        }
    })
    .await?;
    Ok(arns.into_iter().zip(tags).collect())
}

/// A policy as GAAD returns it, with its tags, as its piece and `meta`.
pub(super) fn piece(p: &ManagedPolicyDetail, tags: &[Tag]) -> Piece {
    let arn = p.arn().unwrap_or_default();
    let default = p
        .policy_version_list()
        .iter()
        .find(|v| v.is_default_version())
        .or_else(|| {
            p.policy_version_list()
                .iter()
                .find(|v| v.version_id() == p.default_version_id())
        });
    let piece = RenderedKind::Policy {
        // moto's GAAD leaves out PolicyName; the ARN ends with it.
        name: p.policy_name().unwrap_or_else(|| arn_name(arn)).to_string(),
        path: p.path().unwrap_or("/").to_string(),
        description: p.description().unwrap_or("").to_string(),
        arn: arn.to_string(),
        document: document(default.and_then(|v| v.document())),
        tags: tag_map(tags),
    };
    let versions: Vec<Json> = p
        .policy_version_list()
        .iter()
        .map(|v| json!({ "version_id": v.version_id(), "is_default": v.is_default_version(), "create_date": date(v.create_date()) }))
        .collect();
    let mut meta = BTreeMap::from([
        ("policy_id".to_string(), json!(p.policy_id())),
        (
            "default_version_id".to_string(),
            json!(p.default_version_id()),
        ),
        ("versions".to_string(), json!(versions)),
        ("attachment_count".to_string(), json!(p.attachment_count())),
        (
            "permissions_boundary_usage_count".to_string(),
            json!(p.permissions_boundary_usage_count()),
        ),
        ("create_date".to_string(), date(p.create_date())),
        ("update_date".to_string(), date(p.update_date())),
    ]);
    meta.extend(applied_of(tags));
    (piece, meta)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use aws_smithy_types::DateTime;

    fn v(id: &str, secs: i64, default: bool) -> PolicyVersion {
        PolicyVersion::builder()
            .version_id(id)
            .create_date(DateTime::from_secs(secs))
            .is_default_version(default)
            .build()
    }

    #[test]
    fn prunes_the_oldest_non_default_version_only_at_five() {
        let four = vec![
            v("v1", 1, false),
            v("v2", 2, false),
            v("v3", 3, false),
            v("v4", 4, true),
        ];
        assert!(version_to_prune(&four).is_none());
        let five = vec![
            v("v3", 3, false),
            v("v1", 1, true),
            v("v2", 2, false),
            v("v5", 5, false),
            v("v4", 4, false),
        ];
        assert_eq!(
            version_to_prune(&five).and_then(|v| v.version_id()),
            Some("v2")
        );
        // Same second: the version number decides.
        let same = vec![
            v("v10", 7, false),
            v("v9", 7, false),
            v("v11", 7, true),
            v("v12", 7, false),
            v("v13", 7, false),
        ];
        assert_eq!(
            version_to_prune(&same).and_then(|v| v.version_id()),
            Some("v9")
        );
    }
}
