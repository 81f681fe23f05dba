//! ### What it finds
//! A role whose inline policies together are longer than 10,240 characters, white space not
//! counted. The finding points at the largest inline policy and lists the size of each.
//!
//! ### Why it matters
//! PutRolePolicy fails with `LimitExceeded` ("Maximum policy size of 10240 bytes exceeded for
//! role") at apply time. IAM user guide, "IAM and AWS STS quotas" (`reference_iam-quotas`:
//! role policy size, the sum of all inline policies, not raisable).
//!
//! ### Fix
//! Move statements into managed policies and attach them.

use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::Diagnostic;
use crate::iam;

pub const LIMIT: usize = 10240;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        let sizes: Vec<(&String, usize)> = role
            .inline_policies
            .iter()
            .map(|(k, d)| (k, iam::size(d)))
            .collect();
        let n: usize = sizes.iter().map(|(_, s)| s).sum();
        if n > LIMIT {
            // Point at the largest inline policy: the first one to split or move.
            // `max_by_key` keeps the last of equals; reversed, the first declared wins a tie.
            let largest = sizes
                .iter()
                .rev()
                .max_by_key(|(_, s)| *s)
                .map(|(k, _)| k.as_str());
            let at = r
                .block
                .blocks_of("inline_policy")
                .find(|b| b.labels.first().map(String::as_str) == largest)
                .map(|b| b.span.clone())
                .unwrap_or_else(|| r.block.span.clone());
            let parts: Vec<String> = sizes.iter().map(|(k, s)| format!("`{k}` {s}")).collect();
            out.push(
                Diagnostic::error("QUOTA003", format!("the inline policies of role `{}` total {n} characters ({}), white space not counted; a role's inline policies may have {LIMIT} together", role.name, parts.join(", ")))
                    .at(Some(at))
                    .address(r.address.to_string())
                    .help("move statements into managed policies and attach them with `policies`"),
            );
        }
    }
}
