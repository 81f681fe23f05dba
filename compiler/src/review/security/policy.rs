//! IAM documents as sets of requests, and the proof `after ⊆ before`.
//!
//! A document allows `(∪ Allow) − (∪ Deny)`. Each Allow statement is split into atoms (one
//! principal, one action pattern or the whole `NotAction` list, one resource pattern or the
//! whole `NotResource` list, the statement's conditions); an atom of `after` is covered when
//! one statement of `before` contains it. Every Deny of `before` must be contained in a Deny
//! of `after`. Then `after ⊆ before` (IAM's evaluation: an explicit Deny wins, then any
//! Allow, else the implicit deny); where a step cannot be
//! proved the atom is reported as broadening — the classifier errs towards a false alarm,
//! never a miss. Reordered, split or merged statements with the same union have every atom
//! covered, so they give no item.

use crate::iam::pattern;
use crate::iam::statement::{statements, Principal};
use serde_json::Value as Json;

#[derive(Debug, Clone, PartialEq)]
pub enum Set {
    /// The patterns listed (`Action`, `Resource`, `Principal`).
    Pos(Vec<String>),
    /// Everything except the patterns (`NotAction`, `NotResource`, `NotPrincipal`).
    Not(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub op: String,
    /// Condition keys are case-insensitive: kept lower-cased for comparison.
    pub key: String,
    pub shown_key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub allow: bool,
    /// `None` in identity policies; principals are written `TYPE:VALUE` or `*`.
    pub principal: Option<Set>,
    pub actions: Set,
    pub resources: Set,
    pub conditions: Vec<Clause>,
}

/// `123456789012` and `arn:aws:iam::123456789012:root` name the same principal.
fn principal_value(ty: &str, v: &str) -> String {
    if ty == "AWS" && v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
        return format!("AWS:arn:aws:iam::{v}:root");
    }
    if ty == "AWS" && v == "*" {
        return "*".into();
    }
    format!("{ty}:{v}")
}

fn principals(p: &Principal) -> Vec<String> {
    match p {
        Principal::Any => vec!["*".into()],
        Principal::Typed(m) => m
            .iter()
            .flat_map(|(ty, vals)| vals.iter().map(move |x| principal_value(ty, x)))
            .collect(),
        Principal::Bare(v) => v.clone(),
    }
}

/// Statements of a document. `as_after` decides what a statement that names no actions
/// means: everything on the after side, nothing on the before side (sound either way).
pub fn parse(doc: Option<&Json>, as_after: bool) -> Vec<Stmt> {
    let Some(doc) = doc else { return vec![] };
    statements(doc)
        .into_iter()
        .map(|s| {
            let allow = !s.is_deny();
            let set = |pos: &Option<Vec<String>>, neg: &Option<Vec<String>>, default: Set| match (
                pos, neg,
            ) {
                (Some(v), _) => Set::Pos(v.clone()),
                (None, Some(v)) => Set::Not(v.clone()),
                (None, None) => default,
            };
            let principal = match (&s.principal, &s.not_principal) {
                (Some(p), _) => Some(Set::Pos(principals(p))),
                (None, Some(p)) => Some(Set::Not(principals(p))),
                _ => None,
            };
            // An allow that names nothing: on the after side assume everything.
            let nothing = if as_after == allow {
                Set::Pos(vec!["*".into()])
            } else {
                Set::Pos(vec![])
            };
            let conditions = s
                .condition
                .iter()
                .flatten()
                .filter_map(|c| {
                    let k = c.key.as_ref()?;
                    Some(Clause {
                        op: c.op.clone(),
                        key: k.to_lowercase(),
                        shown_key: k.clone(),
                        values: c.values.clone(),
                    })
                })
                .collect();
            Stmt {
                allow,
                principal,
                actions: set(&s.action, &s.not_action, nothing),
                resources: set(&s.resource, &s.not_resource, Set::Pos(vec!["*".into()])),
                conditions,
            }
        })
        .collect()
}

/// The policy variables of patterns, by name lower-cased.
fn vars<'a>(ps: impl IntoIterator<Item = &'a String>) -> std::collections::BTreeSet<String> {
    ps.into_iter()
        .flat_map(|p| pattern::variables(p))
        .map(|v| v.to_lowercase())
        .collect()
}

/// Every request `inner` admits, `outer` admits too.
///
/// A `NotResource` list holding a policy variable the request has no value for matches
/// nothing (the statement does not apply: IAM user guide, "policy variables with no value";
/// the simulator agrees). So such an outer list covers only requests that need the same
/// variables: inner patterns that use every one of them.
pub fn set_contains(outer: &Set, inner: &Set, fold: bool) -> bool {
    match (outer, inner) {
        (Set::Pos(o), Set::Pos(i)) => i
            .iter()
            .all(|x| o.iter().any(|y| pattern::contains(y, x, fold))),
        (Set::Not(o), Set::Pos(i)) => {
            let needed = vars(o);
            i.iter().all(|x| {
                needed.is_subset(&vars([x])) && o.iter().all(|y| !pattern::intersect(x, y, fold))
            })
        }
        (Set::Pos(o), Set::Not(_)) => o.iter().any(|y| y == "*"),
        (Set::Not(o), Set::Not(i)) => {
            vars(o).is_subset(&vars(i))
                && o.iter()
                    .all(|y| i.iter().any(|x| pattern::contains(x, y, fold)))
        }
    }
}

