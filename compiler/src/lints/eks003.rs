//! ### What it finds
//! An `access` that maps a role or user to the Kubernetes group `system:masters`.
//!
//! ### Why it matters
//! `system:masters` bypasses RBAC entirely and cannot be revoked by any RoleBinding; a leaked
//! session of that role owns the cluster. The EKS user guide ("Grant IAM users access to
//! Kubernetes with a ConfigMap") and CIS EKS benchmark 4.1.1 ("Ensure that the cluster-admin
//! role is only used where required") advise against it.
//!
//! ### Fix
//! Map to your own group (e.g. `platform:admins`) and bind it with an `rbac_binding`, or use
//! the access policy `AmazonEKSClusterAdminPolicy` with access entries, which can be revoked.

use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::Diagnostic;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Access(a) = &r.kind else {
            continue;
        };
        if let Some(i) = a.groups.iter().position(|g| g == "system:masters") {
            out.push(
                Diagnostic::warning("EKS003", format!("`{}` is mapped to the group system:masters, which bypasses RBAC and cannot be limited", a.principal_arn))
                    .at(Some(r.block.elem_span("groups", i)))
                    .address(r.address.to_string())
                    .help("map to a group of your own and bind it with rbac_binding"),
            );
        }
    }
}
