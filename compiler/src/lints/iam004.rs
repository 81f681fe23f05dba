//! ### What it finds
//! An allowed action (directly or through a wildcard) that lets the holder raise its own
//! privileges: `iam:CreatePolicyVersion`, `iam:SetDefaultPolicyVersion`,
//! `iam:AttachRolePolicy`, `iam:PutRolePolicy`, `iam:UpdateAssumeRolePolicy`,
//! `iam:AttachUserPolicy`, `iam:PutUserPolicy`, `iam:CreateAccessKey`,
//! `iam:CreateLoginProfile`, `iam:UpdateLoginProfile`, `iam:AddUserToGroup`,
//! `iam:AttachGroupPolicy`, `iam:PutGroupPolicy` — in an Allow statement of a managed or inline
//! policy, whatever its resources: even scoped to named roles or users, these let the holder
//! rewrite what those principals may do, so each use deserves a reviewer's look (and an
//! `allow_lints` once looked at). One finding per statement, naming every escalation action
//! the statement's patterns cover.
//!
//! ### Why it matters
//! Each is one of the privilege-escalation methods documented by Rhino Security Labs ("AWS
//! IAM Privilege Escalation – Methods and Mitigation", also pacu's `iam__privesc_scan`) and
//! checked by checkov CKV_AWS_107 ("credentials exposure": CreateAccessKey,
//! CreateLoginProfile, UpdateLoginProfile), CKV_AWS_109 ("permissions management") and
//! CKV_AWS_110 ("privilege escalation"), and by IAM Access Analyzer's security warnings.
//!
//! ### Fix
//! Remove the action, or scope it to specific resources with conditions (and silence the
//! finding with `allow_lints = ["IAM004"]` where it is deliberate, e.g. a CI deploy role).

use super::util::{documents, is_allow, matching};
use crate::desired::model::DesiredState;
use crate::diag::Diagnostic;

pub const ESCALATION: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:PutGroupPolicy",
];

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        for (i, s) in d.statements().iter().enumerate() {
            if !is_allow(s) {
                continue;
            }
            let actions = s.actions();
            let hits: Vec<&str> = ESCALATION
                .iter()
                .copied()
                .filter(|e| matching(actions, e).is_some())
                .collect();
            if let Some(first) = hits.first() {
                let j = matching(actions, first).unwrap_or(0);
                let shown = if hits.len() > 3 {
                    format!("{} and {} more", hits[..3].join(", "), hits.len() - 3)
                } else {
                    hits.join(", ")
                };
                out.push(
                    Diagnostic::warning(
                        "IAM004",
                        format!(
                            "{} allows privilege escalation: {shown} (through \"{}\")",
                            d.what, actions[j]
                        ),
                    )
                    .at(Some(d.span(i, "actions", Some(j))))
                    .address(d.res.address.to_string())
                    .help("remove the action, or scope it to specific resources"),
                );
            }
        }
    }
}
