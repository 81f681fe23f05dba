//! Reading IAM: the whole account's roles and customer managed policies in a few
//! `GetAccountAuthorizationDetails` pages, plus the providers one by one (there are few).

use super::common::{applied_of, arn_name, date, document, owner_of, tag_map, CONCURRENCY};
use super::object::{self, IamObject};
use super::oidc_provider::OidcProvider;
use super::page::{list_all, paginate, Page, MAX_ITEMS};
use super::role::IamRole;
use super::saml_provider::SamlProvider;
use crate::error::CallError;
use crate::filter::keep;
use crate::par::bounded;
use crate::retry::{with_retry, RetryOptions};
use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, Role, RoleDetail, Tag};
use aws_sdk_iam::Client;
use eksfed_compiler::live::{
    key_oidc, key_policy, key_role, key_saml, live_object, LiveObject, ObjectKey,
};
use eksfed_compiler::render::RenderedKind;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
        list_roles(iam),
        read_oidc(iam, stack, wanted),
        read_saml(iam, stack, wanted)
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
                fallback = get_role(iam, name).await?;
                fallback.as_ref()
            }
        };
        let (piece, meta) = role_piece(rd, role);
        out.push(live_object(key, owner, piece, meta));
    }

    let arns: Vec<String> = policies
        .iter()
        .filter_map(|p| p.arn().map(String::from))
        .collect();
    let tags = policy_tags(iam, arns).await?;
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
        let (piece, meta) = policy_piece(p, tags);
        out.push(live_object(key, owner, piece, meta));
    }
    out.extend(oidc);
    out.extend(saml);
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

/// Every role, for `Description` and `MaxSessionDuration` (GAAD does not return them).
async fn list_roles(iam: &Client) -> anyhow::Result<Vec<Role>> {
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

async fn get_role(iam: &Client, name: &str) -> anyhow::Result<Option<Role>> {
    Ok(object::get::<IamRole>(iam, name, &RetryOptions::default()).await?)
}

fn role_piece(rd: &RoleDetail, role: Option<&Role>) -> (RenderedKind, BTreeMap<String, Json>) {
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

fn policy_piece(p: &ManagedPolicyDetail, tags: &[Tag]) -> (RenderedKind, BTreeMap<String, Json>) {
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

/// Tags of each policy (`None`: deleted since it was listed), 10 requests at a time.
async fn policy_tags(
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

async fn read_oidc(
    iam: &Client,
    stack: &str,
    wanted: &BTreeSet<ObjectKey>,
) -> anyhow::Result<Vec<LiveObject>> {
    let list = with_retry("IAM ListOpenIDConnectProviders", || {
        iam.list_open_id_connect_providers().send()
    })
    .await?;
    let arns: Vec<String> = list
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(String::from))
        .collect();
    let mut out = vec![];
    for (arn, p) in get_each::<OidcProvider>(iam, arns).await? {
        let owner = owner_of(p.tags());
        let key = key_oidc(&arn);
        if !keep(&owner, stack, &key, wanted) {
            continue;
        }
        // IAM returns the URL without its scheme; the stack writes it with `https://`.
        let url = p.url().unwrap_or_default();
        let url = if url.starts_with("https://") {
            url.to_string()
        } else {
            format!("https://{url}")
        };
        let piece = RenderedKind::OidcProvider {
            arn: arn.clone(),
            url,
            client_ids: p.client_id_list().to_vec(),
            thumbprints: Some(p.thumbprint_list().to_vec()),
            tags: tag_map(p.tags()),
        };
        let meta = BTreeMap::from([("create_date".to_string(), date(p.create_date()))]);
        out.push(live_object(key, owner, piece, meta));
    }
    Ok(out)
}

async fn read_saml(
    iam: &Client,
    stack: &str,
    wanted: &BTreeSet<ObjectKey>,
) -> anyhow::Result<Vec<LiveObject>> {
    let list = with_retry("IAM ListSAMLProviders", || iam.list_saml_providers().send()).await?;
    let arns: Vec<String> = list
        .saml_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(String::from))
        .collect();
    let mut out = vec![];
    for (arn, p) in get_each::<SamlProvider>(iam, arns).await? {
        let owner = owner_of(p.tags());
        let key = key_saml(&arn);
        if !keep(&owner, stack, &key, wanted) {
            continue;
        }
        let piece = RenderedKind::SamlProvider {
            arn: arn.clone(),
            name: arn_name(&arn).to_string(),
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
        out.push(live_object(key, owner, piece, meta));
    }
    Ok(out)
}
