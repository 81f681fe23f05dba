//! ### What it finds
//! An Allow statement of a managed or inline policy that uses `not_actions` (NotAction) or
//! `not_resources` (NotResource). Deny statements with them are the intended use and are not
//! flagged.
//!
//! ### Why it matters
//! "Allow everything except" grants every action or resource that exists now or is added
//! later, which is rarely what a reviewer reads it as. The IAM JSON policy reference
//! ("NotAction", "NotResource") warns that with Allow these grant every unlisted action or
//! resource, including ones added later; IAM Access Analyzer's policy checks and duo-labs
//! parliament flag Allow with NotAction/NotResource.
//!
//! ### Fix
//! Allow the actions and resources explicitly; keep NotAction/NotResource for Deny statements.

use super::util::{documents, is_allow};
use crate::desired::model::DesiredState;
use crate::diag::Diagnostic;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        for (i, s) in d.statements().iter().enumerate() {
            if !is_allow(s) {
                continue;
            }
            for (key, attr, v) in [
                ("NotAction", "not_actions", &s.not_action),
                ("NotResource", "not_resources", &s.not_resource),
            ] {
                if v.is_some() {
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
