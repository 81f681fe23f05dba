//! ### What it finds
//! A `trust_oidc` with no `...:aud` condition key (any issuer prefix; TRUST003 checks the
//! prefix). `trust_service_account` always writes `ISSUER:aud = sts.amazonaws.com` itself.
//!
//! ### Why it matters
//! The audience says which client the token was minted for. STS accepts a token whose
//! audience is any of the provider's client ids; without an `aud` condition, a token minted
//! for another client registered on the same provider — another application of the same IdP
//! — can assume this role too, and adding a client id later silently widens the trust. AWS's IAM user guide ("Creating a role for
//! web identity or OpenID Connect federation", "Available keys for OIDC federation") and
//! GitHub's OIDC guide set `aud` to `sts.amazonaws.com`; the EKS best-practices guide's IRSA
//! trust policies carry `:aud` next to `:sub`.
//!
//! ### Fix
//! Add `"HOST:aud" = ["sts.amazonaws.com"]` (HOST being the provider URL without https://).

use super::util::{claim_of, trust_span};
use crate::desired::model::{DesiredState, ResourceKind, Trust};
use crate::diag::Diagnostic;

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
            if !conditions
                .keys()
                .any(|k| claim_of(k).is_some_and(|(_, c)| c == "aud"))
            {
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
