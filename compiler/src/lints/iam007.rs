//! ### What it finds
//! Two statements with the same `sid` in one policy document: a managed or inline policy
//! (pointing at the second `sid`, or at `document` when the document is given whole), or a
//! role's trust policy — there eksfed writes the sids, and two `trust_pod_identity` blocks
//! both get AWS's `AllowEksAuthToAssumeRoleForPodIdentity` (pointing at the second block).
//!
//! ### Why it matters
//! IAM rejects the document ("Statement IDs (SID) in a single policy must be unique",
//! MalformedPolicyDocument), so the apply would fail. IAM JSON policy reference, "Sid".
//!
//! ### Fix
//! Give each statement its own `sid`, or drop the `sid`s; keep one `trust_pod_identity` per
//! role.

use super::util::documents;
use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::{Diagnostic, Span};
use crate::iam::statement::{statements, Statement};
use std::collections::HashMap;

/// Pairs (first index, duplicate index, sid) of statements sharing a non-empty sid.
fn duplicates(statements: &[Statement]) -> Vec<(usize, usize, String)> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut out = vec![];
    for (i, s) in statements.iter().enumerate() {
        let Some(sid) = s.sid.as_deref().filter(|s| !s.is_empty()) else {
            continue;
        };
        match first.get(sid) {
            Some(f) => out.push((*f, i, sid.to_string())),
            None => {
                first.insert(sid, i);
            }
        }
    }
    out
}

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        for (f, i, sid) in duplicates(&d.statements()) {
            out.push(
                Diagnostic::error("IAM007", format!("{} has two statements with sid \"{sid}\" (statements {} and {}); IAM rejects the document", d.what, f + 1, i + 1))
                    .at(Some(d.span(i, "sid", None)))
                    .address(d.res.address.to_string())
                    .help("give each statement its own sid, or drop the sids"),
            );
        }
    }
    // Trust policies: statement i is the i-th trust block. Only eksfed writes their sids
    // (`trust_pod_identity` has AWS's), so a duplicate means the same kind of block twice.
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        for (f, i, sid) in duplicates(&statements(&role.trust_policy)) {
            let at: Span = role
                .trusts
                .get(i)
                .map(|t| t.span.clone())
                .unwrap_or_else(|| r.block.span.clone());
            out.push(
                Diagnostic::error("IAM007", format!("the trust policy of role `{}` has two statements with sid \"{sid}\" (trust blocks {} and {}); IAM rejects the document", role.name, f + 1, i + 1))
                    .at(Some(at))
                    .address(r.address.to_string())
                    .help("keep one trust_pod_identity block per role; put every condition in it"),
            );
        }
    }
}
