//! Writing IAM: one [`Change`] at a time, with the fewest calls that turn `before` (the live
//! piece the plan read) into `after`. Every write goes through [`crate::retry`]; every write
//! to an existing object is preceded by a Get that re-checks the ownership tag.

use super::common::{compact, ec, gone_is_done, non_empty, owner_of, plain};
use super::object::{self, owned, sdk_tags, tag_pairs, IamPolicy, IamRole, OidcProvider};
use super::object::{retag, SamlProvider};
use super::page::list_all;
use crate::retry::with_retry_opts;
use anyhow::Context as _;
use aws_sdk_iam::types::PolicyVersion;
use aws_sdk_iam::Client;
use eksfed_compiler::iam::canonical;
use eksfed_compiler::plan::{Action, Change};
use eksfed_compiler::render::{RenderedKind, STACK_TAG};
use eksfed_compiler::security::drift::{self, APPLIED_TAG};
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// IAM keeps at most five versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;
/// The default quota of managed policies per role: above it, detach before attaching.
const ATTACHMENT_QUOTA: usize = 10;

/// What deleting an object undid that a replacement must restore.
#[derive(Default)]
struct Undone {
    /// Roles of this stack a policy was detached from.
    roles: Vec<String>,
    /// Instance profiles a role was removed from.
    instance_profiles: Vec<String>,
}

/// Applies one change to an IAM object (`oidc_provider`, `saml_provider`, `policy`, `role`).
pub async fn apply(iam: &Client, stack: &str, change: &Change) -> anyhow::Result<()> {
    if !matches!(
        change.kind.as_str(),
        "oidc_provider" | "saml_provider" | "policy" | "role"
    ) {
        anyhow::bail!(
            "{}: IAM does not apply changes of type `{}`",
            change.address,
            change.kind
        );
    }
    let before = change.before.as_ref().map(|r| &r.kind);
    let after = change.after.as_ref().map(|r| &r.kind);
    for k in before.iter().chain(after.iter()) {
        if k.type_name() != change.kind {
            anyhow::bail!(
                "{}: a `{}` change carries a `{}` object",
                change.address,
                change.kind,
                k.type_name()
            );
        }
    }
    let need = |k: Option<&'_ RenderedKind>, what: &str| -> anyhow::Result<()> {
        match k {
            Some(_) => Ok(()),
            None => Err(anyhow::anyhow!(
                "{}: a {} change needs `{what}`",
                change.address,
                change.action.verb()
            )),
        }
    };
    let result = match (change.action, before, after) {
        (Action::NoOp, _, _) => Ok(()),
        (Action::Create, _, Some(a)) => create(iam, stack, a).await,
        (Action::Update, Some(b), Some(a)) => update(iam, stack, b, a).await,
        (Action::Replace, Some(b), Some(a)) => {
            let undone = delete(iam, stack, b).await?;
            create(iam, stack, a).await?;
            restore(iam, b, a, &undone).await
        }
        (Action::Delete, Some(b), _) => delete(iam, stack, b).await.map(|_| ()),
        (Action::Create, _, None) | (Action::Update | Action::Replace, _, None) => {
            need(after, "after")
        }
        (Action::Update | Action::Replace | Action::Delete, None, _) => need(before, "before"),
    };
    let result = match (result, change.action, after) {
        (Ok(()), Action::Create | Action::Update | Action::Replace, Some(a)) => {
            record_applied(iam, a).await
        }
        (r, ..) => r,
    };
    result.with_context(|| format!("{} ({})", change.address, change.action.verb()))
}

