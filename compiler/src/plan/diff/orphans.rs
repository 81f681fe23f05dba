//! Deletes: owned objects no longer declared, everything under `destroy`, `prevent_destroy`
//! (E0702), and the order deletes run in (dependents first, by the kind's tier).

use crate::desired::model::DesiredState;
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds;
use crate::kinds::kind::ObjectKey;
use crate::language::value::Address;
use crate::plan::live::{self, LiveState};
use crate::plan::rendered::RenderedKind;
use crate::plan::{Action, Change};
use std::collections::{BTreeMap, BTreeSet};

/// A delete (or replace) of a resource with `lifecycle.prevent_destroy`.
pub const E_PREVENT_DESTROY: &str = "E0702";

/// A delete with its tier: lower tiers are deleted first.
pub(super) type Delete = (u8, Change);

fn delete_tier(kind: &RenderedKind) -> u8 {
    kinds::of(kind).delete_tier()
}

/// Owned live objects no resource consumed: deleted. Their fingerprints go into `read`.
pub(super) fn orphans(
    live: &LiveState,
    stack: &str,
    consumed: &BTreeSet<ObjectKey>,
    read: &mut BTreeMap<ObjectKey, String>,
) -> Vec<Delete> {
    let mut deletes = vec![];
    for o in &live.objects {
        if consumed.contains(&o.key) || o.owner.as_deref() != Some(stack) {
            continue;
        }
        read.insert(o.key.clone(), o.fingerprint.clone());
        let address = crate::kinds::orphan_address(&o.piece);
        deletes.push((
            delete_tier(&o.piece),
            Change {
                address: address.clone(),
                kind: o.piece.type_name().to_string(),
                action: Action::Delete,
                reason: Some("owned by this stack but no longer declared".into()),
                before: Some(live::resource(address, o.piece.clone())),
                after: None,
                depends_on: vec![],
                keys: vec![o.key.clone()],
                importing: None,
                sensitive: vec![],
                security: vec![],
            },
        ));
    }
    deletes
}

fn resource_of<'d>(
    desired: &'d DesiredState,
    address: &str,
) -> Option<&'d crate::desired::model::Resource> {
    desired.get(&Address::parse(address).unwrap_or_else(|| Address::new("?", "?", None)))
}

/// `destroy`: every declared object that is live becomes a delete (all of `changes` is
/// taken); one with `prevent_destroy` is refused (E0702) and kept.
pub(super) fn destroy_all(
    changes: &mut Vec<Change>,
    desired: &DesiredState,
    diags: &mut Diagnostics,
) -> Vec<Delete> {
    let mut out = vec![];
    for c in changes.drain(..) {
        if let Some(before) = c.before {
            let res = resource_of(desired, &c.address);
            if res.is_some_and(|r| r.prevent_destroy) {
                diags.push(
                    Diagnostic::error(
                        E_PREVENT_DESTROY,
                        format!(
                            "{} has lifecycle.prevent_destroy; destroy refuses to delete it",
                            c.address
                        ),
                    )
                    .at(res.map(|r| r.block.span.clone()))
                    .address(c.address.clone()),
                );
                continue;
            }
            let tier = delete_tier(&before.kind);
            out.push((
                tier,
                Change {
                    action: Action::Delete,
                    reason: Some("destroy".into()),
                    after: None,
                    depends_on: vec![],
                    before: Some(before),
                    ..c
                },
            ));
        }
    }
    out
}

/// E0702 for each replace of a resource with `prevent_destroy`.
pub(super) fn refuse_protected_replaces(
    changes: &[Change],
    desired: &DesiredState,
    diags: &mut Diagnostics,
) {
    for c in changes {
        if c.action == Action::Replace {
            if let Some(res) = resource_of(desired, &c.address) {
                if res.prevent_destroy {
                    diags.push(
                        Diagnostic::error(
                            E_PREVENT_DESTROY,
                            format!(
                                "{} must be replaced ({}), but has lifecycle.prevent_destroy",
                                c.address,
                                c.reason.clone().unwrap_or_default()
                            ),
                        )
                        .at(Some(res.block.span.clone()))
                        .address(c.address.clone()),
                    );
                }
            }
        }
    }
}

/// Deletes in the order they run: dependents first, each tier after the one before it
/// (`depends_on` names every delete of the earlier tiers).
pub(super) fn ordered(mut deletes: Vec<Delete>) -> Vec<Change> {
    deletes.sort_by(|a, b| (a.0, &a.1.address).cmp(&(b.0, &b.1.address)));
    let mut prev_tier_addrs: Vec<String> = vec![];
    let mut cur_tier = None;
    let mut cur_addrs: Vec<String> = vec![];
    for (tier, c) in &mut deletes {
        if cur_tier != Some(*tier) {
            prev_tier_addrs.append(&mut cur_addrs);
            cur_tier = Some(*tier);
        }
        c.depends_on = prev_tier_addrs.clone();
        cur_addrs.push(c.address.clone());
    }
    deletes.into_iter().map(|(_, c)| c).collect()
}
