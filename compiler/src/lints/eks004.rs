//! ### What it finds
//! An `access` written as an EKS access entry (cluster `access_mode` `access_entries` or
//! `both`) whose `username` starts with a prefix EKS reserves: `system:`, `eks:`, `aws:`,
//! `amazon:` or `iam:`.
//!
//! ### Why it matters
//! CreateAccessEntry rejects such usernames (InvalidParameterException), so the apply would
//! fail halfway. EKS user guide, "Create access entries": custom usernames cannot start with
//! these prefixes.
//!
//! ### Fix
//! Choose another prefix, e.g. `admin:{{SessionName}}`, or leave `username` out to let EKS
//! generate one.

use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::Diagnostic;

pub const RESERVED: &[&str] = &["system:", "eks:", "aws:", "amazon:", "iam:"];

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        let ResourceKind::Access(a) = &r.kind else {
            continue;
        };
        let Some(user) = &a.username else { continue };
        let entries = desired
            .cluster(&a.cluster)
            .is_some_and(|c| c.access_mode.uses_access_entries());
        if let Some(p) = RESERVED
            .iter()
            .find(|p| user.starts_with(**p))
            .filter(|_| entries)
        {
            out.push(
                Diagnostic::error("EKS004", format!("access entry username \"{user}\" starts with the reserved prefix `{p}`; EKS rejects it"))
                    .at(Some(r.block.span_of("username")))
                    .address(r.address.to_string())
                    .help("use another prefix (e.g. \"admin:{{SessionName}}\") or leave username out"),
            );
        }
    }
}
