//! ### What it finds
//! A `trust_oidc` condition on `sub`, `aud` or `amr` whose key names another issuer than
//! the provider it trusts (the key's `HOST/PATH:` prefix is not the provider's URL without
//! `https://`). (Set operators such as `ForAllValues:` cannot be written in `conditions`:
//! eksfed chooses the operator itself, `StringEquals` or `StringLike`.)
//!
//! ### Why it matters
//! A condition on another issuer's key is never present in this provider's token: IAM treats
//! the condition as not matching and nobody can assume the role — or, with `...IfExists`
//! operators, as matching everything. AWS IAM user guide, "Available keys for OIDC federation".
//!
//! ### Fix
//! Prefix condition keys with the provider's URL without `https://`.

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
            for k in conditions.keys() {
                let Some((prefix, key)) = k.rsplit_once(':') else {
                    continue;
                };
                if (key == "sub" || key == "aud" || key == "amr") && prefix != issuer {
                    out.push(
                        Diagnostic::error("TRUST003", format!("role `{}` trusts the provider {issuer}, but the condition key \"{k}\" is for the issuer \"{prefix}\"", role.name))
                            .at(Some(trust_span(t, &["conditions"])))
                            .address(r.address.to_string())
                            .help(format!("write the key as \"{issuer}:{key}\"")),
                    );
                }
            }
        }
    }
}
