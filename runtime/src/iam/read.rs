//! Reading IAM: the whole account's roles and customer managed policies in a few
//! `GetAccountAuthorizationDetails` pages, plus the providers one by one (there are few).

use super::common::{owner_of, Piece, CONCURRENCY};
use super::object::{self, IamObject};
use super::oidc_provider::{self, OidcProvider};
use super::page::{list_all, MAX_ITEMS};
use super::saml_provider::{self, SamlProvider};
use super::{policy, role};
use crate::filter::keep;
use crate::par::bounded;
use crate::retry::RetryOptions;
use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, Role, RoleDetail};
use aws_sdk_iam::Client;
use eksfed_compiler::kinds::kind::ObjectKey;
use eksfed_compiler::kinds::oidc_provider::key_oidc;
use eksfed_compiler::kinds::policy::key_policy;
use eksfed_compiler::kinds::role::key_role;
use eksfed_compiler::kinds::saml_provider::key_saml;
use eksfed_compiler::plan::live::{live_object, LiveObject};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;

/// Each object named by an ARN, ten requests at a time; those gone since the list are left
/// out.
async fn get_each<K>(iam: &Client, arns: Vec<String>) -> anyhow::Result<Vec<(String, K::Got)>>
where
    K: IamObject + 'static,
    K::Got: 'static,
{
    let got = bounded(arns.clone(), CONCURRENCY, |arn| {
        let iam = iam.clone();
        async move { Ok(object::get::<K>(&iam, &arn, &RetryOptions::default()).await?) }
    })
    .await?;
    Ok(arns
        .into_iter()
        .zip(got)
        .filter_map(|(arn, got)| Some((arn, got?)))
        .collect())
}

/// The live roles, policies and providers owned by `stack` or wanted by it. See the module
/// documentation of `iam.rs` for what it costs.
pub async fn read(
    iam: &Client,
    stack: &str,
    wanted: &BTreeSet<ObjectKey>,
) -> anyhow::Result<Vec<LiveObject>> {
    let (details, listed, oidc, saml) = tokio::try_join!(
        account_details(iam),
        role::list(iam),
        providers::<OidcProvider>(
            iam,
            stack,
            wanted,
            oidc_provider::list(iam),
            key_oidc,
            oidc_provider::piece
        ),
        providers::<SamlProvider>(
            iam,
            stack,
            wanted,
            saml_provider::list(iam),
            key_saml,
            saml_provider::piece
        )
    )?;
    let (roles, policies) = details;
    let listed: HashMap<String, Role> = listed
        .into_iter()
        .map(|r| (r.role_name().to_string(), r))
        .collect();

    let mut out = vec![];
    for rd in &roles {
        let (Some(name), Some(_)) = (rd.role_name(), rd.arn()) else {
            continue;
        };
        let owner = owner_of(rd.tags());
        let key = key_role(name);
        // A role outside the stack that a managed policy of the stack is attached to: the
        // security review names it when the policy grows.
        let attaches_wanted = rd.attached_managed_policies().iter().any(|p| {
            p.policy_arn()
                .is_some_and(|a| wanted.contains(&key_policy(a)))
        });
        if !keep(&owner, stack, &key, wanted) && !attaches_wanted {
            continue;
        }
        // A role created between GAAD and ListRoles: read its two missing fields directly.
        let fallback;
        let role = match listed.get(name) {
            Some(r) => Some(r),
            None => {
                fallback = role::get(iam, name).await?;
                fallback.as_ref()
            }
        };
        let (piece, meta) = role::piece(rd, role);
        out.push(live_object(key, owner, piece, meta));
    }

    let arns: Vec<String> = policies
        .iter()
        .filter_map(|p| p.arn().map(String::from))
        .collect();
    let tags = policy::tags(iam, arns).await?;
    for p in &policies {
        let Some(arn) = p.arn() else { continue };
        // Deleted since GAAD: not there any more.
        let Some(Some(tags)) = tags.get(arn) else {
            continue;
        };
        let owner = owner_of(tags);
        let key = key_policy(arn);
        if !keep(&owner, stack, &key, wanted) {
            continue;
        }
        let (piece, meta) = policy::piece(p, tags);
        out.push(live_object(key, owner, piece, meta));
    }
    out.extend(oidc);
    out.extend(saml);
    Ok(out)
}

/// The providers of the kind `K` that `list` names, read one by one (ten at a time): those
/// the stack owns or wants, as live objects (`key` and `piece` say how for the kind).
async fn providers<K>(
    iam: &Client,
    stack: &str,
    wanted: &BTreeSet<ObjectKey>,
    list: impl Future<Output = anyhow::Result<Vec<String>>>,
    key: fn(&str) -> ObjectKey,
    piece: fn(&str, &K::Got) -> Piece,
) -> anyhow::Result<Vec<LiveObject>>
where
    K: IamObject + 'static,
    K::Got: 'static,
{
    let mut out = vec![];
    for (arn, p) in get_each::<K>(iam, list.await?).await? {
        let owner = owner_of(K::tags(&p).unwrap_or_default());
        let key = key(&arn);
        if !keep(&owner, stack, &key, wanted) {
            continue;
        }
        let (piece, meta) = piece(&arn, &p);
        out.push(live_object(key, owner, piece, meta));
    }
    Ok(out)
}

/// Every role and customer managed policy of the account.
async fn account_details(
    iam: &Client,
) -> anyhow::Result<(Vec<RoleDetail>, Vec<ManagedPolicyDetail>)> {
    enum Detail {
        Role(Box<RoleDetail>),
        Policy(Box<ManagedPolicyDetail>),
    }
    let call = |marker| {
        iam.get_account_authorization_details()
            .filter(EntityType::Role)
            .filter(EntityType::LocalManagedPolicy)
            .max_items(MAX_ITEMS)
            .set_marker(marker)
            .send()
    };
    let op = "IAM GetAccountAuthorizationDetails";
    let items = list_all(op, &RetryOptions::default(), call, |out| {
        let mut items: Vec<Detail> = out
            .role_detail_list()
            .iter()
            .cloned()
            .map(|r| Detail::Role(Box::new(r)))
            .collect();
        items.extend(
            out.policies()
                .iter()
                .cloned()
                .map(|p| Detail::Policy(Box::new(p))),
        );
        items
    })
    .await?;
    let (mut roles, mut policies) = (vec![], vec![]);
    for d in items {
        match d {
            Detail::Role(r) => roles.push(*r),
            Detail::Policy(p) => policies.push(*p),
        }
    }
    Ok((roles, policies))
}
