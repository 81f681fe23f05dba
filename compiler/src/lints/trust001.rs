//! ### What it finds
//! A `trust_oidc` on GitHub Actions' provider (`token.actions.githubusercontent.com`) with no
//! `token.actions.githubusercontent.com:sub` condition, or one whose only value is `*`.
//!
//! ### Why it matters
//! Without a `sub` condition, a workflow in *any* GitHub repository — anyone's — can assume
//! the role. GitHub's "Configuring OpenID Connect in Amazon Web Services" and AWS's
//! guidance require a `sub` condition; checkov CKV_AWS_358 ("Ensure GitHub Actions OIDC trust
//! policies only allows actions from a specific known organization") flags it.
//!
//! ### Fix
//! Add `"token.actions.githubusercontent.com:sub" = ["repo:ORG/REPO:ref:refs/heads/main"]`
//! (or an `environment:` subject).

use super::util::trust_span;
use crate::diag::Diagnostic;
use crate::model::{DesiredState, ResourceKind, Trust};

pub const GITHUB: &str = "token.actions.githubusercontent.com";

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
            if issuer != GITHUB {
                continue;
            }
            let sub = conditions
                .iter()
                .find(|(k, _)| k.ends_with(":sub"))
                .map(|(_, v)| v);
            let bad = match sub {
                None => {
                    Some("has no `token.actions.githubusercontent.com:sub` condition".to_string())
                }
                Some(v) if v.is_empty() || v.iter().all(|x| x == "*") => {
                    Some("matches every `sub` (\"*\")".to_string())
                }
                _ => None,
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
