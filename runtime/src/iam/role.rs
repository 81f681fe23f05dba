//! The IAM role, everything the runtime does specifically for it: its [`IamObject`] calls,
//! create, update (trust policy, description and session length, boundary, tags, managed
//! policies attached exactly as declared, inline policies), delete (detaching, deleting
//! inline policies and leaving instance profiles first), putting it back into its instance
//! profiles after a replacement, the record of the last apply, and reading it.

use super::common::{applied_of, compact, date, document, ec, gone_is_done, non_empty, plain};
use super::common::{sdk, tag_map, Piece};
use super::kind::{cannot, cannot_update, IamKind, Pair};
use super::object::{self, owned, sdk_tags, IamObject};
use super::page::{list_all, MAX_ITEMS};
use crate::error::Error;
use crate::retry::{with_retry_opts, RetryOptions};
use anyhow::Context as _;
use aws_sdk_iam::types::{Role, RoleDetail, Tag};
use aws_sdk_iam::Client;
use eksfed_compiler::iam::canonical;
use eksfed_compiler::plan::rendered::RenderedKind;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

/// The default quota of managed policies per role: above it, detach before attaching.
const ATTACHMENT_QUOTA: usize = 10;

/// The role kind: its id in IAM calls is its name.
pub(super) struct IamRole;

impl IamObject for IamRole {
    const NOUN: &'static str = "role";
    const API: &'static str = "Role";
    type Got = aws_sdk_iam::types::Role;
    async fn get(iam: &Client, id: &str) -> Result<Option<Self::Got>, Error> {
        sdk(iam.get_role().role_name(id).send().await).map(|o| o.role)
    }
    fn tags(got: &Self::Got) -> Option<&[Tag]> {
        Some(got.tags())
    }
    async fn tag(iam: &Client, id: &str, tags: Vec<Tag>) -> Result<(), Error> {
        let call = iam.tag_role().role_name(id).set_tags(Some(tags));
        sdk(call.send().await).map(drop)
    }
    async fn untag(iam: &Client, id: &str, keys: Vec<String>) -> Result<(), Error> {
        let call = iam.untag_role().role_name(id).set_tag_keys(Some(keys));
        sdk(call.send().await).map(drop)
    }
    async fn delete(iam: &Client, id: &str) -> Result<(), Error> {
        sdk(iam.delete_role().role_name(id).send().await).map(drop)
    }
}

impl IamKind for IamRole {
    const TYPE: &'static str = eksfed_compiler::kinds::id::KindId::Role.name();
    /// Instance profiles the role was removed from.
    type Undone = Vec<String>;
    const RECORDS_APPLIED: bool = true;

