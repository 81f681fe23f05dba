//! ### What it finds
//! A `trust_oidc` condition key that names another issuer than the provider it trusts: the
//! key's `HOST/PATH:` prefix (any key whose prefix looks like an issuer — a host with a dot,
//! no `:` — such as `gitlab.com:aud` or `oidc.eks.REGION.amazonaws.com/id/X:sub`) is not the
//! provider's URL. Both sides are compared as IAM identifies issuers: without scheme,
//! trailing slash or host case. Global keys (`aws:...`, `sts:...`) are not issuer keys and are
//! left alone.
//!
//! Not covered, and why: `trust_service_account` writes its condition keys from the issuer of
//! the cluster or provider it names, so they cannot disagree; and set operators such as
//! `ForAllValues:` / `ForAnyValue:` on the single-valued `sub` and `aud` keys cannot be written
//! in `conditions` — eksfed chooses the operator itself (`StringEquals`, or `StringLike` where
//! a value holds `*` or `?`).
//!
//! ### Why it matters
//! A condition on another issuer's key is never present in this provider's tokens: IAM
//! treats it as not matching, nobody can assume the role, and the claim that was meant to be
//! restricted (usually `sub`) is not what the policy tests. Typically a copy-paste from
//! another role, or a cluster moved to a new issuer. AWS IAM user guide, "Available keys for
//! OIDC federation" (keys are `ISSUER:claim`, ISSUER being the provider URL without
//! `https://`).
//!
//! ### Fix
//! Prefix condition keys with the provider's URL without `https://`, e.g.
//! `"token.actions.githubusercontent.com:sub"` for `https://token.actions.githubusercontent.com`.

use super::util::{normal_issuer, trust_span};
use crate::desired::model::{DesiredState, ResourceKind, Trust};
use crate::diag::Diagnostic;

/// The issuer part of an OIDC condition key (`HOST/PATH` of `HOST/PATH:claim`), when the key
/// has that shape: a host with a dot before any `/`, and no other `:`.
pub fn issuer_of_key(key: &str) -> Option<&str> {
    let (prefix, claim) = key.rsplit_once(':')?;
    let host = prefix.split('/').next().unwrap_or(prefix);
    (!claim.is_empty() && !prefix.contains(':') && host.contains('.')).then_some(prefix)
}

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
            let ours = normal_issuer(issuer);
            for k in conditions.keys() {
                let Some(prefix) = issuer_of_key(k) else {
                    continue;
                };
                if normal_issuer(prefix) != ours {
                    let claim = k.rsplit_once(':').map(|(_, c)| c).unwrap_or_default();
                    out.push(
                        Diagnostic::error("TRUST003", format!("role `{}` trusts the provider {issuer}, but the condition key \"{k}\" is for the issuer \"{prefix}\": it is never in this provider's tokens", role.name))
                            .at(Some(trust_span(t, &["conditions"])))
                            .address(r.address.to_string())
                            .help(format!("write the key as \"{issuer}:{claim}\"")),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::issuer_of_key;

    #[test]
    fn issuer_keys() {
        assert_eq!(issuer_of_key("gitlab.com:aud"), Some("gitlab.com"));
        assert_eq!(
            issuer_of_key("oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"),
            Some("oidc.eks.us-east-1.amazonaws.com/id/ABC")
        );
        assert_eq!(issuer_of_key("aws:PrincipalTag/team"), None);
        assert_eq!(issuer_of_key("aws:RequestTag/a.b:c"), None);
        assert_eq!(issuer_of_key("sts:RoleSessionName"), None);
    }
}
