//! ### What it finds
//! A `trust_aws` whose `principals` include `"*"` and that has no `conditions`: a trust
//! policy statement `{"Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}` with nothing to
//! narrow it. With a condition (e.g. `"aws:PrincipalOrgID" = ["o-abc123"]`) it is not
//! flagged. (IAM does not accept other wildcards in principal ARNs, so `"*"` is the one to
//! look for.)
//!
//! ### Why it matters
//! `"*"` is every AWS principal of every account — anyone with an AWS account can assume the
//! role. checkov CKV_AWS_60 ("Ensure IAM role allows only specific services or principals to
//! assume it") and IAM Access Analyzer (a role trusted outside the zone of trust is an
//! external-access finding) flag it; the IAM user guide, "AWS JSON policy elements:
//! Principal", warns against `"AWS": "*"` without conditions.
//!
//! ### Fix
//! Name the accounts or roles (`"arn:aws:iam::111122223333:root"`,
//! `"arn:aws:iam::111122223333:role/ci"`), or keep `"*"` and add a condition such as
//! `conditions = { "aws:PrincipalOrgID" = ["o-..."] }`.

use super::util::trust_span;
use crate::desired::model::{DesiredState, ResourceKind, Trust};
use crate::diag::Diagnostic;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Role(role) = &r.kind else {
            continue;
        };
        for t in &role.trusts {
            let Trust::Aws {
                principals,
                conditions,
            } = &t.trust
            else {
                continue;
            };
            if conditions.is_empty() && principals.iter().any(|p| p.trim() == "*") {
                out.push(
                    Diagnostic::error(
                        "TRUST004",
                        format!(
                            "role `{}` trusts the AWS principal \"*\" with no condition: any principal of any AWS account can assume it",
                            role.name
                        ),
                    )
                    .at(Some(trust_span(t, &["principals"])))
                    .address(r.address.to_string())
                    .help("name the accounts or roles that may assume it, or add conditions = { \"aws:PrincipalOrgID\" = [\"o-...\"] }"),
                );
            }
        }
    }
}
