//! `eksfed generate`, the reading part: the whole account's IAM (in bulk, as plan reads it)
//! and one cluster (DescribeCluster, the Kubernetes API through a kubeconfig context, the EKS
//! access-entry and pod identity APIs where the cluster's authentication mode has the API) as
//! a [`Snapshot`] for [`eksfed_compiler::output::generate::generate`].
//!
//! Requests grow with pages, not with roles: IAM costs what [`crate::iam`] documents (GAAD and
//! ListRoles pages of 1,000, one ListPolicyTags per customer managed policy, one Get per
//! provider), Kubernetes one LIST per kind plus two GETs of `aws-auth`, EKS one list page per
//! 100 objects and one describe per entry or association.

use crate::aws::AwsClients;
use crate::filter::ALL;
use anyhow::{Context, Result};
use eksfed_compiler::output::generate::{cluster_label, ClusterFacts, Snapshot};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use std::collections::{BTreeMap, BTreeSet};

/// What `eksfed generate` was asked for.
pub struct Request<'a> {
    pub cluster: &'a str,
    pub stack: &'a str,
    pub region: &'a str,
    pub kube_context: Option<&'a str>,
}

/// Reads everything the generator looks at.
pub async fn snapshot(aws: &AwsClients, req: &Request<'_>) -> Result<Snapshot> {
    let who =
        aws.sts.get_caller_identity().send().await.map_err(|e| {
            anyhow::anyhow!("STS GetCallerIdentity: {}", crate::error::describe(&e))
        })?;
    let account_id = who
        .account()
        .context("STS GetCallerIdentity returned no account")?
        .to_string();
    let partition = who
        .arn()
        .and_then(|a| a.split(':').nth(1))
        .unwrap_or("aws")
        .to_string();
    let d = aws
        .eks
        .describe_cluster()
        .name(req.cluster)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "EKS DescribeCluster {}: {}",
                req.cluster,
                crate::error::describe(&e)
            )
        })?;
    let c = d
        .cluster()
        .with_context(|| format!("EKS DescribeCluster {} returned no cluster", req.cluster))?;
    let issuer = c
        .identity()
        .and_then(|i| i.oidc())
        .and_then(|o| o.issuer())
        .with_context(|| format!("cluster {} has no OIDC issuer", req.cluster))?
        .to_string();
    let authentication_mode = c
        .access_config()
        .and_then(|a| a.authentication_mode())
        .map(|m| m.as_str().to_string());
    let facts = ClusterFacts {
        name: req.cluster.to_string(),
        region: req.region.to_string(),
        issuer,
        authentication_mode: authentication_mode.clone(),
        kube_context: req.kube_context.map(String::from),
    };
    let label = cluster_label(req.cluster);
    let all: BTreeSet<String> = [ALL.to_string()].into();

    let mut objects = crate::iam::read(&aws.iam, req.stack, &all)
        .await
        .context("reading IAM")?;
    let kube = crate::state::kube_client(req.kube_context).await?;
    objects.extend(
        crate::k8s::read(&kube, &label, req.stack, &all)
            .await
            .with_context(|| format!("reading cluster {} (Kubernetes)", req.cluster))?,
    );
    let aws_auth_owners = aws_auth_owners(&kube).await?;
    let mode = eksfed_compiler::output::generate::access_mode(authentication_mode.as_deref());
    if mode != "aws_auth" {
        objects.extend(
            crate::eks::read(&aws.eks, &label, req.cluster, req.stack, &all)
                .await
                .with_context(|| format!("reading cluster {} (EKS)", req.cluster))?,
        );
    } else {
        // Pod identity associations exist whatever the authentication mode (access entries
        // need the API in it); an endpoint without the API (or no permission to list them)
        // means there are none to generate.
        if let Ok(more) = crate::eks::read_pod_identity_associations(
            &aws.eks,
            &label,
            req.cluster,
            req.stack,
            &all,
        )
        .await
        {
            objects.extend(more);
        }
    }
    Ok(Snapshot {
        stack: req.stack.to_string(),
        account_id,
        partition,
        cluster: facts,
        objects,
        aws_auth_owners,
    })
}

/// `aws-auth` entry ARN → the eksfed stack whose ownership annotation lists it.
async fn aws_auth_owners(kube: &kube::Client) -> Result<BTreeMap<String, String>> {
    let cm = Api::<ConfigMap>::namespaced(kube.clone(), "kube-system")
        .get_opt("aws-auth")
        .await
        .map_err(|e| anyhow::anyhow!("Kubernetes get aws-auth: {e}"))?;
    let mut out = BTreeMap::new();
    let Some(cm) = cm else { return Ok(out) };
    for (k, v) in cm.metadata.annotations.unwrap_or_default() {
        let Some(stack) = k.strip_prefix("eksfed.io/aws-auth.") else {
            continue;
        };
        for arn in serde_json::from_str::<Vec<String>>(&v).unwrap_or_default() {
            out.insert(arn, stack.to_string());
        }
    }
    Ok(out)
}
