//! Executing a plan: changes in the plan's dependency order, independent ones concurrently
//! (up to `parallelism`), a failure stopping only what depends on it. Apply orders its work
//! from the plan alone; it never reads configuration.

use crate::state::Connections;
use eksfed_compiler::plan::{Action, Change, Plan};
use eksfed_compiler::render::RenderedKind;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done,
    Failed(String),
    /// Not attempted: a dependency failed, or the run was interrupted.
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct ChangeResult {
    pub address: String,
    pub action: Action,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

pub struct ApplyOptions {
    pub parallelism: usize,
    /// Set (e.g. by Ctrl-C) to stop launching new changes.
    pub cancel: Arc<AtomicBool>,
    /// Called when a change starts and when it ends (progress display).
    pub progress: Arc<dyn Fn(ProgressEvent<'_>) + Send + Sync>,
}

pub enum ProgressEvent<'a> {
    Started(&'a Change),
    Finished(&'a ChangeResult),
}

fn cluster_of(c: &Change) -> Option<String> {
    c.after
        .as_ref()
        .or(c.before.as_ref())
        .and_then(|r| r.kind.cluster().map(String::from))
}

fn is_kube_side(k: &RenderedKind) -> bool {
    match k {
        RenderedKind::ServiceAccount { manifest, .. } => !manifest.is_null(),
        RenderedKind::Access { aws_auth, .. } => aws_auth.is_some(),
        RenderedKind::RbacBinding { .. } => true,
        _ => false,
    }
}

fn is_eks_side(k: &RenderedKind) -> bool {
    match k {
        RenderedKind::ServiceAccount {
            pod_identity_association,
            ..
        } => pod_identity_association.is_some(),
        RenderedKind::Access { access_entry, .. } => access_entry.is_some(),
        _ => false,
    }
}

/// One change against the live systems.
pub async fn apply_change(plan: &Plan, conn: &Connections, c: &Change) -> anyhow::Result<()> {
    let stack = plan.stack.as_str();
    match c.kind.as_str() {
        "oidc_provider" | "saml_provider" | "policy" | "role" => {
            crate::iam::apply(&conn.aws.iam, stack, c).await
        }
        _ => {
            let cluster =
                cluster_of(c).ok_or_else(|| anyhow::anyhow!("{}: no cluster", c.address))?;
            let name = plan
                .clusters
                .get(&cluster)
                .map(|t| t.name.clone())
                .unwrap_or_else(|| cluster.clone());
            let sides = |f: fn(&RenderedKind) -> bool| {
                c.after.iter().chain(c.before.iter()).any(|r| f(&r.kind))
            };
            // EKS first: during a move from aws-auth to access entries the new entry exists
            // before the ConfigMap entry goes, so the principal never loses access.
            if sides(is_eks_side) {
                crate::eks::apply(&conn.aws.eks, &cluster, &name, stack, c).await?;
            }
            if sides(is_kube_side) {
                crate::k8s::apply(
                    conn.kube(&cluster)?,
                    &cluster,
                    stack,
                    c,
                    plan.create_namespaces.contains(&c.address),
                )
                .await?;
            }
            Ok(())
        }
    }
}

/// Runs every change that is not a no-op. Returns one result per change, in plan order.
pub async fn apply(plan: &Plan, conn: Arc<Connections>, opts: &ApplyOptions) -> Vec<ChangeResult> {
    let todo: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let in_plan: BTreeSet<&str> = todo.iter().map(|c| c.address.as_str()).collect();
    let sem = Arc::new(Semaphore::new(opts.parallelism.max(1)));
    let mut results: BTreeMap<String, ChangeResult> = BTreeMap::new();
    let mut pending: Vec<&Change> = todo.clone();
    let mut running = tokio::task::JoinSet::new();
    let plan_arc = Arc::new(plan.clone());
    loop {
        // Launch every change whose dependencies are done.
        let mut still = vec![];
        for c in pending.drain(..) {
            let deps: Vec<&str> = c
                .depends_on
                .iter()
                .map(String::as_str)
                .filter(|d| in_plan.contains(d))
                .collect();
            if let Some(failed) = deps
                .iter()
                .find(|d| results.get(**d).is_some_and(|r| r.outcome != Outcome::Done))
            {
                let r = ChangeResult {
                    address: c.address.clone(),
                    action: c.action,
                    outcome: Outcome::Skipped(format!("{failed} did not complete")),
                    elapsed: Duration::ZERO,
                };
                (opts.progress)(ProgressEvent::Finished(&r));
                results.insert(c.address.clone(), r);
                continue;
            }
            if opts.cancel.load(Ordering::SeqCst) {
                let r = ChangeResult {
                    address: c.address.clone(),
                    action: c.action,
                    outcome: Outcome::Skipped("interrupted".into()),
                    elapsed: Duration::ZERO,
                };
                results.insert(c.address.clone(), r);
                continue;
            }
            if deps
                .iter()
                .all(|d| results.get(*d).is_some_and(|r| r.outcome == Outcome::Done))
            {
                (opts.progress)(ProgressEvent::Started(c));
                let (sem, plan, conn, change) =
                    (sem.clone(), plan_arc.clone(), conn.clone(), c.clone());
                running.spawn(async move {
                    let _permit = sem.acquire_owned().await;
                    let start = Instant::now();
                    let r = apply_change(&plan, &conn, &change).await;
                    (change, r, start.elapsed())
                });
            } else {
                still.push(c);
            }
        }
        pending = still;
        if running.is_empty() {
            break;
        }
        if let Some(Ok((change, r, elapsed))) = running.join_next().await {
            let outcome = match r {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Failed(format!("{e:#}")),
            };
            let res = ChangeResult {
                address: change.address.clone(),
                action: change.action,
                outcome,
                elapsed,
            };
            (opts.progress)(ProgressEvent::Finished(&res));
            results.insert(change.address.clone(), res);
        }
    }
    // Whatever never became ready (its dependencies were interrupted or lost) is reported too.
    todo.iter()
        .map(|c| {
            results.remove(&c.address).unwrap_or_else(|| ChangeResult {
                address: c.address.clone(),
                action: c.action,
                outcome: Outcome::Skipped("not attempted".into()),
                elapsed: Duration::ZERO,
            })
        })
        .collect()
}