/// Principals do not take partial wildcards: `*` is everyone, anything else is itself.
fn principal_contains(outer: &Option<Set>, inner: &Option<Set>) -> bool {
    match (outer, inner) {
        (None, None) => true,
        (Some(Set::Pos(o)), Some(Set::Pos(i))) => {
            o.iter().any(|x| x == "*") || i.iter().all(|x| o.contains(x))
        }
        (Some(Set::Pos(o)), Some(Set::Not(_))) => o.iter().any(|x| x == "*"),
        (Some(Set::Not(o)), Some(Set::Not(i))) => o.iter().all(|x| i.contains(x)),
        (Some(Set::Not(o)), Some(Set::Pos(i))) => {
            !i.iter().any(|x| x == "*") && i.iter().all(|x| !o.contains(x))
        }
        _ => false,
    }
}

fn base(op: &str) -> (&str, &str, bool) {
    let (prefix, rest) = match op.split_once(':') {
        Some((p, r)) => (p, r),
        None => ("", op),
    };
    match rest.strip_suffix("IfExists") {
        Some(b) => (prefix, b, true),
        None => (prefix, rest, false),
    }
}

fn negated(op: &str) -> bool {
    op.contains("Not") && op != "Null"
}

/// Values of `StringEquals`/`StringLike` (and the ARN pair) as patterns: `literal` when the
/// operator takes `*` literally.
fn family(op: &str) -> Option<(&'static str, bool)> {
    match op {
        "StringEquals" => Some(("string", true)),
        "StringLike" => Some(("string", false)),
        // ArnEquals and ArnLike both match with wildcards.
        "ArnEquals" | "ArnLike" => Some(("arn", false)),
        _ => None,
    }
}

/// Whenever clause `a` holds, clause `b` holds.
pub fn clause_implies(a: &Clause, b: &Clause) -> bool {
    if a.key != b.key {
        return false;
    }
    let (pa, oa, ia) = base(&a.op);
    let (pb, ob, ib) = base(&b.op);
    if pa != pb || (ia && !ib) {
        return false;
    }
    if negated(oa) || negated(ob) {
        // Values NOR: excluding more is stronger.
        if oa != ob || !pa.is_empty() {
            return oa == ob && a.values == b.values;
        }
        let like = oa.contains("Like") || oa.starts_with("Arn");
        return b.values.iter().all(|w| {
            a.values.iter().any(|v| {
                if like {
                    pattern::contains(v, w, false)
                } else {
                    v == w
                }
            })
        });
    }
    match (family(oa), family(ob)) {
        (Some((fa, la)), Some((fb, lb))) if fa == fb => a.values.iter().all(|v| {
            let inner = pattern::tokens(v, false, la);
            b.values
                .iter()
                .any(|w| pattern::contains_toks(&pattern::tokens(w, false, lb), &inner))
        }),
        _ => oa == ob && a.values.iter().all(|v| b.values.contains(v)),
    }
}

/// Whenever all of `a` hold, all of `b` hold: each clause of `b` implied by one of `a`.
pub fn conditions_imply(a: &[Clause], b: &[Clause]) -> bool {
    b.iter().all(|cb| a.iter().any(|ca| clause_implies(ca, cb)))
}

/// One principal, one action pattern (or the whole NotAction list), one resource pattern
/// (or the whole NotResource list), the statement's conditions.
#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    pub principal: Option<Set>,
    pub action: Set,
    pub resource: Set,
    pub conditions: Vec<Clause>,
}

fn split(s: &Set) -> Vec<Set> {
    match s {
        Set::Pos(v) => v.iter().map(|x| Set::Pos(vec![x.clone()])).collect(),
        n => vec![n.clone()],
    }
}

pub fn atoms(s: &Stmt) -> Vec<Atom> {
    let ps: Vec<Option<Set>> = match &s.principal {
        None => vec![None],
        Some(p) => split(p).into_iter().map(Some).collect(),
    };
    let mut out = vec![];
    for p in &ps {
        for a in split(&s.actions) {
            for r in split(&s.resources) {
                out.push(Atom {
                    principal: p.clone(),
                    action: a.clone(),
                    resource: r.clone(),
                    conditions: s.conditions.clone(),
                });
            }
        }
    }
    out
}

