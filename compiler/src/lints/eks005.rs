//! ### What it finds
//! An `rbac_binding` to the cluster role `cluster-admin`.
//!
//! ### Why it matters
//! `cluster-admin` grants every verb on every resource, including secrets and RBAC itself.
//! CIS EKS benchmark 4.1.1 ("Ensure that the cluster-admin role is only used where required")
//! and the EKS best-practices guide (least privilege for human access) recommend narrower
//! roles.
//!
//! ### Fix
//! Bind `admin`, `edit` or `view` (per namespace where possible), or a ClusterRole of your own.
//! If cluster-admin is intended, silence this with `allow_lints = ["EKS005"]`.

use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::Diagnostic;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::RbacBinding(b) = &r.kind else {
            continue;
        };
        if b.cluster_role.as_deref() == Some("cluster-admin") {
            let who: Vec<String> = b
                .subjects
                .iter()
                .map(|s| format!("{} {}", s.kind, s.name))
                .collect();
            out.push(
                Diagnostic::warning(
                    "EKS005",
                    format!(
                        "binding {} to cluster-admin grants every permission in the cluster",
                        who.join(", ")
                    ),
                )
                .at(Some(r.block.span_of("cluster_role")))
                .address(r.address.to_string())
                .help("bind admin, edit or view, per namespace where possible"),
            );
        }
    }
}