    async fn create(iam: &Client, stack: &str, after: &RenderedKind) -> anyhow::Result<()> {
        let RenderedKind::Role {
            name,
            path,
            description,
            max_session_duration,
            permissions_boundary,
            tags,
            trust_policy,
            policies,
            inline_policies,
            ..
        } = after
        else {
            return Err(cannot("create", after));
        };
        let tags = sdk_tags(tags.iter(), stack)?;
        let trust = compact(trust_policy)?;
        let msd = i32::try_from(*max_session_duration)
            .with_context(|| format!("max_session_duration {max_session_duration}"))?;
        // A just-created OIDC provider or boundary policy: "Invalid principal", NoSuchEntity.
        with_retry_opts(&format!("IAM CreateRole {name}"), &ec(), || {
            iam.create_role()
                .role_name(name)
                .path(path)
                .assume_role_policy_document(&trust)
                .set_description(non_empty(description))
                .max_session_duration(msd)
                .set_permissions_boundary(permissions_boundary.clone())
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
        for arn in policies {
            attach(iam, name, arn).await?;
        }
        for (policy, doc) in inline_policies {
            put_inline(iam, name, policy, doc).await?;
        }
        Ok(())
    }

    async fn update(iam: &Client, stack: &str, pair: Pair<'_>) -> anyhow::Result<()> {
        let (
            RenderedKind::Role {
                name: b_name,
                description: b_desc,
                max_session_duration: b_msd,
                permissions_boundary: b_pb,
                tags: b_tags,
                trust_policy: b_trust,
                policies: b_pol,
                inline_policies: b_inline,
                ..
            },
            RenderedKind::Role {
                name,
                description,
                max_session_duration,
                permissions_boundary,
                tags,
                trust_policy,
                policies,
                inline_policies,
                ..
            },
        ) = pair
        else {
            return Err(cannot_update(pair));
        };
        if b_name != name {
            anyhow::bail!("cannot rename the role {b_name} to {name} in place");
        }
        owned::<Self>(iam, stack, name).await?;
        if canonical(b_trust) != canonical(trust_policy) {
            let doc = compact(trust_policy)?;
            with_retry_opts(&format!("IAM UpdateAssumeRolePolicy {name}"), &ec(), || {
                iam.update_assume_role_policy()
                    .role_name(name)
                    .policy_document(&doc)
                    .send()
            })
            .await?;
        }
        if b_desc != description || b_msd != max_session_duration {
            let msd = i32::try_from(*max_session_duration)
                .with_context(|| format!("max_session_duration {max_session_duration}"))?;
            with_retry_opts(&format!("IAM UpdateRole {name}"), &ec(), || {
                iam.update_role()
                    .role_name(name)
                    .description(description)
                    .max_session_duration(msd)
                    .send()
            })
            .await?;
        }
        match (b_pb, permissions_boundary) {
            (b, Some(pb)) if b.as_ref() != Some(pb) => {
                with_retry_opts(
                    &format!("IAM PutRolePermissionsBoundary {name}"),
                    &ec(),
                    || {
                        iam.put_role_permissions_boundary()
                            .role_name(name)
                            .permissions_boundary(pb)
                            .send()
                    },
                )
                .await?;
            }
            (Some(_), None) => {
                let call = || {
                    iam.delete_role_permissions_boundary()
                        .role_name(name)
                        .send()
                };
                let op = format!("IAM DeleteRolePermissionsBoundary {name}");
                gone_is_done(with_retry_opts(&op, &plain(), call).await)?;
            }
            _ => {}
        }
        object::retag_declared::<Self>(iam, stack, name, b_tags, tags).await?;
        // Attachments exactly as declared: a policy attached by hand is detached.
        let want: BTreeSet<&String> = policies.iter().collect();
        let have: BTreeSet<&String> = b_pol.iter().collect();
        let to_attach: Vec<&String> = policies.iter().filter(|p| !have.contains(p)).collect();
        let to_detach: Vec<&String> = b_pol.iter().filter(|p| !want.contains(p)).collect();
        // Attach first so the role never lacks a permission it keeps; detach first only
        // where attaching first would go over the quota.
        let detach_first = have.len() + to_attach.len() > ATTACHMENT_QUOTA;
        if detach_first {
            for arn in &to_detach {
                detach(iam, name, arn).await?;
            }
        }
        for arn in &to_attach {
            attach(iam, name, arn).await?;
        }
        if !detach_first {
            for arn in &to_detach {
                detach(iam, name, arn).await?;
            }
        }
        // Inline policies exactly as declared.
        for (policy, doc) in inline_policies {
            if b_inline.get(policy.as_str()).map(canonical) != Some(canonical(doc)) {
                put_inline(iam, name, policy, doc).await?;
            }
        }
        for policy in b_inline.keys() {
            if !inline_policies.contains_key(policy.as_str()) {
                delete_inline(iam, name, policy).await?;
            }
        }
        Ok(())
    }

    /// Detach every policy, delete every inline policy, leave every instance profile, delete.
    /// Read fresh: what was attached by hand since the plan goes too.
    async fn delete_owned(iam: &Client, stack: &str, name: &str) -> anyhow::Result<Vec<String>> {
        owned::<Self>(iam, stack, name).await?;
        let attached = list_all(
            &format!("IAM ListAttachedRolePolicies {name}"),
            &plain(),
            |m| {
                iam.list_attached_role_policies()
                    .role_name(name)
                    .set_marker(m)
                    .send()
            },
            |out| {
                let arns = out
                    .attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn());
                arns.map(String::from).collect()
            },
        )
        .await?;
        let inline = list_all(
            &format!("IAM ListRolePolicies {name}"),
            &plain(),
            |m| {
                iam.list_role_policies()
                    .role_name(name)
                    .set_marker(m)
                    .send()
            },
            |out| out.policy_names().to_vec(),
        )
        .await?;
        let profiles = list_all(
            &format!("IAM ListInstanceProfilesForRole {name}"),
            &plain(),
            |m| {
                iam.list_instance_profiles_for_role()
                    .role_name(name)
                    .set_marker(m)
                    .send()
            },
            |out| {
                let profiles = out.instance_profiles().iter();
                profiles
                    .map(|p| p.instance_profile_name().to_string())
                    .collect()
            },
        )
        .await?;
        for arn in &attached {
            detach(iam, name, arn).await?;
        }
        for policy in &inline {
            delete_inline(iam, name, policy).await?;
        }
        for profile in &profiles {
            let op = format!("IAM RemoveRoleFromInstanceProfile {profile} {name}");
            let call = iam.remove_role_from_instance_profile();
            let call = call.instance_profile_name(profile).role_name(name);
            gone_is_done(with_retry_opts(&op, &plain(), || call.clone().send()).await)?;
        }
        object::delete::<Self>(iam, name).await?;
        Ok(profiles)
    }

    /// A recreated role goes back into its instance profiles.
    async fn restore(iam: &Client, pair: Pair<'_>, undone: Vec<String>) -> anyhow::Result<()> {
        if let (RenderedKind::Role { .. }, RenderedKind::Role { name, .. }) = pair {
            for profile in &undone {
                with_retry_opts(
                    &format!("IAM AddRoleToInstanceProfile {profile} {name}"),
                    &ec(),
                    || {
                        iam.add_role_to_instance_profile()
                            .instance_profile_name(profile)
                            .role_name(name)
                            .send()
                    },
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// Attaches the managed policy `arn` to `role` (also used by `policy.rs` after a
/// replacement).
pub(super) async fn attach(iam: &Client, role: &str, arn: &str) -> anyhow::Result<()> {
    // The policy may have been created moments ago.
    with_retry_opts(&format!("IAM AttachRolePolicy {role} {arn}"), &ec(), || {
        iam.attach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
    })
    .await?;
    Ok(())
}

/// Detaches the managed policy `arn` from `role` (also used by `policy.rs` before a delete).
pub(super) async fn detach(iam: &Client, role: &str, arn: &str) -> anyhow::Result<()> {
    // Already detached is what we want.
    gone_is_done(
        with_retry_opts(
            &format!("IAM DetachRolePolicy {role} {arn}"),
            &plain(),
            || {
                iam.detach_role_policy()
                    .role_name(role)
                    .policy_arn(arn)
                    .send()
            },
        )
        .await,
    )
}

async fn put_inline(iam: &Client, role: &str, policy: &str, doc: &Json) -> anyhow::Result<()> {
    let doc = compact(doc)?;
    with_retry_opts(&format!("IAM PutRolePolicy {role} {policy}"), &ec(), || {
        iam.put_role_policy()
            .role_name(role)
            .policy_name(policy)
            .policy_document(&doc)
            .send()
    })
    .await?;
    Ok(())
}

async fn delete_inline(iam: &Client, role: &str, policy: &str) -> anyhow::Result<()> {
    gone_is_done(
        with_retry_opts(
            &format!("IAM DeleteRolePolicy {role} {policy}"),
            &plain(),
            || {
                iam.delete_role_policy()
                    .role_name(role)
                    .policy_name(policy)
                    .send()
            },
        )
        .await,
    )
}

// ---------------------------------------------------------------------------------------
// Read

/// Every role, for `Description` and `MaxSessionDuration` (GAAD does not return them).
pub(super) async fn list(iam: &Client) -> anyhow::Result<Vec<Role>> {
    let call = |marker| {
        iam.list_roles()
            .max_items(MAX_ITEMS)
            .set_marker(marker)
            .send()
    };
    list_all("IAM ListRoles", &RetryOptions::default(), call, |out| {
        out.roles().to_vec()
    })
    .await
}

/// One role by name (one created between GAAD and ListRoles).
pub(super) async fn get(iam: &Client, name: &str) -> anyhow::Result<Option<Role>> {
    Ok(object::get::<IamRole>(iam, name, &RetryOptions::default()).await?)
}

/// A role as GAAD returns it (`rd`) with the two fields ListRoles adds (`role`), as its
/// piece and `meta`.
pub(super) fn piece(rd: &RoleDetail, role: Option<&Role>) -> Piece {
    let piece = RenderedKind::Role {
        name: rd.role_name().unwrap_or_default().to_string(),
        path: rd.path().unwrap_or("/").to_string(),
        description: role.and_then(|r| r.description()).unwrap_or("").to_string(),
        arn: rd.arn().unwrap_or_default().to_string(),
        max_session_duration: role
            .and_then(|r| r.max_session_duration())
            .map(i64::from)
            .unwrap_or(3600),
        permissions_boundary: rd
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(String::from),
        tags: tag_map(rd.tags()),
        trust_policy: document(rd.assume_role_policy_document()),
        policies: rd
            .attached_managed_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(String::from))
            .collect(),
        inline_policies: rd
            .role_policy_list()
            .iter()
            .filter_map(|p| Some((p.policy_name()?.to_string(), document(p.policy_document()))))
            .collect(),
    };
    let mut meta = BTreeMap::from([
        ("role_id".to_string(), json!(rd.role_id())),
        ("create_date".to_string(), date(rd.create_date())),
        (
            "instance_profiles".to_string(),
            json!(rd
                .instance_profile_list()
                .iter()
                .map(|p| p.instance_profile_name())
                .collect::<Vec<_>>()),
        ),
    ]);
    meta.extend(applied_of(rd.tags()));
    (piece, meta)
}
