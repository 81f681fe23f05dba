//! ### What it finds
//! A customer managed policy document longer than 6,144 characters, white space not counted
//! (as IAM counts: the compact JSON, every character but white space). The finding points at
//! `document` when the document is given whole, at the `policy` block otherwise.
//!
//! ### Why it matters
//! CreatePolicy / CreatePolicyVersion fail with `LimitExceeded` at apply time. IAM user guide,
//! "IAM and AWS STS quotas" (`reference_iam-quotas`: managed policy size, not raisable).
//!
//! ### Fix
//! Split the statements over several policies (a role can have 10 attached, 20 with a quota
//! raise), or use wildcards inside ARNs to shorten resource lists.

use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::Diagnostic;
use crate::iam;

pub const LIMIT: usize = 6144;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Policy(p) = &r.kind else {
            continue;
        };
        let n = iam::size(&p.document);
        if n > LIMIT {
            // A document given whole (`document = file(...)`) is pointed at; statement blocks
            // share the blame, so the block's head is.
            let at = if r.block.get("document").is_some() {
                r.block.span_of("document")
            } else {
                r.block.span.clone()
            };
            let statements = iam::statement::raw_statements(&p.document).len();
            out.push(
                Diagnostic::error("QUOTA002", format!("policy `{}` is {n} characters in {statements} statement(s), white space not counted; a managed policy may have {LIMIT}", p.name))
                    .at(Some(at))
                    .address(r.address.to_string())
                    .help("split it into several policies"),
            );
        }
    }
}
