//! Drawing the review: the text section (`Security review:`, one line per item, `!` for
//! broadens and `-` for narrows) and the rows of the markdown table.

use super::Effect;
use crate::plan::Plan;
use serde_json::Value as Json;

/// The `Security review:` section printed before the changes.
pub fn text(plan: &Plan, paint: &dyn Fn(&str, &str) -> String) -> String {
    let items: Vec<_> = plan
        .changes
        .iter()
        .flat_map(|c| c.security.iter())
        .collect();
    if items.is_empty() {
        return "Security review: no change to access.\n\n".to_string();
    }
    let mut out = format!("{}\n", paint("1", "Security review:"));
    for i in items {
        let line = match i.effect {
            Effect::Broadens => paint("31", &format!("! {}{}", i.message, drift(i))),
            Effect::Narrows => paint("32", &format!("- {}{}", i.message, drift(i))),
        };
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&format!(
        "  {} of {} changes broaden access.\n\n",
        plan.broadening,
        plan.changes
            .iter()
            .filter(|c| c.action != crate::plan::Action::NoOp)
            .count()
    ));
    out
}

/// What a drift item adds to its message in text and markdown.
pub const DRIFT: &str = " (repairs drift)";

fn drift(i: &super::SecurityItem) -> &'static str {
    if i.drift {
        DRIFT
    } else {
        ""
    }
}

/// Rows for the markdown template: `icon`, `effect`, `kind`, `address_cell`,
/// `message_cell`, `change_cell` (before → after), made safe for table cells by `cell`.
pub fn rows(
    plan: &Plan,
    cell: &dyn Fn(&str) -> String,
    code: &dyn Fn(&str) -> String,
) -> Vec<Json> {
    let mut out = vec![];
    for c in &plan.changes {
        for i in &c.security {
            let (icon, effect) = match i.effect {
                Effect::Broadens => ("⚠️", "broadens"),
                Effect::Narrows => ("✅", "narrows"),
            };
            let side = |s: &Option<String>| match s {
                Some(s) => format!("`{}`", code(s).replace('`', "'")),
                None => "—".to_string(),
            };
            let change = if i.before.is_none() && i.after.is_none() {
                String::new()
            } else {
                format!("{} → {}", side(&i.before), side(&i.after))
            };
            out.push(serde_json::json!({
                "icon": icon, "effect": effect,
                "kind": serde_json::to_value(i.kind).unwrap_or_default(),
                "address": c.address, "address_cell": code(&c.address),
                "message": i.message, "message_cell": cell(&format!("{}{}", i.message, drift(i))),
                "drift": i.drift,
                "change_cell": change,
            }));
        }
    }
    out
}
