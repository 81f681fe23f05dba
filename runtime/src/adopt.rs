//! Applying an `import` block: before an importing change runs, every live piece it adopts
//! (its `before`) gets this stack's ownership mark with the calls `eksfed import` makes
//! (`iam::adopt`, `eks::adopt`, `k8s::adopt`). Each re-checks ownership and refuses an object
//! another stack owns; an object already marked for this stack is left as it is.

use crate::eks::EksObject;
use crate::k8s::KubeObject;
use crate::state::Connections;
use anyhow::{Context, Result};
use eksfed_compiler::kinds;
use eksfed_compiler::plan::{Change, Plan};

/// Marks the live pieces an importing change adopts. Nothing for other changes.
pub async fn mark(plan: &Plan, conn: &Connections, c: &Change) -> Result<()> {
    if c.importing.is_none() {
        return Ok(());
    }
    let stack = plan.stack.as_str();
    let Some(before) = &c.before else {
        anyhow::bail!("{}: nothing live to import", c.address);
    };
    let kind = c.kind.as_str();
    let cluster_name = |label: &str| {
        plan.clusters
            .get(label)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| label.to_string())
    };
    let piece = &before.kind;
    let parts = kinds::parts(piece);
    if parts.iam {
        let id = kinds::of(piece).import_id(piece);
        crate::iam::adopt(&conn.aws.iam, stack, kind, &id).await?;
    }
    let Some(cluster) = piece.cluster() else {
        return Ok(());
    };
    // EKS first, as apply does.
    if let Some(p) = parts.pod_identity {
        let object = EksObject::PodIdentity {
            namespace: &p.namespace,
            service_account: &p.service_account,
        };
        crate::eks::adopt(&conn.aws.eks, &cluster_name(cluster), stack, object).await?;
    }
    if let Some(e) = parts.access_entry {
        let object = EksObject::AccessEntry {
            principal_arn: &e.principal_arn,
        };
        crate::eks::adopt(&conn.aws.eks, &cluster_name(cluster), stack, object).await?;
    }
    for m in parts.manifests {
        let object = KubeObject::Manifest {
            kind: m["kind"].as_str().context("a manifest without a kind")?,
            namespace: m["metadata"]["namespace"]
                .as_str()
                .filter(|ns| !ns.is_empty()),
            name: m["metadata"]["name"]
                .as_str()
                .context("a manifest without a name")?,
        };
        crate::k8s::adopt(conn.kube(cluster)?, stack, object).await?;
    }
    if let Some(a) = parts.aws_auth {
        let object = KubeObject::AwsAuthEntry { arn: a.arn() };
        crate::k8s::adopt(conn.kube(cluster)?, stack, object).await?;
    }
    Ok(())
}
