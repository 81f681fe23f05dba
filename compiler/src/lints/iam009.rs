//! ### What it finds
//! A `resources` or `not_resources` entry that is neither `*` nor shaped like an ARN:
//! `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, six colon-separated parts with a
//! non-empty partition, service and resource (region and account may be empty, as in
//! `arn:aws:s3:::bucket/*`; `*` and `?` are allowed anywhere, and policy variables such as
//! `${aws:username}` inside the resource part). It checks every statement of managed and
//! inline policies, Allow and Deny.
//!
//! ### Why it matters
//! IAM rejects the whole document with MalformedPolicyDocument at apply time ("Resource X
//! must be in ARN format or \"*\""), so a plan that looked fine fails half-way through an
//! apply. Common slips: a bare bucket or queue name (`"reports"`), an S3 ARN with one colon
//! too few (`arn:aws:s3::reports`). IAM JSON policy reference, "Resource"; IAM Access
//! Analyzer policy validation ("Invalid ARN").
//!
//! ### Fix
//! Write the full ARN, e.g. `arn:aws:s3:::reports/*` or
//! `arn:aws:sqs:us-east-1:111122223333:jobs`, or `*` when the action takes no resource.

use super::util::documents;
use crate::desired::model::DesiredState;
use crate::diag::Diagnostic;

/// `*`, or `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (wildcards allowed).
pub fn well_formed(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
        && parts[1..5].iter().all(|p| !p.contains(char::is_whitespace))
}

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        for (i, s) in d.statements().iter().enumerate() {
            for (attr, v) in [
                ("resources", &s.resource),
                ("not_resources", &s.not_resource),
            ] {
                for (j, r) in v.iter().flatten().enumerate() {
                    if !well_formed(r) {
                        out.push(
                            Diagnostic::error(
                                "IAM009",
                                format!(
                                    "{}: \"{r}\" is neither `*` nor an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)",
                                    d.what
                                ),
                            )
                            .at(Some(d.span(i, attr, Some(j))))
                            .address(d.res.address.to_string())
                            .help("IAM rejects the document (MalformedPolicyDocument); write the full ARN, e.g. arn:aws:s3:::bucket/*"),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn shapes() {
        assert!(well_formed("*"));
        assert!(well_formed("arn:aws:s3:::bucket/*"));
        assert!(well_formed("arn:aws:s3:::bucket"));
        assert!(well_formed("arn:*:iam::*:role/*"));
        assert!(well_formed("arn:aws:ec2:*:*:security-group/*"));
        assert!(well_formed("arn:aws:s3:::home/${aws:username}/*"));
        assert!(well_formed("arn:aws-cn:sqs:cn-north-1:111122223333:q"));
        assert!(!well_formed("a"));
        assert!(!well_formed("bucket/*"));
        assert!(!well_formed("arn:aws:s3::bucket"));
        assert!(!well_formed("arn:aws:s3:::"));
        assert!(!well_formed("arn::s3:::bucket"));
        assert!(!well_formed("ARN:aws:s3:::bucket"));
        assert!(!well_formed("**"));
    }
}
