//! The action decision: no-op, update or replace for a resource found live (create when it is
//! not), and the pairings that turn a create and a delete into one replace.

use super::normalize::normalize;
use crate::kinds;
use crate::plan::live;
use crate::plan::rendered::RenderedKind;
use crate::plan::rendered::RenderedResource;
use crate::plan::{Action, Change};
use std::collections::BTreeMap;

/// What to do with a resource: `compared` is its live object (`None`: not there).
pub(super) fn decide(
    compared: Option<&RenderedKind>,
    desired: &RenderedKind,
) -> (Action, Option<String>) {
    match compared {
        None => (Action::Create, None),
        Some(b) => {
            if normalize(b, desired) == normalize(desired, desired) {
                (Action::NoOp, None)
            } else if let Some(why) = kinds::of(b).replace_reason(b, desired) {
                (Action::Replace, Some(why))
            } else {
                (Action::Update, None)
            }
        }
    }
}

/// A recreated role is a new principal: its access entries must be recreated too.
/// `replaced_roles` maps the ARN of each replaced role to its address.
pub(super) fn follow_replaced_roles(
    changes: &mut [Change],
    replaced_roles: &BTreeMap<String, String>,
) {
    for c in changes {
        if let Some(RenderedResource {
            kind:
                RenderedKind::Access {
                    access_entry: Some(e),
                    ..
                },
            ..
        }) = &c.after
        {
            if let Some(role) = replaced_roles.get(&e.principal_arn) {
                if c.action != Action::Create {
                    c.action = Action::Replace;
                    c.reason = Some(format!("{role} is replaced; an access entry stops working when its role is recreated"));
                }
            }
        }
    }
}

/// A create and a delete of the same type, one each: the object was renamed (URL or name
/// changed). Shown and applied as one replace.
pub(super) fn pair_replacements(changes: &mut [Change], deletes: &mut Vec<(u8, Change)>) {
    for (kind, what) in kinds::ALL
        .iter()
        .filter_map(|k| Some((k.type_name(), k.renamed_by()?)))
    {
        let creates: Vec<usize> = changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == kind && c.action == Action::Create)
            .map(|(i, _)| i)
            .collect();
        let dels: Vec<usize> = deletes
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| c.kind == kind)
            .map(|(i, _)| i)
            .collect();
        if creates.len() == 1 && dels.len() == 1 {
            let (_, d) = deletes.remove(dels[0]);
            let c = &mut changes[creates[0]];
            c.action = Action::Replace;
            c.reason = Some(format!("{what} changed (was {})", d.address));
            c.before = d.before.map(|b| live::resource(c.address.clone(), b.kind));
            c.keys.extend(d.keys);
        }
    }
}

/// An access entry's principal is immutable: when its role's ARN changes (path or name), the
/// entry for the new ARN is created and the one for the old ARN deleted. Shown as one replace
/// when the old entry belongs to a role of the same name in the same cluster.
pub(super) fn pair_access_entries(changes: &mut [Change], deletes: &mut Vec<(u8, Change)>) {
    let role_name = |arn: &str| arn.rsplit('/').next().unwrap_or(arn).to_string();
    for c in changes
        .iter_mut()
        .filter(|c| c.kind == "access" && c.action == Action::Create)
    {
        let Some(RenderedResource {
            kind:
                RenderedKind::Access {
                    cluster,
                    access_entry: Some(new),
                    ..
                },
            ..
        }) = &c.after
        else {
            continue;
        };
        let found = deletes.iter().position(|(_, d)| {
            matches!(&d.before, Some(RenderedResource { kind: RenderedKind::Access { cluster: dc, access_entry: Some(old), .. }, .. })
                if dc == cluster && role_name(&old.principal_arn) == role_name(&new.principal_arn) && old.principal_arn != new.principal_arn)
        });
        if let Some(i) = found {
            let (_, d) = deletes.remove(i);
            let old_arn = match &d.before {
                Some(RenderedResource {
                    kind:
                        RenderedKind::Access {
                            access_entry: Some(o),
                            ..
                        },
                    ..
                }) => o.principal_arn.clone(),
                _ => String::new(),
            };
            c.action = Action::Replace;
            c.reason = Some(format!("principal changed from {old_arn} (an access entry's principal is immutable; the role was recreated)"));
            c.before = d.before.map(|b| live::resource(c.address.clone(), b.kind));
            c.keys.extend(d.keys);
        }
    }
}
