//! EKS access entries (with their access policy associations) and pod identity associations:
//! reading them into live pieces and applying changes. Ownership is the `eksfed:stack` tag,
//! as for IAM. Principal and type of an access entry are immutable: changing them replaces it.

use crate::error::{CallError, Error};
use crate::filter::keep;
use crate::par::bounded;
use crate::retry::{with_retry, Classify};
use anyhow::{Context, Result};
use aws_sdk_eks::types::{AccessScope, AccessScopeType};
use eksfed_compiler::kinds;
use eksfed_compiler::kinds::access::{normal_groups, normal_namespaces};
use eksfed_compiler::kinds::kind::ObjectKey;
use eksfed_compiler::plan::live::{self, LiveObject};
use eksfed_compiler::plan::rendered::AccessEntry;
use eksfed_compiler::plan::rendered::AccessPolicyAssociation;
use eksfed_compiler::plan::rendered::AccessScope as RScope;
use eksfed_compiler::plan::rendered::PodIdentityAssociation;
use eksfed_compiler::plan::rendered::STACK_TAG;
use eksfed_compiler::plan::{Action, Change};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

type SdkError<E> = aws_sdk_eks::error::SdkError<E, aws_sdk_eks::config::http::HttpResponse>;

/// The typed error of a failed EKS call, named `EKS <what>`.
fn err<E>(what: &str, e: SdkError<E>) -> anyhow::Error
where
    E: aws_sdk_eks::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    call_error(what, Error::from_sdk(&e)).into()
}

fn call_error(what: &str, error: Error) -> CallError {
    CallError::Failed {
        op: format!("EKS {what}"),
        error,
    }
}

/// `Ok(None)` where EKS answers that the object is not, or no longer, there (deleted between
/// a list and a describe; a retried delete whose first response was lost).
fn found<T, E>(what: &str, r: Result<T, SdkError<E>>) -> Result<Option<T>>
where
    E: aws_sdk_eks::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) => match Error::from_sdk(&e) {
            Error::Missing(_) => Ok(None),
            error => Err(call_error(what, error).into()),
        },
    }
}

/// A write that names a role created moments ago, which EKS does not see for a few seconds
/// ([`Error::NotPropagated`]), under the one retry policy (throttling, service failures too).
async fn settle<T, E, F, Fut>(what: &str, f: F) -> Result<T>
where
    E: Classify,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, E>>,
{
    Ok(with_retry(&format!("EKS {what}"), f).await?)
}

fn owner(tags: Option<&HashMap<String, String>>) -> Option<String> {
    tags.and_then(|t| t.get(STACK_TAG)).cloned()
}

/// Requests in flight at once when describing entries and associations one by one.
const CONCURRENCY: usize = 10;

/// Whether a node entry type (EC2, EC2_LINUX, …): EKS assigns its username and groups.
fn is_node_type(entry_type: &str) -> bool {
    entry_type != "STANDARD"
}

/// Reads access entries and pod identity associations of one cluster. Costs: one list page per
/// 100 objects, then one describe (and one policy list for entries) per object, ten at a time.
pub async fn read(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    cluster_name: &str,
    stack: &str,
    wanted: &BTreeSet<ObjectKey>,
) -> Result<Vec<LiveObject>> {
    let principals = match eks
        .list_access_entries()
        .cluster_name(cluster_name)
        .max_results(100)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(p) => p,
        // A cluster whose authentication mode has no API (CONFIG_MAP) has no access entries
        // (EKS answers InvalidRequestException); its pod identity associations are still read.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_invalid_request_exception()) =>
        {
            vec![]
        }
        Err(e) => return Err(err("ListAccessEntries", e)),
    };
    let ctx = ReadCtx::new(eks, cluster, cluster_name, stack, wanted);
    let entries = bounded(principals, CONCURRENCY, |arn| read_entry(ctx.clone(), arn)).await?;
    let associations = read_associations(&ctx).await?;
    Ok(entries.into_iter().flatten().chain(associations).collect())
}

/// Reads only the pod identity associations of one cluster (they exist whatever its
/// authentication mode; access entries need the API in it). One list page per 100, then one
/// describe per association, ten at a time.
pub async fn read_pod_identity_associations(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    cluster_name: &str,
    stack: &str,
    wanted: &BTreeSet<ObjectKey>,
) -> Result<Vec<LiveObject>> {
    read_associations(&ReadCtx::new(eks, cluster, cluster_name, stack, wanted)).await
}

