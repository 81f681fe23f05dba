//! ### What it finds
//! The AWS managed policy `AdministratorAccess` or `IAMFullAccess` (any partition) in a
//! role's `policies`.
//!
//! ### Why it matters
//! AdministratorAccess is every action on every resource; IAMFullAccess is the power to grant
//! yourself that. checkov CKV_AWS_274 ("Disallow IAM roles, users, and groups from using the
//! AWS AdministratorAccess policy") and trivy AVD-AWS-0342 flag them.
//!
//! ### Fix
//! Attach a policy with the permissions the role needs.

use crate::diag::Diagnostic;
use crate::model::{DesiredState, ResourceKind};

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
