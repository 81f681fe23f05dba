//! ### What it finds
//! A role's trust policy longer than the account's quota: 2,048 characters, white space not
//! counted (the default); raise the limit with `stack { trust_policy_limit = 4096 }` after
//! raising the quota in Service Quotas (4,096 is the most AWS allows). The finding points at
//! the `names` (or `conditions`, `principals`) of the trust block that adds the most.
//!
//! ### Why it matters
//! IAM refuses it at apply time with `LimitExceeded: Cannot exceed quota for
//! ACLSizePerRole: 2048` — typically after many service accounts were added to one role
//! (kubeflow #6687). Terraform does not check this at plan time (terraform-provider-aws
//! #45533). IAM user guide, "IAM and AWS STS quotas" (`reference_iam-quotas`: role trust
//! policy length).
//!
//! ### Fix
//! Split the service accounts over several roles, use `names` lists instead of one
//! statement per account, or raise the quota and `trust_policy_limit`.

use super::util::trust_span;
use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::Diagnostic;
use crate::iam;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    let limit = desired.stack.trust_policy_limit;
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        let n = iam::size(&role.trust_policy);
        if n > limit {
            // Point at the trust block that adds the most (the first of equals): its `names`,
            // `conditions` or `principals`.
            let largest = role
                .trusts
                .iter()
                .rev()
                .max_by_key(|t| iam::size(&iam::trust_statement(&t.trust)));
            let at = largest
                .map(|t| trust_span(t, &["names", "conditions", "principals"]))
                .unwrap_or_else(|| r.block.span.clone());
            out.push(
                Diagnostic::error("QUOTA001", format!("the trust policy of role `{}` is {n} characters in {} statement(s), white space not counted; the limit is {limit}", role.name, role.trusts.len()))
                    .at(Some(at))
                    .address(r.address.to_string())
                    .help(if limit < 4096 {
                        "split the trusted subjects over several roles, or raise the quota (Service Quotas, up to 4096) and stack { trust_policy_limit = 4096 }"
                    } else {
                        "split the trusted subjects over several roles"
                    }),
            );
        }
    }
}
