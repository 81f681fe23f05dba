//! What the workflow is given and what it tells: the inputs of a plan, and the [`Hooks`] the
//! CLI (or a test) implements to draw, ask and follow progress.

use crate::apply::ProgressEvent;
use crate::state::Scope;
use anyhow::Result;
use eksfed_compiler::plan::Plan;
use eksfed_compiler::{desired::compile::VarInputs, diag::Diagnostic, diag::SourceMap};
use std::path::PathBuf;

/// A stack directory and the inputs it is planned with.
#[derive(Clone, Debug, Default)]
pub struct PlanInputs {
    pub dir: PathBuf,
    pub vars: VarInputs,
    /// `--target` addresses, as given.
    pub targets: Vec<String>,
    /// `--account-id`, when the stack does not set one.
    pub account_id: Option<String>,
    /// Plan the deletion of everything the stack owns (`destroy`).
    pub destroy: bool,
    /// Report only errors: no warnings, no notes (`--quiet`).
    pub quiet: bool,
    /// Read only files git tracks in the workspace (`--untrusted`).
    pub untrusted: bool,
}

/// Why the live state is being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Making the plan.
    Plan,
    /// Planning a saved plan's configuration again, to check the file.
    SavedPlanCheck,
    /// Under the lock: has anything the plan read moved?
    Recheck,
    /// Under the lock, after it moved (auto-approve): planning again.
    Replan,
}

/// What happens while the workflow runs, in order. The CLI draws them (spinner, progress
/// display, messages); tests record them.
pub enum Event<'a> {
    ReadStarted {
        why: Reading,
        scope: &'a Scope,
    },
    ReadFinished {
        why: Reading,
    },
    /// Something worth saying that is not a diagnostic (without the `note: ` prefix).
    Note(String),
    /// The stack's Lease is held in every cluster it touches (none: no cluster).
    Locked {
        clusters: Vec<String>,
    },
    /// The live state moved while waiting for the lock; planning again (auto-approve).
    Replanning,
    /// The changes start; `Change` events follow, then `ApplyFinished`.
    ApplyStarted(&'a Plan),
    Change(ProgressEvent<'a>),
    ApplyFinished,
    /// Ctrl-C: the changes in flight finish, no new ones start.
    Interrupted,
    /// The Leases were released (or their release failed, `failures`).
    Unlocked {
        failures: Vec<String>,
    },
}

/// Everything the workflow shows or asks. Called from the workflow's task, and `event` also
/// from the tasks that apply changes (hence `Send + Sync`).
pub trait Hooks: Send + Sync {
    /// One diagnostic to show (already filtered: allowed ones and, when quiet, warnings left
    /// out).
    fn diagnostic(&self, sources: &SourceMap, d: &Diagnostic);
    /// The plan (with its security review) before confirmation, or after planning again
    /// under the lock.
    fn show_plan(&self, plan: &Plan);
    /// Whether the user approves the plan.
    fn confirm(&self, plan: &Plan) -> Result<bool>;
    fn event(&self, ev: Event<'_>);
}