async fn read_associations(ctx: &Arc<ReadCtx>) -> Result<Vec<LiveObject>> {
    let associations = ctx
        .eks
        .list_pod_identity_associations()
        .cluster_name(&ctx.cluster_name)
        .max_results(100)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| err("ListPodIdentityAssociations", e))?;
    let associations = bounded(associations, CONCURRENCY, |a| {
        read_association(ctx.clone(), a)
    })
    .await?;
    Ok(associations.into_iter().flatten().collect())
}

/// What each of the concurrent per-object reads of one cluster needs.
struct ReadCtx {
    eks: aws_sdk_eks::Client,
    cluster: String,
    cluster_name: String,
    stack: String,
    wanted: BTreeSet<ObjectKey>,
}

impl ReadCtx {
    fn new(
        eks: &aws_sdk_eks::Client,
        cluster: &str,
        cluster_name: &str,
        stack: &str,
        wanted: &BTreeSet<ObjectKey>,
    ) -> Arc<ReadCtx> {
        Arc::new(ReadCtx {
            eks: eks.clone(),
            cluster: cluster.to_string(),
            cluster_name: cluster_name.to_string(),
            stack: stack.to_string(),
            wanted: wanted.clone(),
        })
    }
}

/// One access entry with its policy associations, if the stack owns or wants it.
async fn read_entry(ctx: Arc<ReadCtx>, arn: String) -> Result<Option<LiveObject>> {
    let ReadCtx {
        eks,
        cluster,
        cluster_name,
        stack,
        wanted,
    } = ctx.as_ref();
    let key = eksfed_compiler::kinds::access::key_access_entry(cluster, &arn);
    let d = eks
        .describe_access_entry()
        .cluster_name(cluster_name.as_str())
        .principal_arn(&arn)
        .send()
        .await;
    let Some(entry) = found("DescribeAccessEntry", d)?.and_then(|d| d.access_entry) else {
        return Ok(None);
    };
    let own = owner(entry.tags());
    if !keep(&own, stack, &key, wanted) {
        return Ok(None);
    }
    let associated = eks
        .list_associated_access_policies()
        .cluster_name(cluster_name.as_str())
        .principal_arn(&arn)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| err("ListAssociatedAccessPolicies", e))?;
    let policies = associated
        .iter()
        .map(|p| {
            let scope = p.access_scope();
            AccessPolicyAssociation {
                policy_arn: p.policy_arn().unwrap_or_default().to_string(),
                access_scope: RScope {
                    scope_type: scope
                        .and_then(|s| s.r#type())
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_else(|| "cluster".into()),
                    namespaces: scope.map(|s| s.namespaces().to_vec()).unwrap_or_default(),
                },
            }
        })
        .collect();
    let entry_type = entry.r#type().unwrap_or("STANDARD").to_string();
    // A node entry's username and groups are EKS's (`system:node:…`, `system:nodes`), not
    // the stack's: they are not compared, as the stack cannot set them.
    let node = is_node_type(&entry_type);
    let piece = live::access_entry_piece(
        cluster,
        AccessEntry {
            principal_arn: arn.clone(),
            username: entry.username().filter(|_| !node).map(String::from),
            kubernetes_groups: if node {
                vec![]
            } else {
                entry.kubernetes_groups().to_vec()
            },
            entry_type,
            access_policies: policies,
        },
    );
    let mut meta = BTreeMap::new();
    if let Some(a) = entry.access_entry_arn() {
        meta.insert("access_entry_arn".into(), serde_json::json!(a));
    }
    Ok(Some(live::live_object(key, own, piece, meta)))
}

/// One pod identity association, if the stack owns or wants it.
async fn read_association(
    ctx: Arc<ReadCtx>,
    summary: aws_sdk_eks::types::PodIdentityAssociationSummary,
) -> Result<Option<LiveObject>> {
    let ReadCtx {
        eks,
        cluster,
        cluster_name,
        stack,
        wanted,
    } = ctx.as_ref();
    let (Some(id), Some(ns), Some(sa)) = (
        summary.association_id(),
        summary.namespace(),
        summary.service_account(),
    ) else {
        return Ok(None);
    };
    let key = eksfed_compiler::kinds::service_account::key_pod_identity(cluster, ns, sa);
    let d = eks
        .describe_pod_identity_association()
        .cluster_name(cluster_name.as_str())
        .association_id(id)
        .send()
        .await;
    let Some(a) = found("DescribePodIdentityAssociation", d)?.and_then(|d| d.association) else {
        return Ok(None);
    };
    let own = owner(a.tags());
    if !keep(&own, stack, &key, wanted) {
        return Ok(None);
    }
    let piece = live::pod_identity_piece(
        cluster,
        PodIdentityAssociation {
            cluster_name: cluster_name.clone(),
            namespace: ns.to_string(),
            service_account: sa.to_string(),
            role_arn: a.role_arn().unwrap_or_default().to_string(),
        },
    );
    let mut meta = BTreeMap::new();
    meta.insert("association_id".into(), serde_json::json!(id));
    if let Some(arn) = a.association_arn() {
        meta.insert("association_arn".into(), serde_json::json!(arn));
    }
    Ok(Some(live::live_object(key, own, piece, meta)))
}

