//! ### What it finds
//! An action (in `actions` or `not_actions`) that is not shaped `service:Action`: a service
//! prefix of letters, digits and `-`, a colon, and an action name of letters and digits, with
//! `*` and `?` allowed inside either part. `*` alone is accepted. Case is not checked: IAM
//! matches actions case-insensitively, and AWS's own managed policies write `S3:GetBucketWebsite`
//! and `cloudTrail:GetChannel`. It checks
//! every statement of managed and inline policies, Allow and Deny (a malformed action is
//! rejected either way); trust policies are not checked because eksfed writes their actions
//! itself (`sts:AssumeRole...`).
//!
//! ### Why it matters
//! IAM rejects malformed actions at apply time (MalformedPolicyDocument), and a typo such as
//! `s3.GetObject` or `s3:Get Object` never grants what was meant. IAM JSON policy reference,
//! "Action"; IAM Access Analyzer policy validation ("Invalid action").
//!
//! ### Fix
//! Write actions as `service:ActionName`, e.g. `s3:GetObject`.

use super::util::documents;
use crate::desired::model::DesiredState;
use crate::diag::Diagnostic;

pub fn well_formed(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((svc, name)) = action.split_once(':') else {
        return false;
    };
    !svc.is_empty()
        && !name.is_empty()
        && svc
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        for (i, s) in d.statements().iter().enumerate() {
            for (attr, v) in [("actions", &s.action), ("not_actions", &s.not_action)] {
                for (j, a) in v.iter().flatten().enumerate() {
                    if !well_formed(a) {
                        out.push(
                            Diagnostic::error(
                                "IAM008",
                                format!(
                                    "{}: \"{a}\" is not an action (expected service:ActionName)",
                                    d.what
                                ),
                            )
                            .at(Some(d.span(i, attr, Some(j))))
                            .address(d.res.address.to_string())
                            .help("write actions as service:ActionName, e.g. s3:GetObject"),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        assert!(super::well_formed("s3:GetObject"));
        assert!(super::well_formed("s3:Get*"));
        assert!(super::well_formed("*"));
        assert!(super::well_formed("elasticloadbalancing:Describe*"));
        assert!(!super::well_formed("s3.GetObject"));
        assert!(!super::well_formed("s3:Get Object"));
        assert!(!super::well_formed("s3 :GetObject"));
        // IAM matches actions case-insensitively; AWS managed policies use these spellings.
        assert!(super::well_formed("S3:GetObject"));
        assert!(super::well_formed("cloudTrail:GetChannel"));
        assert!(super::well_formed(
            "Partnercentral-account-management:AssociatePartnerUser"
        ));
    }
}
