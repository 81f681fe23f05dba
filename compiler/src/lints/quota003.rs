//! ### What it finds
//! A role whose inline policies together are longer than 10,240 characters, white space not
//! counted.
//!
//! ### Why it matters
//! PutRolePolicy fails with `LimitExceeded` ("Maximum policy size of 10240 bytes exceeded for
//! role") at apply time. IAM user guide, "IAM and AWS STS quotas" (role policy size).
//!
//! ### Fix
//! Move statements into managed policies and attach them.

use crate::diag::Diagnostic;
use crate::iam;
use crate::model::{DesiredState, ResourceKind};

pub const LIMIT: usize = 10240;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        let n: usize = role.inline_policies.values().map(iam::size).sum();
        if n > LIMIT {
            let at = r
                .block
                .blocks_of("inline_policy")
                .next()
                .map(|b| b.span.clone())
                .unwrap_or_else(|| r.block.span.clone());
            out.push(
                Diagnostic::error("QUOTA003", format!("the inline policies of role `{}` total {n} characters (white space not counted); the limit is {LIMIT}", role.name))
                    .at(Some(at))
                    .address(r.address.to_string())
                    .help("move statements into managed policies"),
            );
        }
    }
}
