//! Executing a plan: changes in the plan's dependency order, independent ones concurrently
//! (up to `parallelism`), a failure stopping only what depends on it. Apply orders its work
//! from the plan alone; it never reads configuration.

use crate::state::Connections;
use eksfed_compiler::kinds::{self, kind::Parts};
use eksfed_compiler::plan::{Action, Change, Plan};
use std::collections::{HashMap, VecDeque};
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
    /// Called when a change starts (holds one of the `parallelism` slots) and when it ends
    /// (progress display).
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

/// One change against the live systems.
pub async fn apply_change(plan: &Plan, conn: &Connections, c: &Change) -> anyhow::Result<()> {
    let stack = plan.stack.as_str();
    // An `import` block: the ownership mark first, then the update (if any).
    crate::adopt::mark(plan, conn, c).await?;
    if c.action == Action::NoOp {
        return Ok(());
    }
    let sides = |f: fn(&Parts<'_>) -> bool| {
        c.after
            .iter()
            .chain(c.before.iter())
            .any(|r| f(&kinds::parts(&r.kind)))
    };
    if sides(|p| p.iam) {
        return crate::iam::apply(&conn.aws.iam, stack, c).await;
    }
    let cluster = cluster_of(c).ok_or_else(|| anyhow::anyhow!("{}: no cluster", c.address))?;
    let name = plan
        .clusters
        .get(&cluster)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| cluster.clone());
    // EKS first: during a move from aws-auth to access entries the new entry exists
    // before the ConfigMap entry goes, so the principal never loses access.
    if sides(|p| p.eks()) {
        crate::eks::apply(&conn.aws.eks, &cluster, &name, stack, c).await?;
    }
    if sides(|p| p.kube()) {
        crate::k8s::apply(
            conn.kube(&cluster)?,
            &cluster,
            stack,
            c,
            plan.create_namespaces
                .contains(&c.address)
                .then_some(conn.namespaces.as_ref()),
        )
        .await?;
    }
    Ok(())
}

/// Runs every change that is not a no-op (an importing no-op runs: it adds the mark). Returns one result per change, in plan order.
///
/// Scheduling is linear in changes + edges: each change counts its unfinished dependencies
/// and is queued when the count reaches zero; a dependency that did not complete marks its
/// dependents skipped without running them.
pub async fn apply(plan: &Plan, conn: Arc<Connections>, opts: &ApplyOptions) -> Vec<ChangeResult> {
    let todo: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.importing.is_some())
        .collect();
    let index: HashMap<&str, usize> = todo
        .iter()
        .enumerate()
        .map(|(i, c)| (c.address.as_str(), i))
        .collect();
    let mut remaining: Vec<usize> = vec![0; todo.len()];
    let mut dependents: Vec<Vec<usize>> = vec![vec![]; todo.len()];
    for (i, c) in todo.iter().enumerate() {
        let mut deps: Vec<usize> = c
            .depends_on
            .iter()
            .filter_map(|d| index.get(d.as_str()).copied())
            .filter(|d| *d != i)
            .collect();
        deps.sort_unstable();
        deps.dedup();
        remaining[i] = deps.len();
        for d in deps {
            dependents[d].push(i);
        }
    }
    let mut ready: VecDeque<usize> = (0..todo.len()).filter(|i| remaining[*i] == 0).collect();
    let mut failed_dep: Vec<Option<String>> = vec![None; todo.len()];
    let mut results: Vec<Option<ChangeResult>> = vec![None; todo.len()];
    let sem = Arc::new(Semaphore::new(opts.parallelism.max(1)));
    let plan_arc = Arc::new(plan.clone());
    let mut running = tokio::task::JoinSet::new();
    let mut task_of: HashMap<tokio::task::Id, usize> = HashMap::new();
    // Records a result and releases the change's dependents.
    let finish = |i: usize,
                  r: ChangeResult,
                  results: &mut Vec<Option<ChangeResult>>,
                  remaining: &mut Vec<usize>,
                  failed_dep: &mut Vec<Option<String>>,
                  ready: &mut VecDeque<usize>| {
        let done = r.outcome == Outcome::Done;
        results[i] = Some(r);
        for &d in &dependents[i] {
            if !done && failed_dep[d].is_none() {
                failed_dep[d] = Some(todo[i].address.clone());
            }
            remaining[d] -= 1;
            if remaining[d] == 0 {
                ready.push_back(d);
            }
        }
    };
    loop {
        while let Some(i) = ready.pop_front() {
            let c = todo[i];
            let skip = match (&failed_dep[i], opts.cancel.load(Ordering::SeqCst)) {
                (Some(f), _) => Some(format!("{f} did not complete")),
                (None, true) => Some("interrupted".to_string()),
                _ => None,
            };
            if let Some(why) = skip {
                let r = ChangeResult {
                    address: c.address.clone(),
                    action: c.action,
                    outcome: Outcome::Skipped(why),
                    elapsed: Duration::ZERO,
                };
                (opts.progress)(ProgressEvent::Finished(&r));
                finish(
                    i,
                    r,
                    &mut results,
                    &mut remaining,
                    &mut failed_dep,
                    &mut ready,
                );
                continue;
            }
            let (sem, plan, conn, change) =
                (sem.clone(), plan_arc.clone(), conn.clone(), c.clone());
            let progress = opts.progress.clone();
            let handle = running.spawn(async move {
                let _permit = sem.acquire_owned().await;
                // Started once it holds a slot: what is in flight is what runs.
                progress(ProgressEvent::Started(&change));
                let start = Instant::now();
                let r = apply_change(&plan, &conn, &change).await;
                (r, start.elapsed())
            });
            task_of.insert(handle.id(), i);
        }
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let (i, outcome, elapsed) = match joined {
            Ok((id, (r, elapsed))) => (
                task_of.remove(&id),
                r.map_err(|e| format!("{e:#}")),
                elapsed,
            ),
            Err(e) => (
                task_of.remove(&e.id()),
                Err(format!("the change's task failed: {e}")),
                Duration::ZERO,
            ),
        };
        let Some(i) = i else { continue };
        let outcome = match outcome {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Failed(e),
        };
        let r = ChangeResult {
            address: todo[i].address.clone(),
            action: todo[i].action,
            outcome,
            elapsed,
        };
        (opts.progress)(ProgressEvent::Finished(&r));
        finish(
            i,
            r,
            &mut results,
            &mut remaining,
            &mut failed_dep,
            &mut ready,
        );
    }
    // Whatever never became ready is reported too.
    todo.iter()
        .zip(results)
        .map(|(c, r)| {
            r.unwrap_or_else(|| ChangeResult {
                address: c.address.clone(),
                action: c.action,
                outcome: Outcome::Skipped("not attempted".into()),
                elapsed: Duration::ZERO,
            })
        })
        .collect()
}
