//! What apply and destroy show while they run, drawn from the runtime's progress events
//! (`eksfed_runtime::apply::ProgressEvent`). On a terminal: a live display (done/total, the
//! changes in flight, elapsed), each completion and failure printed above it as it happens;
//! and a spinner while the live state is read. With `--no-color`, `NO_COLOR`, `CI=true`,
//! `--quiet` or no terminal: the plain lines, one per start and end of a change.

use crate::cli::Common;
use eksfed_compiler::plan::{Action, Plan};
use eksfed_runtime::apply::{Outcome, ProgressEvent};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub type Hook = Arc<dyn Fn(ProgressEvent<'_>) + Send + Sync>;

/// Whether the live display is drawn: a terminal, and nothing asking for plain output.
fn live(common: &Common, terminal: bool) -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    terminal && !common.no_color && !common.quiet && std::env::var_os("NO_COLOR").is_none() && !ci
}

fn past(a: Action) -> &'static str {
    match a {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::NoOp => "imported", // only importing no-ops are applied
    }
}

fn doing(a: Action) -> &'static str {
    match a {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Replace => "replacing",
        Action::Delete => "deleting",
        Action::NoOp => "importing",
    }
}

/// The line printed when a change ends (both displays); `None` for what --quiet hides.
fn finished_line(
    r: &eksfed_runtime::apply::ChangeResult,
    quiet: bool,
    shown: &Shown,
) -> Option<String> {
    let address = shown.of(&r.address);
    match &r.outcome {
        Outcome::Done if !quiet => Some(format!(
            "{address}: {} [{:.1}s]",
            past(r.action),
            r.elapsed.as_secs_f64()
        )),
        Outcome::Failed(e) => Some(format!("{address}: FAILED: {e}")),
        Outcome::Skipped(why) if !quiet => Some(format!("{address}: skipped ({why})")),
        _ => None,
    }
}

/// Addresses as the plan shows them (a sensitive `for_each` key redacted).
#[derive(Clone)]
struct Shown(Arc<std::collections::BTreeMap<String, String>>);

impl Shown {
    fn of_plan(plan: &Plan) -> Shown {
        Shown(Arc::new(
            plan.changes
                .iter()
                .map(|c| {
                    let shown = eksfed_compiler::desired::sensitive::shown_address(
                        &c.address,
                        &c.sensitive,
                    );
                    (c.address.clone(), shown)
                })
                .collect(),
        ))
    }

    fn of(&self, address: &str) -> String {
        self.0
            .get(address)
            .cloned()
            .unwrap_or_else(|| address.to_string())
    }
}

/// The display of one apply run.
pub struct ApplyDisplay {
    bar: Option<ProgressBar>,
    hook: Hook,
}

impl ApplyDisplay {
    pub fn new(plan: &Plan, common: &Common) -> ApplyDisplay {
        let quiet = common.quiet;
        let shown = Shown::of_plan(plan);
        if !live(common, std::io::stdout().is_terminal()) {
            let hook: Hook = Arc::new(move |ev| match ev {
                ProgressEvent::Started(c) if !quiet => {
                    println!("{}: {}...", shown.of(&c.address), doing(c.action))
                }
                ProgressEvent::Finished(r) => {
                    if let Some(line) = finished_line(r, quiet, &shown) {
                        println!("{line}")
                    }
                }
                _ => {}
            });
            return ApplyDisplay { bar: None, hook };
        }
        let total = plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .count() as u64;
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stdout());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed}] [{bar:24}] {pos}/{len} done, {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message("starting");
        bar.enable_steady_tick(Duration::from_millis(120));
        let in_flight: Arc<Mutex<Vec<String>>> = Arc::default();
        let b = bar.clone();
        let hook: Hook = Arc::new(move |ev| {
            let mut flying = in_flight.lock().unwrap_or_else(|e| e.into_inner());
            match ev {
                ProgressEvent::Started(c) => flying.push(shown.of(&c.address)),
                ProgressEvent::Finished(r) => {
                    let address = shown.of(&r.address);
                    flying.retain(|a| a != &address);
                    b.inc(1);
                    b.set_message(in_flight_message(&flying));
                    if let Some(line) = finished_line(r, false, &shown) {
                        b.println(line);
                    }
                    return;
                }
            }
            b.set_message(in_flight_message(&flying));
        });
        ApplyDisplay {
            bar: Some(bar),
            hook,
        }
    }

    pub fn hook(&self) -> Hook {
        self.hook.clone()
    }

    /// Leaves the final count on screen (the summary follows it).
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_with_message(format!("in {:.1}s", b.elapsed().as_secs_f64()));
        }
    }
}

fn in_flight_message(flying: &[String]) -> String {
    match flying {
        [] => "0 in flight".into(),
        [a] => format!("1 in flight: {a}"),
        [a, b] => format!("2 in flight: {a}, {b}"),
        [a, b, ..] => format!("{} in flight: {a}, {b}, ...", flying.len()),
    }
}

/// What a live-state read covers, for the spinner: "... of 300 objects: IAM, Kubernetes in 2
/// clusters".
pub fn reading_what(scope: &eksfed_runtime::state::Scope) -> String {
    let mut parts = vec![];
    if scope.iam {
        parts.push("IAM".to_string());
    }
    let n = |k: usize| {
        if k == 1 {
            "1 cluster".to_string()
        } else {
            format!("{k} clusters")
        }
    };
    if !scope.kube.is_empty() {
        parts.push(format!("Kubernetes in {}", n(scope.kube.len())));
    }
    if !scope.eks.is_empty() {
        parts.push(format!("EKS in {}", n(scope.eks.len())));
    }
    format!(
        "Reading the live state of {} objects: {}",
        scope.wanted.len(),
        parts.join(", ")
    )
}

/// A spinner on stderr saying what is being read, while it is read; nothing off a terminal.
pub struct Reading(Option<ProgressBar>);

impl Reading {
    pub fn start(what: impl Into<String>, common: &Common) -> Reading {
        if !live(common, std::io::stderr().is_terminal()) {
            return Reading(None);
        }
        let s = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        s.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        s.set_message(what.into());
        s.enable_steady_tick(Duration::from_millis(120));
        Reading(Some(s))
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        if let Some(s) = &self.0 {
            s.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_names_at_most_two() {
        assert_eq!(in_flight_message(&[]), "0 in flight");
        let v: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(in_flight_message(&v), "3 in flight: a, b, ...");
    }
}
