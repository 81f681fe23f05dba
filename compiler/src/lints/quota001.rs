//! ### What it finds
//! A role's trust policy longer than the account's quota: 2,048 characters, white space not
//! counted (the default); raise the limit with `stack { trust_policy_limit = 4096 }` after
//! raising the quota in Service Quotas (4,096 is the most AWS allows).
//!
//! ### Why it matters
//! IAM refuses it at apply time with `LimitExceeded: Cannot exceed quota for
//! ACLSizePerRole: 2048` — typically after many service accounts were added to one role
//! (kubeflow #6687). Terraform does not check this at plan time (terraform-provider-aws
//! #45533). IAM user guide, "IAM and AWS STS quotas".
//!
//! ### Fix
//! Split the service accounts over several roles, use `names` lists instead of one
//! statement per account, or raise the quota and `trust_policy_limit`.

use crate::diag::Diagnostic;
use crate::iam;
use crate::model::{DesiredState, ResourceKind};

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    let limit = desired.stack.trust_policy_limit;
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        let n = iam::size(&role.trust_policy);
        if n > limit {
            out.push(
                Diagnostic::error("QUOTA001", format!("the trust policy of role `{}` is {n} characters (white space not counted); the limit is {limit}", role.name))
                    .at(Some(role.trusts.first().map(|t| t.span.clone()).unwrap_or_else(|| r.block.span.clone())))
                    .address(r.address.to_string())
                    .help("split the trusted subjects over several roles, or raise the quota and stack { trust_policy_limit = 4096 }"),
            );
        }
    }
}
