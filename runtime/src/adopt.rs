//! Applying an `import` block: before an importing change runs, every live piece it adopts
//! (its `before`) gets this stack's ownership mark with the calls `eksfed import` makes
//! (`iam::adopt`, `eks::adopt`, `k8s::adopt`). Each re-checks ownership and refuses an object
//! another stack owns; an object already marked for this stack is left as it is.

use crate::state::Connections;
use anyhow::{Context, Result};
use eksfed_compiler::plan::{Change, Plan};
use eksfed_compiler::render::RenderedKind;

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
    match &before.kind {
        RenderedKind::Role { name, .. } => {
            crate::iam::adopt(&conn.aws.iam, stack, kind, name).await?
        }
        RenderedKind::Policy { arn, .. }
        | RenderedKind::OidcProvider { arn, .. }
        | RenderedKind::SamlProvider { arn, .. } => {
            crate::iam::adopt(&conn.aws.iam, stack, kind, arn).await?
        }
        RenderedKind::ServiceAccount {
            cluster,
            manifest,
            pod_identity_association,
        } => {
            if let Some(p) = pod_identity_association {
                let id = format!("{}/{}", p.namespace, p.service_account);
                crate::eks::adopt(&conn.aws.eks, &cluster_name(cluster), stack, kind, &id).await?;
            }
            if !manifest.is_null() {
                let id = format!(
                    "{}/{}",
                    manifest["metadata"]["namespace"].as_str().unwrap_or(""),
                    manifest["metadata"]["name"].as_str().unwrap_or("")
                );
                crate::k8s::adopt(conn.kube(cluster)?, cluster, stack, kind, &id).await?;
            }
        }
        RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } => {
            if let Some(e) = access_entry {
                crate::eks::adopt(
                    &conn.aws.eks,
                    &cluster_name(cluster),
                    stack,
                    kind,
                    &e.principal_arn,
                )
                .await?;
            }
            if let Some(a) = aws_auth {
                crate::k8s::adopt(conn.kube(cluster)?, cluster, stack, kind, a.arn()).await?;
            }
        }
        RenderedKind::RbacBinding { cluster, manifests } => {
            for m in manifests {
                let name = m["metadata"]["name"]
                    .as_str()
                    .context("a binding without a name")?;
                let id = match m["metadata"]["namespace"].as_str() {
                    Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
                    _ => name.to_string(),
                };
                crate::k8s::adopt(conn.kube(cluster)?, cluster, stack, kind, &id).await?;
            }
        }
    }
    Ok(())
}
