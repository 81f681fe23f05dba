//! ### What it finds
//! An IRSA or OIDC trust whose subject is not pinned to exact service accounts: a `*` or `?`
//! in a `trust_service_account`'s `names` or `namespace`, or in the `:sub` condition of a
//! `trust_oidc` on an EKS cluster issuer (`oidc.eks.*`), or such a `trust_oidc` with no `:sub`
//! condition at all. An error; a warning when the `trust_service_account` says
//! `allow_wildcard = true`. A wildcard namespace and wildcard names are separate findings,
//! each pointing at its attribute.
//!
//! ### Why it matters
//! With a wildcard subject every matching service account in the cluster — today's and
//! tomorrow's — can assume the role; with no `sub` at all, every pod can. The EKS
//! best-practices guide (Identity and access management, "Scope the IAM role trust policy for
//! IRSA to the service account name") and IAM Access Analyzer's trust-policy checks call for
//! exact `system:serviceaccount:NAMESPACE:NAME` subjects.
//!
//! ### Fix
//! List the exact service account names (`names = ["reader"]`). If a wildcard is intended,
//! say so with `allow_wildcard = true` (the finding becomes a warning) and keep it narrow.

use super::util::{claim_of, has_wildcard, normal_issuer, trust_span};
use crate::desired::model::{DesiredState, ResourceKind, Trust};
use crate::diag::Diagnostic;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        for t in &role.trusts {
            match &t.trust {
                Trust::ServiceAccount {
                    namespace,
                    names,
                    allow_wildcard,
                    ..
                } => {
                    let bad: Vec<String> = names
                        .iter()
                        .filter(|n| has_wildcard(n))
                        .map(|n| format!("\"{n}\""))
                        .collect();
                    let mut found = vec![];
                    if has_wildcard(namespace) {
                        found.push(("namespace", format!("namespace \"{namespace}\"")));
                    }
                    if !bad.is_empty() {
                        found.push(("names", format!("name {}", bad.join(", "))));
                    }
                    for (attr, what) in found {
                        let msg = format!("role `{}` trusts service accounts by the wildcard {what}: every matching service account, today's and tomorrow's, can assume it", role.name);
                        let (d, help) = if *allow_wildcard {
                            (
                                Diagnostic::warning("EKS001", msg),
                                "allow_wildcard = true makes this a warning; keep the pattern as narrow as possible",
                            )
                        } else {
                            (
                                Diagnostic::error("EKS001", msg),
                                "name the exact service accounts (names = [\"api\", \"worker\"]), or set allow_wildcard = true if the wildcard is intended",
                            )
                        };
                        out.push(
                            d.at(Some(trust_span(t, &[attr])))
                                .address(r.address.to_string())
                                .help(help),
                        );
                    }
                }
                Trust::Oidc {
                    issuer, conditions, ..
                } if normal_issuer(issuer).starts_with("oidc.eks.") => {
                    let subs: Vec<&String> = conditions
                        .iter()
                        .filter(|(k, _)| claim_of(k).is_some_and(|(_, c)| c == "sub"))
                        .flat_map(|(_, v)| v)
                        .collect();
                    if subs.is_empty() || subs.iter().any(|s| has_wildcard(s)) {
                        let why = if subs.is_empty() {
                            "has no `:sub` condition".to_string()
                        } else {
                            format!(
                                "matches `:sub` by wildcard ({})",
                                subs.iter()
                                    .filter(|s| has_wildcard(s))
                                    .map(|s| format!("\"{s}\""))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        };
                        out.push(
                            Diagnostic::error("EKS001", format!("role `{}` trusts the EKS issuer {issuer} but {why}: pods are not pinned to exact service accounts", role.name))
                                .at(Some(trust_span(t, &["conditions", "provider"])))
                                .address(r.address.to_string())
                                .help("use trust_service_account { provider = ..., namespace = \"...\", names = [\"...\"] }, which writes exact system:serviceaccount:NS:NAME subjects"),
                        );
                    }
                }
                _ => {}
            }
        }
    }
}
