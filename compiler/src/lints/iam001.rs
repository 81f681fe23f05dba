//! ### What it finds
//! An Allow statement of a managed or inline policy whose `actions` include `*` (or `*:*`):
//! every action of every service. (`s3:*` is one service's: IAM002 and IAM004 look at those.)
//!
//! ### Why it matters
//! Full administrative privileges on whatever the resources allow. checkov CKV_AWS_1 /
//! CKV_AWS_62 ("IAM policies that allow full \"*-*\" administrative privileges"), CKV_AWS_49 /
//! CKV_AWS_63 ("no IAM policies documents allow \"*\" as a statement's actions"), trivy
//! AVD-AWS-0057 ("IAM policy should avoid use of wildcards") and IAM Access Analyzer's
//! security warnings flag it.
//!
//! ### Fix
//! List the actions the workload needs, e.g. `["s3:GetObject", "s3:ListBucket"]`.

use super::util::{documents, is_allow};
use crate::desired::model::DesiredState;
use crate::diag::Diagnostic;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        for (i, s) in d.statements().iter().enumerate() {
            if !is_allow(s) {
                continue;
            }
            let actions = s.actions();
            if let Some(j) = actions.iter().position(|a| a == "*" || a == "*:*") {
                out.push(
                    Diagnostic::warning(
                        "IAM001",
                        format!(
                            "{} allows action \"{}\": every action of every service",
                            d.what, actions[j]
                        ),
                    )
                    .at(Some(d.span(i, "actions", Some(j))))
                    .address(d.res.address.to_string())
                    .help("list the actions the workload needs, e.g. [\"s3:GetObject\", \"s3:ListBucket\"]"),
                );
            }
        }
    }
}