/// The statement admits every request of the atom.
pub fn covers(s: &Stmt, a: &Atom) -> bool {
    covers_target(s, a) && conditions_imply(&a.conditions, &s.conditions)
}

/// The same, ignoring conditions (to tell "new action" from "weaker conditions").
pub fn covers_target(s: &Stmt, a: &Atom) -> bool {
    principal_contains(&s.principal, &a.principal)
        && set_contains(&s.actions, &a.action, true)
        && set_contains(&s.resources, &a.resource, false)
}

#[derive(Debug, Default)]
pub struct Delta {
    /// Allow atoms of after that no Allow of before covers.
    pub new_allows: Vec<Atom>,
    /// Deny atoms of before that no Deny of after covers.
    pub lost_denies: Vec<Atom>,
    /// Allow atoms of before that no Allow of after covers.
    pub lost_allows: Vec<Atom>,
    /// Deny atoms of after that no Deny of before covers.
    pub new_denies: Vec<Atom>,
}

impl Delta {
    pub fn broadens(&self) -> bool {
        !self.new_allows.is_empty() || !self.lost_denies.is_empty()
    }
}

fn uncovered(from: &[Stmt], by: &[Stmt], allow: bool) -> Vec<Atom> {
    let by: Vec<&Stmt> = by.iter().filter(|s| s.allow == allow).collect();
    from.iter()
        .filter(|s| s.allow == allow)
        .flat_map(atoms)
        .filter(|a| !by.iter().any(|s| covers(s, a)))
        .collect()
}

/// Compares two documents (either may be absent: nothing allowed, nothing denied).
pub fn compare(before: Option<&Json>, after: Option<&Json>) -> Delta {
    // The sound reading for the proof: after as wide as it may be, before as narrow.
    delta(&parse(before, false), &parse(after, true))
}

/// Compares several documents taken together (a role's inline policies).
pub fn compare_many(before: &[&Json], after: &[&Json]) -> Delta {
    delta(&parse_many(before, false), &parse_many(after, true))
}

/// The statements of several documents taken together, in order.
pub fn parse_many(docs: &[&Json], as_after: bool) -> Vec<Stmt> {
    docs.iter().flat_map(|d| parse(Some(d), as_after)).collect()
}

/// The delta between statements parsed as [`compare`] parses them: `before` with `as_after`
/// false, `after` with it true. For a caller that reads the statements too, parsed once.
pub fn delta(before: &[Stmt], after: &[Stmt]) -> Delta {
    Delta {
        new_allows: uncovered(after, before, true),
        lost_denies: uncovered(before, after, false),
        lost_allows: uncovered(before, after, true),
        new_denies: uncovered(after, before, false),
    }
}

/// How a document tests tags: for each tag key (lower-cased; `*` when the key itself is a
/// variable), the way it is tested as written — a condition key (`aws:PrincipalTag/KEY`,
/// `aws:ResourceTag/KEY`, `iam:ResourceTag/KEY`, `aws:RequestTag/KEY`, any service's
/// `…:ResourceTag/KEY`) or a policy variable in a resource or a condition value
/// (`${aws:PrincipalTag/KEY}`). With attribute-based access a changed tag value changes what
/// such a document allows.
pub fn tag_tests(doc: &Json) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    let mut push = |k: String, how: String| {
        if !out.iter().any(|(k2, h2)| *k2 == k && *h2 == how) {
            out.push((k, how));
        }
    };
    for s in parse(Some(doc), true) {
        for c in &s.conditions {
            if let Some(k) = tag_key(&c.key) {
                push(k, c.shown_key.clone());
            }
        }
        let values = s.conditions.iter().flat_map(|c| c.values.iter());
        let resources = match &s.resources {
            Set::Pos(v) | Set::Not(v) => v.iter(),
        };
        for v in resources.chain(values) {
            for var in pattern::variables(v) {
                let name = var[2..var.len() - 1].split(',').next().unwrap_or("").trim();
                if let Some(k) = tag_key(&name.to_lowercase()) {
                    push(k, var.clone());
                }
            }
        }
    }
    out
}

/// The tag key a condition key or variable name (lower-cased) reads, if it reads one.
fn tag_key(key: &str) -> Option<String> {
    let (_, rest) = key.split_once(':')?;
    ["principaltag/", "resourcetag/", "requesttag/"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
        .map(|k| {
            if k.contains("${") {
                "*".to_string()
            } else {
                k.to_string()
            }
        })
}

pub fn show_set(s: &Set) -> String {
    match s {
        Set::Pos(v) => v.join(", "),
        Set::Not(v) => format!("everything except {}", v.join(", ")),
    }
}

pub fn show_conditions(c: &[Clause]) -> String {
    if c.is_empty() {
        return "no condition".into();
    }
    c.iter()
        .map(|c| format!("{} {} {}", c.op, c.shown_key, c.values.join("|")))
        .collect::<Vec<_>>()
        .join(" and ")
}
