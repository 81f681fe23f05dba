//! Applying an `import` block: before an importing change runs, every live piece it adopts
//! (its `before`) gets this stack's ownership mark with the calls `eksfed import` makes
//! (`iam::adopt`, `eks::adopt`, `k8s::adopt`). Each re-checks ownership and refuses an object
//! another stack owns; an object already marked for this stack is left as it is.

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
        let id = format!("{}/{}", p.namespace, p.service_account);
        crate::eks::adopt(&conn.aws.eks, &cluster_name(cluster), stack, kind, &id).await?;
    }
    if let Some(e) = parts.access_entry {
        let name = cluster_name(cluster);
        crate::eks::adopt(&conn.aws.eks, &name, stack, kind, &e.principal_arn).await?;
    }
    for m in parts.manifests {
        let name = m["metadata"]["name"]
            .as_str()
            .context("a manifest without a name")?;
        let id = match m["metadata"]["namespace"].as_str() {
            Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
            _ => name.to_string(),
        };
        crate::k8s::adopt(conn.kube(cluster)?, cluster, stack, kind, &id).await?;
    }
    if let Some(a) = parts.aws_auth {
        crate::k8s::adopt(conn.kube(cluster)?, cluster, stack, kind, a.arn()).await?;
    }
    Ok(())
}
