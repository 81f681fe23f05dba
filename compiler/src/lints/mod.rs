//! Security lints and AWS quota checks: one rule per file, each with a stable code. A rule's
//! documentation is the `//!` comment at the top of its file ("What it finds", "Why it
//! matters", with its public source); `eksfed explain CODE` and `eksfed lints` print it, and
//! `docs/lints.md` is generated from it.

pub mod check;

use crate::desired::model::DesiredState;
use crate::diag::{Diagnostic, Severity};

mod eks001;
mod eks002;
mod eks003;
mod eks004;
mod eks005;
mod iam001;
mod iam002;
mod iam003;
mod iam004;
mod iam005;
mod iam006;
mod iam007;
mod iam008;
mod iam009;
mod quota001;
mod quota002;
mod quota003;
mod quota004;
mod quota005;
mod quota006;
mod trust001;
mod trust002;
mod trust003;
mod trust004;
mod util;

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

pub const RULES: &[Rule] = &[
    rule!(
        eks001,
        "EKS001",
        Error,
        "an IRSA/OIDC trust whose subject is not pinned to exact service accounts"
    ),
    rule!(
        eks002,
        "EKS002",
        Error,
        "a service_account whose role does not trust it"
    ),
    rule!(
        eks003,
        "EKS003",
        Warning,
        "an access mapped to the group system:masters"
    ),
    rule!(
        eks004,
        "EKS004",
        Error,
        "an access-entry username with a reserved prefix"
    ),
    rule!(
        eks005,
        "EKS005",
        Warning,
        "an rbac_binding to the cluster role cluster-admin"
    ),
    rule!(
        iam001,
        "IAM001",
        Warning,
        "an Allow statement with action *"
    ),
    rule!(
        iam002,
        "IAM002",
        Warning,
        "an Allow statement with resource * and a write or permissions-management action"
    ),
    rule!(
        iam003,
        "IAM003",
        Warning,
        "iam:PassRole allowed on resource * without an iam:PassedToService condition"
    ),
    rule!(
        iam004,
        "IAM004",
        Warning,
        "a privilege-escalation action allowed"
    ),
    rule!(
        iam005,
        "IAM005",
        Warning,
        "AdministratorAccess or IAMFullAccess attached to a role"
    ),
    rule!(
        iam006,
        "IAM006",
        Warning,
        "an Allow statement using not_actions or not_resources"
    ),
    rule!(
        iam007,
        "IAM007",
        Error,
        "two statements with the same sid in one document"
    ),
    rule!(
        iam008,
        "IAM008",
        Error,
        "an action that is not service:Action shaped"
    ),
    rule!(
        iam009,
        "IAM009",
        Error,
        "a resource that is neither * nor an ARN"
    ),
    rule!(
        trust001,
        "TRUST001",
        Error,
        "a GitHub Actions trust_oidc with no sub condition, or one matching every repository (* or repo:*)"
    ),
    rule!(
        trust002,
        "TRUST002",
        Warning,
        "a trust_oidc with no aud condition"
    ),
    rule!(
        trust003,
        "TRUST003",
        Error,
        "a trust_oidc condition key naming another issuer than its provider"
    ),
    rule!(
        trust004,
        "TRUST004",
        Error,
        "a trust_aws on the principal * with no condition"
    ),
    rule!(
        quota001,
        "QUOTA001",
        Error,
        "a trust policy over its size quota (2,048 characters by default)"
    ),
    rule!(
        quota002,
        "QUOTA002",
        Error,
        "a managed policy document over 6,144 characters"
    ),
    rule!(
        quota003,
        "QUOTA003",
        Error,
        "a role's inline policies together over 10,240 characters"
    ),
    rule!(
        quota004,
        "QUOTA004",
        Error,
        "more managed policies on one role than the quota (10 by default)"
    ),
    rule!(
        quota005,
        "QUOTA005",
        Error,
        "a name or field over its IAM limit"
    ),
    rule!(
        quota006,
        "QUOTA006",
        Error,
        "OIDC provider client ids or thumbprints over the limits, or two providers with one URL"
    ),
];

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
