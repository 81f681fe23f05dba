//! ### What it finds
//! Two statements with the same `sid` in one policy document (managed, inline or trust).
//!
//! ### Why it matters
//! IAM rejects the document ("Statement IDs (SID) in a single policy must be unique",
//! MalformedPolicyDocument), so the apply would fail. IAM JSON policy reference, "Sid".
//!
//! ### Fix
//! Give each statement its own `sid`, or drop the `sid`s.

use super::util::documents;
use crate::diag::Diagnostic;
use crate::model::DesiredState;
use std::collections::HashMap;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, s) in d.statements().iter().enumerate() {
            let Some(sid) = s
                .get("Sid")
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
            else {
                continue;
            };
            if let Some(first) = seen.insert(sid.to_string(), i) {
                out.push(
                    Diagnostic::error("IAM007", format!("{} has two statements with sid \"{sid}\" (statements {} and {}); IAM rejects the document", d.what, first + 1, i + 1))
                        .at(Some(d.span(i, "sid", None)))
                        .address(d.res.address.to_string())
                        .help("give each statement its own sid"),
                );
            }
        }
    }
}
