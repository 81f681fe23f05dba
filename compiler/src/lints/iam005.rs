//! ### What it finds
//! The AWS managed policy `AdministratorAccess` or `IAMFullAccess` in a role's `policies`, in
//! any partition (`arn:aws:`, `arn:aws-cn:`, `arn:aws-us-gov:`), however it is written
//! (`aws_managed_policy("AdministratorAccess")` or the literal ARN). A customer managed policy
//! of the same name is not AWS's and is not flagged.
//!
//! ### Why it matters
//! AdministratorAccess is every action on every resource; IAMFullAccess is the power to grant
//! yourself that (every IAM004 action at once). checkov CKV_AWS_274 ("Disallow IAM roles,
//! users, and groups from using the AWS AdministratorAccess policy") and CKV_AWS_275
//! ("Disallow policies from using the AWS AdministratorAccess policy") flag the first; the EKS
//! best-practices guide asks for least-privilege IRSA roles, and a role a pod can assume with
//! either policy makes the pod an account administrator.
//!
//! ### Fix
//! Attach a policy with the permissions the role needs.

use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::Diagnostic;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        for (i, p) in role.policies.iter().enumerate() {
            let Some(name) = p
                .strip_prefix("arn:")
                .and_then(|x| x.split_once(":iam::aws:policy/"))
                .map(|x| x.1)
            else {
                continue;
            };
            if name == "AdministratorAccess" || name == "IAMFullAccess" {
                out.push(
                    Diagnostic::warning(
                        "IAM005",
                        format!(
                            "role `{}` has the AWS managed policy {name} attached",
                            role.name
                        ),
                    )
                    .at(Some(r.block.elem_span("policies", i)))
                    .address(r.address.to_string())
                    .help("attach a policy with only the permissions the role needs"),
                );
            }
        }
    }
}
