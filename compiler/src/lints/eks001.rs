//! ### What it finds
//! An IRSA or OIDC trust whose subject is not pinned to exact service accounts: a `*` or `?`
//! in a `trust_service_account`'s `names` or `namespace`, or in the `:sub` condition of a
//! `trust_oidc` on an EKS cluster issuer (`oidc.eks.*`). An error; a warning when the
//! `trust_service_account` says `allow_wildcard = true`.
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

use super::util::{has_wildcard, trust_span};
use crate::diag::Diagnostic;
use crate::model::{DesiredState, ResourceKind, Trust};

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
                    let bad: Vec<String> =
                        names.iter().filter(|n| has_wildcard(n)).cloned().collect();
                    let ns_bad = has_wildcard(namespace);
                    if bad.is_empty() && !ns_bad {
                        continue;
                    }
                    let what = if ns_bad {
                        format!("namespace \"{namespace}\"")
                    } else {
                        format!(
                            "name(s) {}",
                            bad.iter()
                                .map(|b| format!("\"{b}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    let msg = format!("role `{}` trusts service accounts by wildcard {what}: any matching service account can assume it", role.name);
                    let d = if *allow_wildcard {
                        Diagnostic::warning("EKS001", msg)
                    } else {
                        Diagnostic::error("EKS001", msg)
                    };
                    out.push(
                        d.at(Some(trust_span(t, if ns_bad { &["namespace"] } else { &["names"] })))
                            .address(r.address.to_string())
                            .help(if *allow_wildcard { "keep the pattern as narrow as possible".to_string() } else { "name the exact service accounts, or set allow_wildcard = true if this is intended".to_string() }),
                    );
                }
                Trust::Oidc {
                    issuer, conditions, ..
                } if issuer.starts_with("oidc.eks.") => {
                    let subs: Vec<&String> = conditions
                        .iter()
                        .filter(|(k, _)| k.ends_with(":sub"))
                        .flat_map(|(_, v)| v)
                        .collect();
                    if subs.is_empty() || subs.iter().any(|s| has_wildcard(s)) {
                        let why = if subs.is_empty() {
                            "has no `:sub` condition".to_string()
                        } else {
                            format!(
                                "matches `:sub` by wildcard ({})",
                                subs.iter()
                                    .map(|s| format!("\"{s}\""))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        };
                        out.push(
                            Diagnostic::error("EKS001", format!("role `{}` trusts the EKS issuer {issuer} but {why}: pods are not pinned to exact service accounts", role.name))
                                .at(Some(trust_span(t, &["conditions"])))
                                .address(r.address.to_string())
                                .help("use trust_service_account { cluster = ..., namespace = ..., names = [...] }"),
                        );
                    }
                }
                _ => {}
            }
        }
    }
}
