//! Saved plans apply only what the configuration says: an edited plan file is refused.
//! `apply PLANFILE` plans the
//! recorded configuration again (same stack directory, variables and targets; facts learned
//! again) and compares that fresh plan with the saved one, field by field:
//!
//! - what the configuration alone decides — stack, account, partition, the `aws` settings,
//!   the clusters and how they are reached, the facts, the set of declared changes and each
//!   one's `after`, `type` and `depends_on` — must be equal, or the file was edited;
//! - what the live state decides — the fingerprints read, each change's `before`, `action`,
//!   `reason` and `keys`, the deletes, the order — must be equal too: when the fingerprints
//!   differ the plan is stale, otherwise the file was edited.
//!
//! Pure: both plans are values; the session does the reading.

use crate::plan::{Change, Plan};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt;

/// One field where the saved plan is not what the configuration gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The change's address, or `plan` for plan-level fields.
    pub address: String,
    /// The field, as a path: `after.policies[1]`, `aws.endpoint`, `clusters.demo.kube_context`.
    pub field: String,
    /// What the saved plan says (JSON, shortened).
    pub saved: String,
    /// What the configuration compiles to (JSON, shortened).
    pub config: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: `{}` is {} in the plan file, the configuration gives {}",
            self.address, self.field, self.saved, self.config
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The saved plan is exactly what the configuration and the live state give.
    Same,
    /// The plan file says something the configuration does not.
    Edited(Vec<Difference>),
    /// Live objects the plan read have changed since (the staleness check).
    Stale(Vec<String>),
}

const SHOWN: usize = 120;

fn short(v: &Json) -> String {
    let s = match v {
        Json::Null => "absent".to_string(),
        _ => v.to_string(),
    };
    if s.chars().count() > SHOWN {
        format!("{}...", s.chars().take(SHOWN).collect::<String>())
    } else {
        s
    }
}

fn to_json<T: Serialize>(v: &T) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// Every leaf path where `a` and `b` differ (objects by key, arrays by index).
fn json_diffs(address: &str, path: &str, a: &Json, b: &Json, out: &mut Vec<Difference>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                json_diffs(
                    address,
                    &p,
                    x.get(k).unwrap_or(&Json::Null),
                    y.get(k).unwrap_or(&Json::Null),
                    out,
                );
            }
        }
        (Json::Array(x), Json::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                json_diffs(
                    address,
                    &format!("{path}[{i}]"),
                    x.get(i).unwrap_or(&Json::Null),
                    y.get(i).unwrap_or(&Json::Null),
                    out,
                );
            }
        }
        _ => out.push(Difference {
            address: address.to_string(),
            field: path.to_string(),
            saved: short(a),
            config: short(b),
        }),
    }
}

fn field<T: Serialize>(address: &str, name: &str, saved: &T, fresh: &T, out: &mut Vec<Difference>) {
    json_diffs(address, name, &to_json(saved), &to_json(fresh), out);
}

fn declared(p: &Plan) -> BTreeMap<&str, &Change> {
    p.changes
        .iter()
        .filter(|c| c.after.is_some())
        .map(|c| (c.address.as_str(), c))
        .collect()
}