fn entry_of(k: &Option<eksfed_compiler::plan::rendered::RenderedResource>) -> Option<&AccessEntry> {
    k.as_ref().and_then(|r| kinds::parts(&r.kind).access_entry)
}

fn association_of(
    k: &Option<eksfed_compiler::plan::rendered::RenderedResource>,
) -> Option<&PodIdentityAssociation> {
    k.as_ref().and_then(|r| kinds::parts(&r.kind).pod_identity)
}

fn stack_tags(stack: &str) -> HashMap<String, String> {
    HashMap::from([(STACK_TAG.to_string(), stack.to_string())])
}

fn scope(p: &AccessPolicyAssociation) -> AccessScope {
    let t = if p.access_scope.scope_type == "namespace" {
        AccessScopeType::Namespace
    } else {
        AccessScopeType::Cluster
    };
    AccessScope::builder()
        .r#type(t)
        .set_namespaces(
            (!p.access_scope.namespaces.is_empty()).then(|| p.access_scope.namespaces.clone()),
        )
        .build()
}

/// Whether the access entry for `arn` exists; an error when it exists and another stack (or
/// nobody) owns it.
async fn owned_entry(
    eks: &aws_sdk_eks::Client,
    cluster_name: &str,
    arn: &str,
    stack: &str,
) -> Result<bool> {
    let d = eks
        .describe_access_entry()
        .cluster_name(cluster_name)
        .principal_arn(arn)
        .send()
        .await;
    let Some(d) = found("DescribeAccessEntry", d)? else {
        return Ok(false);
    };
    let own = d.access_entry().and_then(|e| owner(e.tags()));
    if own.as_deref() != Some(stack) {
        anyhow::bail!("the access entry for {arn} is not owned by stack `{stack}` (owner: {}); not changing it", own.unwrap_or_else(|| "none".into()));
    }
    Ok(true)
}

