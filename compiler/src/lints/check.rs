//! Stage `check`: runs every lint rule over the desired state and marks findings silenced by
//! `allow_lints` (on the resource, or on the `stack` block for all).

use crate::desired::model::DesiredState;
use crate::diag::Diagnostics;
use crate::lints;

pub fn check(desired: &DesiredState, diags: &mut Diagnostics) {
    let mut found = Vec::new();
    for rule in lints::RULES {
        let before = found.len();
        (rule.check)(desired, &mut found);
        for d in &mut found[before..] {
            d.code = rule.code.to_string();
        }
    }
    for mut d in found {
        // An `existing = true` object is not the stack's to fix.
        let res = d
            .address
            .as_deref()
            .and_then(crate::language::value::Address::parse);
        if res
            .and_then(|a| desired.get(&a))
            .is_some_and(|r| r.is_existing())
        {
            continue;
        }
        let on_resource = d
            .address
            .as_ref()
            .and_then(|a| crate::language::value::Address::parse(a))
            .and_then(|a| desired.get(&a))
            .is_some_and(|r| r.allow_lints.iter().any(|c| c == &d.code));
        if on_resource || desired.stack.allow_lints.iter().any(|c| c == &d.code) {
            d.allowed = true;
        }
        diags.push(d);
    }
}
