//! ### What it finds
//! An Allow statement that uses `not_actions` (NotAction) or `not_resources` (NotResource).
//!
//! ### Why it matters
//! "Allow everything except" grants every action or resource that exists now or is added
//! later, which is rarely what a reviewer reads it as. The IAM user guide warns against
//! NotAction/NotResource with Allow; IAM Access Analyzer and parliament flag it; checkov
//! CKV_AWS_283-style checks look for it.
//!
//! ### Fix
//! Allow the actions and resources explicitly; keep NotAction/NotResource for Deny statements.

use super::util::{documents, is_allow};
use crate::diag::Diagnostic;
use crate::model::DesiredState;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        for (i, s) in d.statements().iter().enumerate() {
            if !is_allow(s) {
                continue;
            }
            for (key, attr) in [
                ("NotAction", "not_actions"),
                ("NotResource", "not_resources"),
            ] {
                if s.get(key).is_some() {
                    out.push(
                        Diagnostic::warning("IAM006", format!("{} has an Allow statement with {key}: it allows everything not listed", d.what))
                            .at(Some(d.span(i, attr, None)))
                            .address(d.res.address.to_string())
                            .help("allow the actions and resources explicitly; use NotAction/NotResource only with Deny"),
                    );
                }
            }
        }
    }
}
