//! ### What it finds
//! `iam:PassRole` (directly or through `iam:*`, `iam:Pass*`, `*`) allowed on resource `*`
//! without an `iam:PassedToService` condition (any operator), in an Allow statement of a managed
//! or inline policy. Points at the action that grants it.
//!
//! ### Why it matters
//! Passing any role to any service lets the holder hand a more privileged role to EC2,
//! Lambda, Glue or CloudFormation and act as it — a classic privilege escalation (Rhino
//! Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", the `iam:PassRole`
//! methods; checkov CKV_AWS_110 "privilege escalation"; trivy AVD-AWS-0342 "IAM Pass Role
//! Filtering"; IAM user guide, "Grant a user permissions to pass a role to an AWS service",
//! which recommends the `iam:PassedToService` condition key).
//!
//! ### Fix
//! Limit `resources` to the roles that may be passed, and add a condition
//! `iam:PassedToService` naming the service.

use super::util::{documents, is_allow, matching};
use crate::desired::model::DesiredState;
use crate::diag::Diagnostic;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        for (i, s) in d.statements().iter().enumerate() {
            if !is_allow(s) || !s.resources().iter().any(|r| r == "*") {
                continue;
            }
            let actions = s.actions();
            let Some(j) = matching(actions, "iam:PassRole") else {
                continue;
            };
            let conditioned = s.condition.iter().flatten().any(|c| {
                c.key
                    .as_ref()
                    .is_some_and(|k| k.eq_ignore_ascii_case("iam:PassedToService"))
            });
            if !conditioned {
                let through = if actions[j].eq_ignore_ascii_case("iam:PassRole") {
                    String::new()
                } else {
                    format!(" (through \"{}\")", actions[j])
                };
                out.push(
                    Diagnostic::warning("IAM003", format!("{} allows iam:PassRole{through} on every role (resource \"*\"), with no iam:PassedToService condition: the holder can hand any role to any service", d.what))
                        .at(Some(d.span(i, "actions", Some(j))))
                        .address(d.res.address.to_string())
                        .help("limit resources to the roles to pass and add condition { test = \"StringEquals\", variable = \"iam:PassedToService\", values = [\"...\"] }"),
                );
            }
        }
    }
}
