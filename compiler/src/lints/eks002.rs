//! ### What it finds
//! A `service_account` whose `role` does not trust it: in `irsa` mode, no
//! `trust_service_account` of the role matches the account's cluster (or the OIDC provider of
//! that cluster's issuer), namespace and name; in `pod_identity` mode, the role has no
//! `trust_pod_identity` (nor a `trust_statement` allowing `sts:AssumeRole` to the service
//! principal `pods.eks.amazonaws.com`, as `eksfed generate` writes a live pod identity trust
//! without AWS's `Sid`).
//!
//! ### Why it matters
//! The annotation or association is written, the pod starts, and every AWS call fails with
//! AccessDenied at run time (`Not authorized to perform sts:AssumeRoleWithWebIdentity`). The
//! EKS user guide ("Assign IAM roles to Kubernetes service accounts", "Create a Pod Identity
//! association") requires the trust policy to name the service account.
//!
//! ### Fix
//! Add a `trust_service_account { cluster = ..., namespace = ..., names = [...] }` (or
//! `trust_pod_identity {}`) to the role, or point the service account at the right role.

use crate::desired::model::{DesiredState, ResourceKind, ServiceAccountMode, Trust};
use crate::diag::Diagnostic;
use crate::iam::statement::Statement;

/// A raw trust statement that lets EKS Pod Identity assume the role.
fn admits_pods(st: &serde_json::Value) -> bool {
    let st = Statement::read(st);
    let service = st
        .principal
        .as_ref()
        .map(|p| p.of("Service"))
        .unwrap_or_default();
    let actions = st.actions();
    st.is_allow()
        && service.iter().any(|s| s == "pods.eks.amazonaws.com")
        && actions
            .iter()
            .any(|a| crate::iam::pattern::matches(&a.to_ascii_lowercase(), "sts:assumerole", false))
}

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::ServiceAccount(sa) = &r.kind else {
            continue;
        };
        let Some(role_addr) = &sa.role else { continue };
        let Some(ResourceKind::Role(role)) = desired.get(role_addr).map(|r| &r.kind) else {
            continue;
        };
        let issuer = desired
            .cluster(&sa.cluster)
            .and_then(|c| c.oidc_issuer_url.clone());
        let trusted = role.trusts.iter().any(|t| match (&t.trust, sa.mode) {
            (Trust::PodIdentity { .. }, ServiceAccountMode::PodIdentity) => true,
            (Trust::Raw { statement }, ServiceAccountMode::PodIdentity) => admits_pods(statement),
            (
                Trust::ServiceAccount {
                    cluster,
                    issuer: ti,
                    namespace,
                    names,
                    ..
                },
                ServiceAccountMode::Irsa,
            ) => {
                let same_cluster = match cluster {
                    Some(c) => c == &sa.cluster,
                    None => {
                        issuer
                            .as_deref()
                            .map(crate::kinds::lowering::strip_https)
                            .as_deref()
                            == Some(ti.as_str())
                    }
                };
                same_cluster
                    && crate::iam::pattern::matches(namespace, &sa.namespace, false)
                    && names
                        .iter()
                        .any(|n| crate::iam::pattern::matches(n, &sa.name, false))
            }
            _ => false,
        });
        if !trusted {
            let how = match sa.mode {
                ServiceAccountMode::Irsa => format!(
                    "no `trust_service_account` of `{role_addr}` names {}/{} in `{}`",
                    sa.namespace, sa.name, sa.cluster
                ),
                ServiceAccountMode::PodIdentity => {
                    format!("`{role_addr}` has no `trust_pod_identity`")
                }
            };
            out.push(
                Diagnostic::error("EKS002", format!("service account {}/{} uses role `{role_addr}`, which does not trust it: {how}", sa.namespace, sa.name))
                    .at(Some(r.block.span_of("role")))
                    .address(r.address.to_string())
                    .help(match sa.mode {
                        ServiceAccountMode::Irsa => format!(
                            "add to `{role_addr}`: trust_service_account {{ cluster = {}, namespace = \"{}\", names = [\"{}\"] }}",
                            sa.cluster, sa.namespace, sa.name
                        ),
                        ServiceAccountMode::PodIdentity => format!("add `trust_pod_identity {{}}` to `{role_addr}`"),
                    }),
            );
        }
    }
}
