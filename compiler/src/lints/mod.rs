//! Security lints and AWS quota checks: one rule per file, each with a stable code. A rule's
//! documentation is the `//!` comment at the top of its file ("What it finds", "Why it
//! matters", with its public source); `eksfed explain CODE` and `eksfed lints` print it, and
//! `docs/lints.md` is generated from it.

use crate::diag::{Diagnostic, Severity};
use crate::model::DesiredState;

mod eks002;

pub struct Rule {
    pub code: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The source file of the rule; its leading `//!` lines are the documentation.
    source: &'static str,
    pub check: fn(&DesiredState, &mut Vec<Diagnostic>),
}

impl Rule {
    /// The rule's documentation, taken from its file's `//!` comment.
    pub fn doc(&self) -> String {
        self.source
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| {
                l.trim_start_matches("//!")
                    .strip_prefix(' ')
                    .unwrap_or(l.trim_start_matches("//!"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

macro_rules! rule {
    ($module:ident, $code:literal, $sev:ident, $summary:literal) => {
        Rule {
            code: $code,
            severity: Severity::$sev,
            summary: $summary,
            source: include_str!(concat!(stringify!($module), ".rs")),
            check: $module::check,
        }
    };
}

pub const RULES: &[Rule] = &[rule!(
    eks002,
    "EKS002",
    Error,
    "a service_account whose role does not trust it"
)];

pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code))
}

/// Markdown for all rules (docs/lints.md).
pub fn markdown() -> String {
    let mut s = String::from("# eksfed lints\n\nGenerated from the rule files under `compiler/src/lints/` by `eksfed lints --format markdown`; do not edit by hand.\n\n| code | severity | finds |\n| --- | --- | --- |\n");
    for r in RULES {
        s.push_str(&format!(
            "| [{}](#{}) | {} | {} |\n",
            r.code,
            r.code.to_lowercase(),
            sev(r.severity),
            r.summary
        ));
    }
    for r in RULES {
        s.push_str(&format!(
            "\n## {}\n\n*{}* — {}\n\n{}\n",
            r.code,
            sev(r.severity),
            r.summary,
            r.doc()
        ));
    }
    s
}

fn sev(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}
