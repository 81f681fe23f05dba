//! The apply workflow: plan → (plan and security review shown) → confirm → take the Lease →
//! re-read and re-check → apply → one [`Outcome`]. The CLI hands in an [`Options`] value and a
//! [`Hooks`] implementation for everything it draws or asks (diagnostics, the plan, the
//! confirmation prompt, progress events); nothing comes back to it until the run is over.
//!
//! - [`plan`] (in `plan.rs`): compile (offline first, then with the live facts: account,
//!   issuers), connect, read, diff, the namespace hint; also what `eksfed plan` and
//!   `access --live` use.
//! - [`load_saved_plan`]: a plan file, checked against its configuration (planned again, read
//!   only; `compiler::integrity`).
//! - [`apply`]: the whole flow, for `apply DIR`, `apply FILE` and `destroy`.
//! - [`import`] (in `import.rs`): `eksfed import`.

mod hooks;
mod import;
mod plan;

pub use hooks::{Event, Hooks, PlanInputs, Reading};
pub use import::import;
pub use plan::{
    clusters_of, compile_live, compile_stack, load_saved_plan, plan, shown_diagnostics,
    LiveCompiled, Planned,
};

use crate::apply::{ChangeResult, Outcome as ChangeOutcome, ProgressEvent};
use crate::state;
use anyhow::{bail, Result};
use eksfed_compiler::plan::{Action, ABSENT};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What [`apply`] applies.
#[derive(Clone, Debug)]
pub enum Source {
    /// Plan this stack, show the plan, ask (unless auto-approved), apply.
    Stack(PlanInputs),
    /// A saved plan file, applied only if it is what its configuration gives now (`stack`:
    /// the configuration's directory when it moved). `given`: the inputs apply itself is
    /// given (`--var`, `--var-file`, `EKSFED_VAR_*`, `--account-id`, `--target`; its `dir` is
    /// not read). Unless the plan is signed and `EKSFED_PLAN_KEY` is set, the inputs the plan
    /// records must be these (`plan_key`).
    Saved {
        file: PathBuf,
        stack: Option<PathBuf>,
        given: PlanInputs,
    },
}

/// The options of one apply run.
#[derive(Clone, Debug)]
pub struct Options {
    pub source: Source,
    /// `--auto-approve`: no prompt; a plan that moved while waiting for the lock is made again.
    pub auto_approve: bool,
    /// At most this many changes at once.
    pub parallelism: usize,
    /// How long to wait for another apply's lock.
    pub lock_timeout: Duration,
    /// How long the lock outlives a process that stopped renewing it ([`lock_ttl_from_env`]).
    pub lock_ttl: Duration,
    /// Do not show the plan before asking (`--quiet`).
    pub quiet: bool,
}

/// How one apply run ended; the CLI maps it to an exit code. Errors (a stale or edited saved
/// plan, a lock not obtained, no connection) are the `Err` of [`apply`]: nothing was changed.
#[derive(Debug)]
pub enum Outcome {
    /// The stack has errors (shown through [`Hooks::diagnostic`]); nothing was read or changed.
    NotPlanned,
    /// The plan has nothing to do. `saved`: it was a saved plan.
    NoChanges { saved: bool },
    /// Planned again under the lock: the live state already matches.
    NothingLeft,
    /// The user did not approve.
    Cancelled,
    /// The changes ran.
    Ran(Summary),
}

/// The changes that ran.
#[derive(Debug)]
pub struct Summary {
    /// A `destroy` run.
    pub destroying: bool,
    /// One per change, in plan order.
    pub results: Vec<ChangeResult>,
    /// Done changes that adopted an object (`import` blocks).
    pub imported: usize,
}

impl Summary {
    /// Done changes of this action.
    pub fn count(&self, a: Action) -> usize {
        self.results
            .iter()
            .filter(|r| r.action == a && r.outcome == ChangeOutcome::Done)
            .count()
    }