async fn apply_entry(
    eks: &aws_sdk_eks::Client,
    cluster_name: &str,
    stack: &str,
    action: Action,
    before: Option<&AccessEntry>,
    after: Option<&AccessEntry>,
) -> Result<()> {
    let delete = |arn: String| async move {
        // Already gone (a retried delete whose first response was lost): nothing to do.
        if owned_entry(eks, cluster_name, &arn, stack).await? {
            let d = eks
                .delete_access_entry()
                .cluster_name(cluster_name)
                .principal_arn(&arn)
                .send()
                .await;
            found("DeleteAccessEntry", d)?;
        }
        Ok::<_, anyhow::Error>(())
    };
    // AssociateAccessPolicy also replaces the scope of an existing association.
    let associate = |principal: String, p: AccessPolicyAssociation| async move {
        eks.associate_access_policy()
            .cluster_name(cluster_name)
            .principal_arn(&principal)
            .policy_arn(&p.policy_arn)
            .access_scope(scope(&p))
            .send()
            .await
            .map_err(|x| err("AssociateAccessPolicy", x))?;
        Ok::<_, anyhow::Error>(())
    };
    let create = |entry: AccessEntry| async move {
        let node = is_node_type(&entry.entry_type);
        let created = settle("CreateAccessEntry", || async {
            eks.create_access_entry()
                .cluster_name(cluster_name)
                .principal_arn(&entry.principal_arn)
                // EKS assigns a node entry's username and groups and refuses them here.
                .set_kubernetes_groups(
                    (!node && !entry.kubernetes_groups.is_empty())
                        .then(|| entry.kubernetes_groups.clone()),
                )
                .set_username(entry.username.clone().filter(|_| !node))
                .r#type(&entry.entry_type)
                .set_tags(Some(stack_tags(stack)))
                .send()
                .await
        })
        .await;
        if let Err(failure) = created {
            // A try whose response was lost may have created it already: if the entry is
            // there and ours, carry on as if this create had answered.
            let ours = crate::error::of(&failure).is_some_and(Error::is_conflict)
                && owned_entry(eks, cluster_name, &entry.principal_arn, stack)
                    .await
                    .unwrap_or(false);
            if !ours {
                return Err(failure);
            }
        }
        for p in &entry.access_policies {
            associate(entry.principal_arn.clone(), p.clone()).await?;
        }
        Ok::<_, anyhow::Error>(())
    };
    match (action, before, after) {
        (Action::Delete, Some(b), _) => delete(b.principal_arn.clone()).await,
        (_, Some(b), None) => delete(b.principal_arn.clone()).await,
        (_, None, Some(a)) => create(a.clone()).await,
        (Action::Replace, Some(b), Some(a)) => {
            delete(b.principal_arn.clone()).await?;
            create(a.clone()).await
        }
        (_, Some(b), Some(a)) => {
            if !owned_entry(eks, cluster_name, &a.principal_arn, stack).await? {
                anyhow::bail!(
                    "the access entry for {} is gone since the plan was made; plan again",
                    a.principal_arn
                );
            }
            let identity_differs = normal_groups(&b.kubernetes_groups)
                != normal_groups(&a.kubernetes_groups)
                || (a.username.is_some() && a.username != b.username);
            // A node entry's identity is EKS's; UpdateAccessEntry refuses to change it.
            if identity_differs && !is_node_type(&a.entry_type) {
                eks.update_access_entry()
                    .cluster_name(cluster_name)
                    .principal_arn(&a.principal_arn)
                    .set_kubernetes_groups(Some(a.kubernetes_groups.clone()))
                    .set_username(a.username.clone())
                    .send()
                    .await
                    .map_err(|x| err("UpdateAccessEntry", x))?;
            }
            let have: BTreeMap<&str, &AccessPolicyAssociation> = b
                .access_policies
                .iter()
                .map(|p| (p.policy_arn.as_str(), p))
                .collect();
            for p in &a.access_policies {
                let same = have.get(p.policy_arn.as_str()).is_some_and(|h| {
                    h.access_scope.scope_type == p.access_scope.scope_type
                        && normal_namespaces(&h.access_scope.namespaces)
                            == normal_namespaces(&p.access_scope.namespaces)
                });
                if !same {
                    associate(a.principal_arn.clone(), p.clone()).await?;
                }
            }
            let want: BTreeSet<&str> = a
                .access_policies
                .iter()
                .map(|p| p.policy_arn.as_str())
                .collect();
            for arn in have.keys().filter(|k| !want.contains(*k)) {
                // Already disassociated (a retry whose first response was lost): done.
                let d = eks
                    .disassociate_access_policy()
                    .cluster_name(cluster_name)
                    .principal_arn(&a.principal_arn)
                    .policy_arn(*arn)
                    .send()
                    .await;
                found("DisassociateAccessPolicy", d)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn find_association(
    eks: &aws_sdk_eks::Client,
    cluster_name: &str,
    ns: &str,
    sa: &str,
) -> Result<Option<(String, Option<String>)>> {
    let page = eks
        .list_pod_identity_associations()
        .cluster_name(cluster_name)
        .namespace(ns)
        .service_account(sa)
        .send()
        .await
        .map_err(|e| err("ListPodIdentityAssociations", e))?;
    let Some(id) = page
        .associations()
        .first()
        .and_then(|a| a.association_id())
        .map(String::from)
    else {
        return Ok(None);
    };
    let d = eks
        .describe_pod_identity_association()
        .cluster_name(cluster_name)
        .association_id(&id)
        .send()
        .await
        .map_err(|e| err("DescribePodIdentityAssociation", e))?;
    Ok(Some((id, d.association().and_then(|a| owner(a.tags())))))
}

async fn apply_association(
    eks: &aws_sdk_eks::Client,
    cluster_name: &str,
    stack: &str,
    before: Option<&PodIdentityAssociation>,
    after: Option<&PodIdentityAssociation>,
) -> Result<()> {
    let target = after
        .or(before)
        .ok_or_else(|| anyhow::anyhow!("nothing to do"))?;
    let found = find_association(
        eks,
        cluster_name,
        &target.namespace,
        &target.service_account,
    )
    .await?;
    if let Some((_, own)) = &found {
        if own.as_deref() != Some(stack) {
            anyhow::bail!("the pod identity association for {}/{} is not owned by stack `{stack}`; not changing it", target.namespace, target.service_account);
        }
    }
    match (found, after) {
        (Some((id, _)), None) => {
            eks.delete_pod_identity_association()
                .cluster_name(cluster_name)
                .association_id(&id)
                .send()
                .await
                .map_err(|e| err("DeletePodIdentityAssociation", e))?;
        }
        (Some((id, _)), Some(a)) => {
            if before.map(|b| &b.role_arn) != Some(&a.role_arn) {
                settle("UpdatePodIdentityAssociation", || async {
                    eks.update_pod_identity_association()
                        .cluster_name(cluster_name)
                        .association_id(&id)
                        .role_arn(&a.role_arn)
                        .send()
                        .await
                })
                .await?;
            }
        }
        (None, Some(a)) => {
            let created = settle("CreatePodIdentityAssociation", || async {
                eks.create_pod_identity_association()
                    .cluster_name(cluster_name)
                    .namespace(&a.namespace)
                    .service_account(&a.service_account)
                    .role_arn(&a.role_arn)
                    .set_tags(Some(stack_tags(stack)))
                    .send()
                    .await
            })
            .await;
            if let Err(failure) = created {
                // A try whose response was lost may have created it: if it is there and
                // ours, it only needs the right role.
                if !crate::error::of(&failure).is_some_and(Error::is_conflict) {
                    return Err(failure);
                }
                let found =
                    find_association(eks, cluster_name, &a.namespace, &a.service_account).await?;
                let Some((id, Some(own))) = found else {
                    return Err(failure);
                };
                if own != stack {
                    return Err(failure);
                }
                eks.update_pod_identity_association()
                    .cluster_name(cluster_name)
                    .association_id(&id)
                    .role_arn(&a.role_arn)
                    .send()
                    .await
                    .map_err(|e| err("UpdatePodIdentityAssociation", e))?;
            }
        }
        (None, None) => {}
    }
    Ok(())
}

/// Applies the EKS side of a change: the access entry of an `access`, the pod identity
/// association of a `service_account`.
pub async fn apply(
    eks: &aws_sdk_eks::Client,
    _cluster: &str,
    cluster_name: &str,
    stack: &str,
    change: &Change,
) -> Result<()> {
    let after = if change.action == Action::Delete {
        None
    } else {
        change.after.clone()
    };
    // By the parts the change's pieces are made of, never by its kind's name.
    let (eb, ea) = (entry_of(&change.before), entry_of(&after));
    if eb.is_some() || ea.is_some() {
        return apply_entry(eks, cluster_name, stack, change.action, eb, ea).await;
    }
    let (b, a) = (association_of(&change.before), association_of(&after));
    if b.is_none() && a.is_none() {
        return Ok(());
    }
    if change.action == Action::Replace {
        // Each half only where there is something on that side.
        if b.is_some() {
            apply_association(eks, cluster_name, stack, b, None).await?;
        }
        if a.is_some() {
            apply_association(eks, cluster_name, stack, None, a).await?;
        }
        return Ok(());
    }
    apply_association(eks, cluster_name, stack, b, a).await
}

/// An EKS object `eksfed import` marks as owned.
pub enum EksObject<'a> {
    /// An access entry, by its principal ARN.
    AccessEntry { principal_arn: &'a str },
    /// A pod identity association, by the service account it is for.
    PodIdentity {
        namespace: &'a str,
        service_account: &'a str,
    },
}

/// `eksfed import`: tag an access entry or a pod identity association as owned by the stack.
pub async fn adopt(
    eks: &aws_sdk_eks::Client,
    cluster_name: &str,
    stack: &str,
    object: EksObject<'_>,
) -> Result<()> {
    let arn = match object {
        EksObject::AccessEntry { principal_arn: id } => {
            let d = eks
                .describe_access_entry()
                .cluster_name(cluster_name)
                .principal_arn(id)
                .send()
                .await
                .map_err(|e| err("DescribeAccessEntry", e))?;
            let e = d.access_entry().context("no access entry")?;
            if let Some(o) = owner(e.tags()).filter(|o| o != stack) {
                anyhow::bail!("the access entry for {id} is owned by stack `{o}`");
            }
            e.access_entry_arn()
                .context("the access entry has no ARN")?
                .to_string()
        }
        EksObject::PodIdentity {
            namespace: ns,
            service_account: sa,
        } => {
            let (aid, own) = find_association(eks, cluster_name, ns, sa)
                .await?
                .context("no pod identity association for that service account")?;
            if let Some(o) = own.filter(|o| o != stack) {
                anyhow::bail!("the association is owned by stack `{o}`");
            }
            let d = eks
                .describe_pod_identity_association()
                .cluster_name(cluster_name)
                .association_id(&aid)
                .send()
                .await
                .map_err(|e| err("DescribePodIdentityAssociation", e))?;
            d.association()
                .and_then(|a| a.association_arn())
                .context("the association has no ARN")?
                .to_string()
        }
    };
    eks.tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(stack_tags(stack)))
        .send()
        .await
        .map_err(|e| err("TagResource", e))?;
    Ok(())
}
