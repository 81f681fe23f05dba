//! ### What it finds
//! A `trust_oidc` on GitHub Actions' provider (URL host `token.actions.githubusercontent.com`,
//! compared without scheme, trailing slash or case) with no
//! `token.actions.githubusercontent.com:sub` condition, or one whose values are all `*` — or
//! all start `repo:*`, which matches every owner's repositories just the same.
//!
//! ### Why it matters
//! Without a `sub` condition, a workflow in *any* GitHub repository — anyone's — can assume
//! the role. GitHub's "Configuring OpenID Connect in Amazon Web Services" calls for a `sub`
//! condition ("you must define at least one condition, so that untrusted repositories can't
//! request access tokens"; "IAM recommends that users evaluate the IAM condition
//! key, token.actions.githubusercontent.com:sub, in the trust policy of any role that trusts
//! GitHub's OIDC identity provider"); checkov CKV_AWS_358 ("Ensure GitHub Actions OIDC trust
//! policies only allows actions from a specific known organization") flags it.
//!
//! ### Fix
//! Add `"token.actions.githubusercontent.com:sub" = ["repo:ORG/REPO:ref:refs/heads/main"]`
//! (or an `environment:` subject).

use super::util::{claim_of, normal_issuer, trust_span};
use crate::desired::model::{DesiredState, ResourceKind, Trust};
use crate::diag::Diagnostic;

pub const GITHUB: &str = "token.actions.githubusercontent.com";

/// A `sub` pattern that does not pin a repository owner: `*`, or `repo:*...`.
fn any_repository(v: &str) -> bool {
    let v = v.trim();
    v.chars().all(|c| c == '*') || v.starts_with("repo:*") || v.starts_with("repo:?")
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
            if normal_issuer(issuer) != GITHUB {
                continue;
            }
            let subs: Vec<&String> = conditions
                .iter()
                .filter(|(k, _)| claim_of(k).is_some_and(|(_, c)| c == "sub"))
                .flat_map(|(_, v)| v)
                .collect();
            let bad = if subs.is_empty() {
                Some("has no `token.actions.githubusercontent.com:sub` condition".to_string())
            } else if subs.iter().all(|v| any_repository(v)) {
                Some(format!(
                    "its `sub` condition ({}) matches every repository",
                    subs.iter()
                        .map(|v| format!("\"{v}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            } else {
                None
            };
            if let Some(why) = bad {
                out.push(
                    Diagnostic::error("TRUST001", format!("role `{}` trusts GitHub Actions but {why}: any repository's workflow could assume it", role.name))
                        .at(Some(trust_span(t, &["conditions", "provider"])))
                        .address(r.address.to_string())
                        .help("add \"token.actions.githubusercontent.com:sub\" = [\"repo:ORG/REPO:ref:refs/heads/main\"]"),
                );
            }
        }
    }
}
