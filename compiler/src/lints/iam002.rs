//! ### What it finds
//! An Allow statement with resource `*` and at least one write or permissions-management
//! action. "Write" is decided by the action's verb: Create, Put, Delete, Update, Attach,
//! Detach, Add, Remove, Set, Modify, Tag, Untag, Pass, Write, Upload, Send, Start, Stop,
//! Terminate, Run, Invoke, Reboot, Restore, Replace, Associate, Disassociate, Enable, Disable,
//! Change, Reset, Import, Publish, Revoke, Authorize; and any wildcard that covers such a verb
//! (`s3:*`, `iam:Put*`, `*`). Verbs match case-insensitively, as IAM matches actions. It
//! looks at Allow statements of managed and inline policies (trust policies are written by
//! eksfed) and points at the first write action of the statement; one finding per statement.
//!
//! ### Why it matters
//! Writes on every resource of a service reach far beyond what one workload owns. checkov
//! CKV_AWS_111 ("write access without constraints"), CKV_AWS_109 ("permissions management /
//! resource exposure without constraints"), CKV_AWS_355 / CKV_AWS_356 ("'*' as a statement's
//! resource for restrictable actions"), trivy AVD-AWS-0057 ("IAM policy should avoid use of
//! wildcards") and IAM Access Analyzer's security warnings flag it. The verb list is a
//! heuristic: AWS's service authorization reference classifies each action as Read, List,
//! Write, Permissions management or Tagging, and these verbs cover the last three.
//!
//! ### Fix
//! Name the resources (ARNs, with wildcards inside them if needed), or split read-only
//! actions that truly need `*` into their own statement.

use super::util::{documents, is_allow};
use crate::desired::model::DesiredState;
use crate::diag::Diagnostic;

const WRITE_VERBS: &[&str] = &[
    "Create",
    "Put",
    "Delete",
    "Update",
    "Attach",
    "Detach",
    "Add",
    "Remove",
    "Set",
    "Modify",
    "Tag",
    "Untag",
    "Pass",
    "Write",
    "Upload",
    "Send",
    "Start",
    "Stop",
    "Terminate",
    "Run",
    "Invoke",
    "Reboot",
    "Restore",
    "Replace",
    "Associate",
    "Disassociate",
    "Enable",
    "Disable",
    "Change",
    "Reset",
    "Import",
    "Publish",
    "Revoke",
    "Authorize",
];

/// Whether an action pattern covers a write: its verb is a write verb, or its wildcard could
/// match one (`s3:*`, `s3:Put*`, `iam:*Policy` all could). Case-insensitive, as IAM matches.
pub fn is_write(action: &str) -> bool {
    let name = action.split_once(':').map(|x| x.1).unwrap_or(action);
    if action == "*" || name.starts_with('*') || name.starts_with('?') {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    WRITE_VERBS.iter().any(|v| {
        lower.starts_with(&v.to_ascii_lowercase())
            || crate::iam::pattern::matches(name, &format!("{v}X"), true)
    })
}

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for d in documents(desired) {
        for (i, s) in d.statements().iter().enumerate() {
            if !is_allow(s) || !s.resources().iter().any(|r| r == "*") {
                continue;
            }
            let actions = s.actions();
            if let Some(j) = actions.iter().position(|a| is_write(a)) {
                out.push(
                    Diagnostic::warning(
                        "IAM002",
                        format!(
                            "{} allows the write action \"{}\" on every resource (\"*\")",
                            d.what, actions[j]
                        ),
                    )
                    .at(Some(d.span(i, "actions", Some(j))))
                    .address(d.res.address.to_string())
                    .help("name the resources the writes are for in `resources`, or move read-only actions that need \"*\" into a statement of their own"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes() {
        assert!(super::is_write("s3:PutObject"));
        assert!(super::is_write("s3:*"));
        assert!(super::is_write("iam:Pass*"));
        assert!(!super::is_write("s3:GetObject"));
        assert!(!super::is_write("s3:List*"));
        assert!(super::is_write("s3:putobject"));
        assert!(super::is_write("iam:*Policy"));
        assert!(!super::is_write("ec2:Describe*"));
    }
}