    /// (address, error) of the changes that failed.
    pub fn failed(&self) -> Vec<(&str, &str)> {
        self.results
            .iter()
            .filter_map(|r| match &r.outcome {
                ChangeOutcome::Failed(e) => Some((r.address.as_str(), e.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Changes not attempted (a dependency failed, or interrupted).
    pub fn skipped(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, ChangeOutcome::Skipped(_)))
            .count()
    }

    /// Every change done.
    pub fn complete(&self) -> bool {
        self.failed().is_empty() && self.skipped() == 0
    }
}

/// How long a lock outlives a process that stopped renewing it (killed): 30 s, or
/// `EKSFED_LOCK_TTL_SECS`. A live apply renews it every third of that.
pub fn lock_ttl_from_env() -> Duration {
    let secs = std::env::var("EKSFED_LOCK_TTL_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30u64);
    Duration::from_secs(secs.max(1))
}

/// The whole flow. Nothing is written before the plan is approved (or auto-approved), the
/// Leases are held and the live state is checked again under them.
pub async fn apply(opts: &Options, hooks: Arc<dyn Hooks>) -> Result<Outcome> {
    let (planned, replan) = match &opts.source {
        Source::Saved { file, stack, given } => (
            load_saved_plan(file, stack.as_deref(), given, opts.quiet, hooks.as_ref()).await?,
            None,
        ),
        Source::Stack(inputs) => match plan(inputs, hooks.as_ref()).await? {
            Some(p) => (p, Some(inputs)),
            None => return Ok(Outcome::NotPlanned),
        },
    };
    let saved = replan.is_none();
    let plan = &planned.plan;
    // A saved plan is shown too: its security review is of what is about to be applied.
    if !opts.quiet {
        hooks.show_plan(plan);
    }
    if !plan.has_changes() {
        return Ok(Outcome::NoChanges { saved });
    }
    if !saved && !opts.auto_approve && !hooks.confirm(plan)? {
        return Ok(Outcome::Cancelled);
    }
    // Locks: one Lease per cluster the stack touches, taken before anything is read again.
    let holder = format!("{}-{}-{:08x}", hostname(), std::process::id(), rand_u32());
    let mut locks = vec![];
    for label in &planned.scope.kube {
        let client = planned.conn.kube(label)?;
        locks.push(
            crate::lease::acquire(
                client,
                &plan.stack,
                &holder,
                opts.lock_ttl,
                opts.lock_timeout,
            )
            .await?,
        );
    }
    hooks.event(Event::Locked {
        clusters: planned.scope.kube.iter().cloned().collect(),
    });
    let destroying = replan.is_some_and(|i| i.destroy);
    let result = match settle_after_lock(planned, opts.auto_approve, replan, hooks.as_ref()).await {
        Ok(Some(p)) => Ok(Outcome::Ran(
            run_locked(&p, opts.parallelism, destroying, &hooks).await,
        )),
        Ok(None) => Ok(Outcome::NothingLeft),
        Err(e) => Err(e),
    };
    let mut failures = vec![];
    for l in locks {
        if let Err(e) = l.release().await {
            failures.push(format!("{e:#}"));
        }
    }
    hooks.event(Event::Unlocked { failures });
    result
}

/// Once the lock is held, the plan must still describe the live state: another apply may
/// have run while we waited. A saved plan (or an interactively approved one) is refused if
/// anything moved; with auto-approve a directory is planned again under the lock (`replan`).
async fn settle_after_lock(
    planned: Planned,
    auto: bool,
    replan: Option<&PlanInputs>,
    hooks: &dyn Hooks,
) -> Result<Option<Planned>> {
    match check_not_stale(&planned, hooks).await {
        Ok(()) => Ok(Some(planned)),
        Err(e) if replan.is_none() || !auto => Err(e),
        Err(_) => {
            let Some(inputs) = replan else {
                return Ok(Some(planned));
            };
            hooks.event(Event::Replanning);
            let Some(fresh) = plan::plan_reading(inputs, hooks, Reading::Replan).await? else {
                bail!("the stack no longer plans cleanly")
            };
            if !inputs.quiet {
                hooks.show_plan(&fresh.plan);
            }
            Ok(fresh.plan.has_changes().then_some(fresh))
        }
    }
}

/// Refuses when any live object the plan read has moved since.
async fn check_not_stale(p: &Planned, hooks: &dyn Hooks) -> Result<()> {
    hooks.event(Event::ReadStarted {
        why: Reading::Recheck,
        scope: &p.scope,
    });
    let live = state::read(
        &p.conn,
        &p.plan.stack,
        &p.plan.account_id,
        &p.scope,
        &p.plan.clusters,
    )
    .await;
    hooks.event(Event::ReadFinished {
        why: Reading::Recheck,
    });
    let live = live?;
    let mut moved = vec![];
    for (key, fp) in &p.plan.read {
        let now = live
            .get(key)
            .map(|o| o.fingerprint.as_str())
            .unwrap_or(ABSENT);
        if now != fp {
            moved.push(key.clone());
        }
    }
    if !moved.is_empty() {
        bail!(
            "the saved plan is stale: {} live object(s) changed since it was made ({}); nothing was changed. Run `eksfed plan` again.",
            moved.len(),
            moved.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

async fn run_locked(
    planned: &Planned,
    parallelism: usize,
    destroying: bool,
    hooks: &Arc<dyn Hooks>,
) -> Summary {
    let plan = &planned.plan;
    let cancel = Arc::new(AtomicBool::new(false));
    // Installed only now (not while planning or asking): until the changes start, Ctrl-C
    // stops the process as usual.
    {
        let (cancel, hooks) = (cancel.clone(), hooks.clone());
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                hooks.event(Event::Interrupted);
                cancel.store(true, Ordering::SeqCst);
            }
        });
    }
    hooks.event(Event::ApplyStarted(plan));
    let progress = {
        let hooks = hooks.clone();
        Arc::new(move |ev: ProgressEvent<'_>| hooks.event(Event::Change(ev)))
    };
    let opts = crate::apply::ApplyOptions {
        parallelism,
        cancel,
        progress,
    };
    let results = crate::apply::apply(plan, Arc::new(planned.conn.clone()), &opts).await;
    hooks.event(Event::ApplyFinished);
    let imported = results
        .iter()
        .filter(|r| r.outcome == ChangeOutcome::Done)
        .filter(|r| {
            plan.changes
                .iter()
                .any(|c| c.address == r.address && c.importing.is_some())
        })
        .count();
    Summary {
        destroying,
        results,
        imported,
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "host".into())
}

fn rand_u32() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    t ^ std::process::id().rotate_left(16)
}
