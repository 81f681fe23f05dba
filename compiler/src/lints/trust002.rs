//! ### What it finds
//! A `trust_oidc` with no `...:aud` condition.
//!
//! ### Why it matters
//! The audience says which client the token was minted for; without it, a token the IdP
//! issued for another application is accepted too. AWS's IAM user guide ("Creating a role for
//! web identity or OpenID Connect federation") and GitHub's OIDC guide set `aud` to
//! `sts.amazonaws.com`; IAM Access Analyzer's trust-policy checks flag a missing audience.
//!
//! ### Fix
//! Add `"HOST:aud" = ["sts.amazonaws.com"]` (HOST being the provider URL without https://).

use super::util::trust_span;
use crate::diag::Diagnostic;
use crate::model::{DesiredState, ResourceKind, Trust};

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        for t in &role.trusts {
            let Trust::Oidc {
                issuer, conditions, ..
            } = &t.trust
            else {
                continue;
            };
            if !conditions.keys().any(|k| k.ends_with(":aud")) {
                out.push(
                    Diagnostic::warning("TRUST002", format!("role `{}` trusts the OIDC provider {issuer} without an `:aud` condition", role.name))
                        .at(Some(trust_span(t, &["conditions", "provider"])))
                        .address(r.address.to_string())
                        .help(format!("add \"{issuer}:aud\" = [\"sts.amazonaws.com\"]")),
                );
            }
        }
    }
}
