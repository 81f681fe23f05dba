//! The CLI's side of the runtime's workflow (`eksfed_runtime::workflow`): [`CliHooks`] draws
//! what it shows (diagnostics on stderr, the plan, the spinner and progress display of
//! `progress.rs`, messages) and asks for confirmation on stdin; [`exit_code`] prints how an
//! apply ended and gives the process exit code.

use crate::cli::Common;
use crate::progress::{ApplyDisplay, Hook, Reading};
use anyhow::Result;
use eksfed_compiler::plan::{Action, Plan};
use eksfed_compiler::{diag::Diagnostic, diag::SourceMap};
use eksfed_runtime::workflow::{self, Event, Hooks, Outcome};
use std::io::Write;
use std::sync::{Mutex, MutexGuard};

/// Terminal drawing and prompting for one command.
pub struct CliHooks {
    common: Common,
    color: bool,
    reading: Mutex<Option<Reading>>,
    display: Mutex<Option<ApplyDisplay>>,
    progress: Mutex<Option<Hook>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl CliHooks {
    /// `color`: whether the plan is drawn in colour.
    pub fn new(common: &Common, color: bool) -> CliHooks {
        CliHooks {
            common: common.clone(),
            color,
            reading: Mutex::new(None),
            display: Mutex::new(None),
            progress: Mutex::new(None),
        }
    }
}

impl Hooks for CliHooks {
    fn diagnostic(&self, sources: &SourceMap, d: &Diagnostic) {
        eprint!("{}", sources.render(d));
    }

    fn show_plan(&self, plan: &Plan) {
        print!(
            "{}",
            eksfed_compiler::output::report::text(plan, self.color)
        );
    }

    fn confirm(&self, plan: &Plan) -> Result<bool> {
        print!("\nDo you want to perform these actions on stack `{}`?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", plan.stack);
        std::io::stdout().flush()?;
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim() == "yes")
    }

    fn event(&self, ev: Event<'_>) {
        match ev {
            // The saved plan's check reads quietly, as the rest of that check.
            Event::ReadStarted { why, scope } if why != workflow::Reading::SavedPlanCheck => {
                *lock(&self.reading) = Some(Reading::start(
                    crate::progress::reading_what(scope),
                    &self.common,
                ));
            }
            Event::ReadStarted { .. } => {}
            Event::ReadFinished { .. } => drop(lock(&self.reading).take()),
            Event::Note(n) => eprintln!("note: {n}"),
            Event::Replanning => {
                println!("The live state changed while waiting for the lock; planning again.")
            }
            Event::ApplyStarted(plan) => {
                let display = ApplyDisplay::new(plan, &self.common);
                *lock(&self.progress) = Some(display.hook());
                *lock(&self.display) = Some(display);
            }
            Event::Change(p) => {
                let hook = lock(&self.progress).clone();
                if let Some(h) = hook {
                    h(p);
                }
            }
            Event::ApplyFinished => {
                if let Some(d) = lock(&self.display).take() {
                    d.finish();
                }
                *lock(&self.progress) = None;
            }
            Event::Interrupted => eprintln!(
                "\nInterrupt received: finishing the changes in flight, starting no new ones."
            ),
            Event::Unlocked { failures } => {
                for e in failures {
                    eprintln!("warning: could not release the lock: {e}");
                }
            }
            Event::Locked { .. } => {}
        }
    }
}

/// Prints how an apply or destroy ended; the exit code.
pub fn exit_code(outcome: &Outcome) -> u8 {
    let s = match outcome {
        Outcome::NotPlanned => return 1,
        Outcome::Cancelled => {
            println!("Apply cancelled.");
            return 1;
        }
        Outcome::NoChanges { saved } => {
            if *saved {
                println!("No changes. The saved plan has nothing to apply.");
            }
            return 0;
        }
        Outcome::NothingLeft => return 0,
        Outcome::Ran(s) => s,
    };
    let summary = format!(
        "Resources: {}{} added, {} changed, {} replaced, {} destroyed.",
        match s.imported {
            0 => String::new(),
            n => format!("{n} imported, "),
        },
        s.count(Action::Create),
        s.count(Action::Update),
        s.count(Action::Replace),
        s.count(Action::Delete)
    );
    let verb = if s.destroying { "Destroy" } else { "Apply" };
    if s.complete() {
        println!("\n{verb} complete! {summary}");
        return 0;
    }
    let failed = s.failed();
    println!(
        "\n{verb} incomplete: {} failed, {} not attempted. {summary}",
        failed.len(),
        s.skipped()
    );
    for (address, e) in failed {
        println!("  {address}: {e}");
    }
    println!("Nothing else was changed. Fix the cause and run apply again: it converges from where this stopped.");
    1
}