/// Writes the record of this apply on a role or policy (`security::drift`), after every other
/// step succeeded: a failed step leaves the previous record, which cannot mark as drift what
/// this configuration changed. With no room for the tag, an older record is removed.
async fn record_applied(iam: &Client, after: &RenderedKind) -> anyhow::Result<()> {
    let record = drift::record(after);
    match after {
        RenderedKind::Role { name, .. } => {
            object::set_tag::<IamRole>(iam, name, APPLIED_TAG, record).await
        }
        RenderedKind::Policy { arn, .. } => {
            object::set_tag::<IamPolicy>(iam, arn, APPLIED_TAG, record).await
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Create

async fn create(iam: &Client, stack: &str, after: &RenderedKind) -> anyhow::Result<()> {
    match after {
        RenderedKind::Role {
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
        } => {
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
        RenderedKind::Policy {
            name,
            path,
            description,
            document,
            tags,
            ..
        } => {
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
        RenderedKind::OidcProvider {
            url,
            client_ids,
            thumbprints,
            tags,
            ..
        } => {
            let tags = sdk_tags(tags.iter(), stack)?;
            // Thumbprints only when the stack gives some: IAM no longer needs them for most
            // IdPs and fills in its own (FIELD-NOTES pain 4).
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
        RenderedKind::SamlProvider {
            name,
            metadata,
            tags,
            ..
        } => {
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
            let got = object::read_back::<SamlProvider>(iam, &arn).await?;
            let tags = got.as_ref().and_then(|g| g.tags.as_deref());
            if owner_of(tags.unwrap_or_default()).as_deref() != Some(stack) {
                anyhow::bail!(
                    "created the SAML provider {arn}, but the endpoint did not keep its tags (GetSAMLProvider returns {}), so it does not carry {STACK_TAG}={stack}: eksfed will treat it as not owned by this stack and will not change or delete it",
                    match tags { None => "no Tags element".to_string(), Some(t) => format!("{} tags", t.len()) }
                );
            }
            Ok(())
        }
        other => anyhow::bail!("IAM cannot create a {}", other.type_name()),
    }
}

async fn attach(iam: &Client, role: &str, arn: &str) -> anyhow::Result<()> {
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

async fn detach(iam: &Client, role: &str, arn: &str) -> anyhow::Result<()> {
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
// Update

async fn update(
    iam: &Client,
    stack: &str,
    before: &RenderedKind,
    after: &RenderedKind,
) -> anyhow::Result<()> {
    match (before, after) {
        (
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
        ) => {
            if b_name != name {
                anyhow::bail!("cannot rename the role {b_name} to {name} in place");
            }
            owned::<IamRole>(iam, stack, name).await?;
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
            let want = sdk_tags(tags.iter(), stack)?;
            retag::<IamRole>(iam, name, &tag_pairs(b_tags.iter()), &want).await?;
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
        (
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
        ) => {
            if b_arn != arn {
                anyhow::bail!("cannot turn the policy {b_arn} into {arn} in place");
            }
            owned::<IamPolicy>(iam, stack, arn).await?;
            if canonical(b_doc) != canonical(document) {
                new_default_version(iam, arn, &compact(document)?).await?;
            }
            let want = sdk_tags(tags.iter(), stack)?;
            retag::<IamPolicy>(iam, arn, &tag_pairs(b_tags.iter()), &want).await?;
            Ok(())
        }
        (
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
        ) => {
            if b_arn != arn {
                anyhow::bail!("cannot turn the OIDC provider {b_arn} into {arn} in place");
            }
            owned::<OidcProvider>(iam, stack, arn).await?;
            // Thumbprints only when the stack specifies them (FIELD-NOTES pain 4).
            if let Some(want) = thumbprints {
                let norm =
                    |v: &[String]| v.iter().map(|t| t.to_lowercase()).collect::<BTreeSet<_>>();
                if norm(want) != norm(b_thumbs.as_deref().unwrap_or_default()) {
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
            let want = sdk_tags(tags.iter(), stack)?;
            retag::<OidcProvider>(iam, arn, &tag_pairs(b_tags.iter()), &want).await?;
            Ok(())
        }
        (
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
        ) => {
            if b_arn != arn {
                anyhow::bail!("cannot turn the SAML provider {b_arn} into {arn} in place");
            }
            owned::<SamlProvider>(iam, stack, arn).await?;
            if b_meta.trim() != metadata.trim() {
                with_retry_opts(&format!("IAM UpdateSAMLProvider {arn}"), &ec(), || {
                    iam.update_saml_provider()
                        .saml_provider_arn(arn)
                        .saml_metadata_document(metadata)
                        .send()
                })
                .await?;
            }
            let want = sdk_tags(tags.iter(), stack)?;
            retag::<SamlProvider>(iam, arn, &tag_pairs(b_tags.iter()), &want).await?;
            Ok(())
        }
        (b, a) => anyhow::bail!("cannot update a {} into a {}", b.type_name(), a.type_name()),
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
// Delete

async fn delete(iam: &Client, stack: &str, before: &RenderedKind) -> anyhow::Result<Undone> {
    match before {
        RenderedKind::Role { name, .. } => delete_role(iam, stack, name).await,
        RenderedKind::Policy { arn, .. } => delete_policy(iam, stack, arn).await,
        RenderedKind::OidcProvider { arn, .. } => {
            owned::<OidcProvider>(iam, stack, arn).await?;
            object::delete::<OidcProvider>(iam, arn).await?;
            Ok(Undone::default())
        }
        RenderedKind::SamlProvider { arn, .. } => {
            owned::<SamlProvider>(iam, stack, arn).await?;
            object::delete::<SamlProvider>(iam, arn).await?;
            Ok(Undone::default())
        }
        other => anyhow::bail!("IAM cannot delete a {}", other.type_name()),
    }
}

/// Detach every policy, delete every inline policy, leave every instance profile, delete.
/// Read fresh: what was attached by hand since the plan goes too.
async fn delete_role(iam: &Client, stack: &str, name: &str) -> anyhow::Result<Undone> {
    owned::<IamRole>(iam, stack, name).await?;
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
    object::delete::<IamRole>(iam, name).await?;
    Ok(Undone {
        roles: vec![],
        instance_profiles: profiles,
    })
}

/// Detach from this stack's roles (refusing, before any write, when anything else uses the
/// policy), delete the non-default versions, delete.
async fn delete_policy(iam: &Client, stack: &str, arn: &str) -> anyhow::Result<Undone> {
    owned::<IamPolicy>(iam, stack, arn).await?;
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
    object::delete::<IamPolicy>(iam, arn).await?;
    Ok(Undone {
        roles: ours,
        instance_profiles: vec![],
    })
}

/// After a replacement: a policy recreated under the same ARN is attached again to the
/// stack's roles it was detached from (the plan has no change for them); a recreated role
/// goes back into its instance profiles.
async fn restore(
    iam: &Client,
    before: &RenderedKind,
    after: &RenderedKind,
    undone: &Undone,
) -> anyhow::Result<()> {
    match (before, after) {
        (RenderedKind::Policy { arn: b, .. }, RenderedKind::Policy { arn: a, .. }) if a == b => {
            for role in &undone.roles {
                attach(iam, role, a).await?;
            }
        }
        (RenderedKind::Role { .. }, RenderedKind::Role { name, .. }) => {
            for profile in &undone.instance_profiles {
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
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Adopt

/// `eksfed import`: marks an existing object as owned by `stack` (tag `eksfed:stack`).
/// `kind` is `role` (id: name), `policy`, `oidc_provider` or `saml_provider` (id: ARN). An
/// object already carrying this stack's tag is left alone; another stack's is refused.
pub async fn adopt(iam: &Client, stack: &str, kind: &str, id: &str) -> anyhow::Result<()> {
    let mark = sdk_tags(std::iter::empty(), stack)?;
    match kind {
        "role" => object::adopt::<IamRole>(iam, stack, id, &mark).await,
        "policy" => object::adopt::<IamPolicy>(iam, stack, id, &mark).await,
        "oidc_provider" => object::adopt::<OidcProvider>(iam, stack, id, &mark).await,
        "saml_provider" => object::adopt::<SamlProvider>(iam, stack, id, &mark).await,
        other => anyhow::bail!("eksfed import: IAM objects are `role`, `policy`, `oidc_provider` or `saml_provider`, not `{other}`"),
    }
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