/// Differences in what the configuration alone decides.
pub fn config_differences(saved: &Plan, fresh: &Plan) -> Vec<Difference> {
    let mut out = vec![];
    let p = "plan";
    field(
        p,
        "format_version",
        &saved.format_version,
        &fresh.format_version,
        &mut out,
    );
    field(p, "stack", &saved.stack, &fresh.stack, &mut out);
    field(
        p,
        "account_id",
        &saved.account_id,
        &fresh.account_id,
        &mut out,
    );
    field(p, "partition", &saved.partition, &fresh.partition, &mut out);
    field(p, "aws", &saved.aws, &fresh.aws, &mut out);
    field(p, "clusters", &saved.clusters, &fresh.clusters, &mut out);
    field(
        p,
        "create_namespaces",
        &saved.create_namespaces,
        &fresh.create_namespaces,
        &mut out,
    );
    let facts = |x: &Plan| x.source.as_ref().map(|s| s.facts.clone());
    field(p, "source.facts", &facts(saved), &facts(fresh), &mut out);
    let (s, f) = (declared(saved), declared(fresh));
    for (addr, c) in &s {
        match f.get(addr) {
            None => out.push(Difference {
                address: addr.to_string(),
                field: "change".into(),
                saved: format!("a {} of {}", c.action.verb(), c.kind),
                config: "nothing: the configuration does not declare it".into(),
            }),
            Some(g) => {
                field(addr, "type", &c.kind, &g.kind, &mut out);
                field(addr, "after", &c.after, &g.after, &mut out);
                field(addr, "depends_on", &c.depends_on, &g.depends_on, &mut out);
            }
        }
    }
    for (addr, g) in &f {
        if !s.contains_key(addr) {
            out.push(Difference {
                address: addr.to_string(),
                field: "change".into(),
                saved: "absent".into(),
                config: format!("a {} of {}", g.action.verb(), g.kind),
            });
        }
    }
    out
}

/// Differences in what the live state decides.
pub fn live_differences(saved: &Plan, fresh: &Plan) -> Vec<Difference> {
    let mut out = vec![];
    let order = |x: &Plan| {
        x.changes
            .iter()
            .map(|c| c.address.clone())
            .collect::<Vec<_>>()
    };
    let by_addr = |x: &Plan| -> BTreeMap<String, Change> {
        x.changes
            .iter()
            .map(|c| (c.address.clone(), c.clone()))
            .collect()
    };
    let (s, f) = (by_addr(saved), by_addr(fresh));
    for (addr, c) in &s {
        match f.get(addr) {
            None => out.push(Difference {
                address: addr.clone(),
                field: "change".into(),
                saved: format!("a {} of {}", c.action.verb(), c.kind),
                config: "no such change".into(),
            }),
            Some(g) => {
                field(addr, "action", &c.action, &g.action, &mut out);
                field(addr, "reason", &c.reason, &g.reason, &mut out);
                field(addr, "before", &c.before, &g.before, &mut out);
                field(addr, "keys", &c.keys, &g.keys, &mut out);
                field(addr, "after", &c.after, &g.after, &mut out);
            }
        }
    }
    for (addr, g) in &f {
        if !s.contains_key(addr) {
            out.push(Difference {
                address: addr.clone(),
                field: "change".into(),
                saved: "absent".into(),
                config: format!("a {} of {}", g.action.verb(), g.kind),
            });
        }
    }
    if out.is_empty() {
        field(
            "plan",
            "changes (order)",
            &order(saved),
            &order(fresh),
            &mut out,
        );
    }
    field("plan", "read", &saved.read, &fresh.read, &mut out);
    out
}

/// The live objects whose fingerprint in `saved` is not the one just read (`fresh`).
pub fn moved(saved: &Plan, fresh: &Plan) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> =
        saved.read.keys().chain(fresh.read.keys()).collect();
    keys.into_iter()
        .filter(|k| saved.read.get(*k) != fresh.read.get(*k))
        .cloned()
        .collect()
}

/// Compares a saved plan with the plan made again from its configuration and the live state.
pub fn verdict(saved: &Plan, fresh: &Plan) -> Verdict {
    let config = config_differences(saved, fresh);
    if !config.is_empty() {
        return Verdict::Edited(config);
    }
    let live = live_differences(saved, fresh);
    if live.is_empty() {
        return Verdict::Same;
    }
    let moved = moved(saved, fresh);
    // Fingerprints are recorded with the plan: if every one still matches, the live state
    // gives exactly what it gave then, so any other difference was written into the file.
    if moved.is_empty() {
        Verdict::Edited(live)
    } else {
        Verdict::Stale(moved)
    }
}
