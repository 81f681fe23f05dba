//! ### What it finds
//! A customer managed policy document longer than 6,144 characters, white space not counted.
//!
//! ### Why it matters
//! CreatePolicy / CreatePolicyVersion fail with `LimitExceeded` at apply time. IAM user guide,
//! "IAM and AWS STS quotas" (managed policy size, not raisable).
//!
//! ### Fix
//! Split the statements over several policies (a role can have 10 attached, 20 with a quota
//! raise), or use wildcards inside ARNs to shorten resource lists.

use crate::diag::Diagnostic;
use crate::iam;
use crate::model::{DesiredState, ResourceKind};

pub const LIMIT: usize = 6144;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Policy(p) = &r.kind else {
            continue;
        };
        let n = iam::size(&p.document);
        if n > LIMIT {
            out.push(
                Diagnostic::error("QUOTA002", format!("policy `{}` is {n} characters (white space not counted); managed policies are limited to {LIMIT}", p.name))
                    .at(Some(r.block.span.clone()))
                    .address(r.address.to_string())
                    .help("split it into several policies"),
            );
        }
    }
}
