//! ### What it finds
//! A role with more managed policies attached than the quota: 10 by default; raise it with
//! `stack { managed_policies_per_role = 20 }` after raising the quota in Service Quotas (20
//! is the most AWS allows).
//!
//! ### Why it matters
//! AttachRolePolicy fails with `LimitExceeded` at apply time, after part of the role was
//! written. IAM user guide, "IAM and AWS STS quotas" (`reference_iam-quotas`: managed
//! policies attached to an IAM role). The same ARN listed twice counts once.
//!
//! ### Fix
//! Combine policies, or raise the quota and `managed_policies_per_role`.

use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::Diagnostic;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    let limit = desired.stack.managed_policies_per_role;
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        let mut distinct = role.policies.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() > limit {
            out.push(
                Diagnostic::error("QUOTA004", format!("role `{}` attaches {} managed policies; the limit is {limit}", role.name, distinct.len()))
                    .at(Some(r.block.span_of("policies")))
                    .address(r.address.to_string())
                    .help(if limit < 20 {
                        "combine policies, or raise the quota (Service Quotas, up to 20) and stack { managed_policies_per_role = 20 }"
                    } else {
                        "combine policies into fewer, larger ones"
                    }),
            );
        }
    }
}
