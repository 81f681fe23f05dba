//! The security review of a plan: for every change, what it does to access — whether after
//! it some request could be allowed that was not allowed before (**broadens**) or access
//! only shrinks (**narrows**), in the reviewer's words. Pure: it reads the plan's before and
//! after objects (and the live snapshot, for roles outside the stack that a managed policy
//! is attached to). DSL.md "Security review of every plan".
//!
//! Sound first: where `after ⊆ before` cannot be proved ([`policy`]), the item says
//! broadens. Known false alarms (documented in README.md): a SAML provider's metadata
//! rewritten without a change of signer, a permissions boundary replaced by an equal one
//! under another ARN, a set of actions covered only by the union of several wildcards.

pub mod drift;
pub mod glob;
pub mod item;
pub mod policy;
pub mod show;

pub use item::{AccessKind, Effect, SecurityItem};

use crate::live::LiveState;
use crate::plan::{Action, Change, Plan};
use crate::render::{AccessEntry, AwsAuthEntry, RenderedKind};
use indexmap::IndexMap;
use policy::{Atom, Delta, Set};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

use AccessKind::*;
use Effect::*;

/// Marks items as drift when their part of the object is unchanged since the last apply.
fn marked(
    mut items: Vec<SecurityItem>,
    unchanged: &[drift::Part],
    part: drift::Part,
) -> Vec<SecurityItem> {
    if unchanged.contains(&part) {
        for i in &mut items {
            i.drift = true;
        }
    }
    items
}

/// [`marked`] for the items pushed since `start`.
fn mark_since(
    out: &mut [SecurityItem],
    start: usize,
    unchanged: &[drift::Part],
    part: drift::Part,
) {
    if unchanged.contains(&part) {
        for i in &mut out[start..] {
            i.drift = true;
        }
    }
}

/// Fills every change's `security` and the plan's `broadening`.
pub fn review(plan: &mut Plan, live: &LiveState) {
    let ctx = Context::new(plan, live);
    let items: Vec<Vec<SecurityItem>> = plan.changes.iter().map(|c| ctx.change(c)).collect();
    for (c, items) in plan.changes.iter_mut().zip(items) {
        c.security = items;
    }
    plan.broadening = plan
        .changes
        .iter()
        .filter(|c| c.security.iter().any(|i| i.effect == Broadens))
        .count();
}

struct Context {
    /// Policy ARN -> the roles it is attached to after the plan (stack addresses first,
    /// then live roles outside the stack).
    attached: BTreeMap<String, Vec<String>>,
    /// Policy ARN -> the address of the stack's policy.
    policy_address: BTreeMap<String, String>,
    /// Tag key (lower-cased; `*` for a key written as a variable) -> the documents that test
    /// it, from the plan and from the live objects outside the stack.
    tested_tags: BTreeMap<String, Vec<TagTest>>,
    /// ARNs of the managed policies whose documents the review has (the plan's, the live
    /// ones read).
    known_policies: BTreeSet<String>,
    /// Live key -> the record of the last apply ([`drift`]), for objects this stack owns.
    applied: BTreeMap<String, String>,
}

/// A document that tests a tag key, for the item that reports the tag's change.
#[derive(Debug, Clone, PartialEq)]
struct TagTest {
    /// The document, in the reviewer's words (`role.ci's inline policy deploy`).
    document: String,
    /// How it tests the key, as written (`iam:ResourceTag/team`, `${aws:PrincipalTag/team}`).
    how: String,
    /// A trust policy: what changes is who may assume a role.
    trust: bool,
}

/// The IAM documents of an object, each named for the reviewer (`whose` is the object's
/// name: an address, or `role NAME (outside the stack)`), and whether it is a trust policy.
fn docs<'k>(k: &'k RenderedKind, whose: &str) -> Vec<(String, &'k Json, bool)> {
    match k {
        RenderedKind::Policy { document, .. } => vec![(whose.to_string(), document, false)],
        RenderedKind::Role {
            trust_policy,
            inline_policies,
            ..
        } => std::iter::once((format!("{whose}'s trust policy"), trust_policy, true))
            .chain(
                inline_policies
                    .iter()
                    .map(|(n, d)| (format!("{whose}'s inline policy {n}"), d, false)),
            )
            .collect(),
        _ => vec![],
    }
}

/// The AWS managed policies (`arn:aws:iam::aws:policy/...`): AWS's, not read.
fn aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
}

impl Context {
    fn new(plan: &Plan, live: &LiveState) -> Self {
        let mut attached: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut policy_address = BTreeMap::new();
        let mut tested_tags: BTreeMap<String, Vec<TagTest>> = BTreeMap::new();
        let mut known_policies = BTreeSet::new();
        let mut stack_roles = BTreeSet::new();
        let mut note_tests = |k: &RenderedKind, whose: &str| {
            if let RenderedKind::Policy { arn, .. } = k {
                known_policies.insert(arn.clone());
            }
            for (document, d, trust) in docs(k, whose) {
                for (key, how) in policy::tag_tests(d) {
                    let t = TagTest {
                        document: document.clone(),
                        how,
                        trust,
                    };
                    let v = tested_tags.entry(key).or_default();
                    if !v.contains(&t) {
                        v.push(t);
                    }
                }
            }
        };
        for c in &plan.changes {
            for r in c.before.iter().chain(c.after.iter()) {
                note_tests(&r.kind, &c.address);
            }
            if let Some(after) = &c.after {
                match &after.kind {
                    RenderedKind::Role { policies, name, .. } => {
                        stack_roles.insert(name.clone());
                        for p in policies {
                            attached
                                .entry(p.clone())
                                .or_default()
                                .push(c.address.clone());
                        }
                    }
                    RenderedKind::Policy { arn, .. } => {
                        policy_address.insert(arn.clone(), c.address.clone());
                    }
                    _ => {}
                }
            }
            if let Some(RenderedKind::Role { name, .. }) = c.before.as_ref().map(|b| &b.kind) {
                stack_roles.insert(name.clone());
            }
        }
        // Documents read live outside the stack (a customer managed policy a role of the stack
        // attaches, a role that attaches one of the stack's policies) may test tags too. The
        // stack's own live objects are the plan's before objects, seen above.
        for o in &live.objects {
            if o.owner.as_deref() == Some(plan.stack.as_str()) {
                continue;
            }
            match &o.piece {
                RenderedKind::Policy { arn, .. } => {
                    note_tests(&o.piece, &format!("policy {arn} (outside the stack)"))
                }
                RenderedKind::Role { name, .. } if !stack_roles.contains(name) => {
                    note_tests(&o.piece, &format!("role {name} (outside the stack)"))
                }
                _ => {}
            }
        }
        let mut applied = BTreeMap::new();
        for o in &live.objects {
            if o.owner.as_deref() == Some(plan.stack.as_str()) {
                if let Some(r) = o.meta.get(drift::META_KEY).and_then(Json::as_str) {
                    applied.insert(o.key.clone(), r.to_string());
                }
                continue;
            }
            if let RenderedKind::Role { name, policies, .. } = &o.piece {
                if stack_roles.contains(name) {
                    continue;
                }
                for p in policies {
                    attached
                        .entry(p.clone())
                        .or_default()
                        .push(format!("role {name} (outside the stack)"));
                }
            }
        }
        Context {
            attached,
            policy_address,
            tested_tags,
            known_policies,
            applied,
        }
    }

    fn change(&self, c: &Change) -> Vec<SecurityItem> {
        if c.action == Action::NoOp {
            return vec![];
        }
        let before = c.before.as_ref().map(|r| &r.kind);
        let after = c.after.as_ref().map(|r| &r.kind);
        let unchanged = match (c.action, before, after) {
            (Action::Update | Action::Replace, Some(b), Some(a)) => crate::live::keys(b)
                .iter()
                .find_map(|k| self.applied.get(k))
                .map(|r| drift::unchanged_parts(r, a))
                .unwrap_or_default(),
            _ => vec![],
        };
        let mut out = match (before, after) {
            (Some(b), None) => vec![deleted(&c.address, b)],
            (b, Some(a)) => self.kind(&c.address, b, a, &unchanged),
            (None, None) => vec![],
        };
        let mut seen = BTreeSet::new();
        out.retain(|i| seen.insert((i.effect, i.message.clone())));
        out
    }

    fn kind(
        &self,
        addr: &str,
        before: Option<&RenderedKind>,
        after: &RenderedKind,
        unchanged: &[drift::Part],
    ) -> Vec<SecurityItem> {
        match after {
            RenderedKind::Role { .. } => self.role(addr, before, after, unchanged),
            RenderedKind::Policy { arn, document, tags, .. } => {
                let (b_doc, b_tags) = match before {
                    Some(RenderedKind::Policy { document, tags, .. }) => (Some(document), Some(tags)),
                    _ => (None, None),
                };
                let mut out = marked(
                    self.managed_policy(addr, arn, b_doc, document),
                    unchanged,
                    drift::Part::Document,
                );
                out.extend(marked(self.tags(addr, b_tags, tags, &[]), unchanged, drift::Part::Tags));
                out
            }
            RenderedKind::OidcProvider { url, client_ids, .. } => {
                oidc_provider(addr, before, url, client_ids)
            }
            RenderedKind::SamlProvider { metadata, .. } => match before {
                Some(RenderedKind::SamlProvider { metadata: m, .. }) if m == metadata => vec![],
                Some(_) => vec![SecurityItem::new(
                    Broadens,
                    Provider,
                    format!("{addr} gets new metadata: IAM may now accept sign-ins it did not (its signing keys are not compared)"),
                )],
                None => vec![SecurityItem::new(
                    Broadens,
                    Provider,
                    format!("{addr} is new: IAM accepts sign-ins from this SAML IdP"),
                )],
            },
            RenderedKind::ServiceAccount { .. } => service_account(addr, before, after),
            RenderedKind::Access { cluster, aws_auth, access_entry } => {
                let (b_auth, b_entry) = match before {
                    Some(RenderedKind::Access { aws_auth, access_entry, .. }) => {
                        (aws_auth.as_ref(), access_entry.as_ref())
                    }
                    _ => (None, None),
                };
                let mut out = vec![];
                if let Some(a) = aws_auth {
                    out.extend(aws_auth_items(addr, cluster, b_auth, a));
                }
                if let Some(a) = access_entry {
                    out.extend(access_entry_items(addr, cluster, b_entry, a));
                }
                out
            }
            RenderedKind::RbacBinding { cluster, manifests } => {
                let b = match before {
                    Some(RenderedKind::RbacBinding { manifests, .. }) => manifests.as_slice(),
                    _ => &[],
                };
                rbac_items(addr, cluster, b, manifests)
            }
        }
    }

    fn role(
        &self,
        addr: &str,
        before: Option<&RenderedKind>,
        after: &RenderedKind,
        unchanged: &[drift::Part],
    ) -> Vec<SecurityItem> {
        let RenderedKind::Role {
            trust_policy,
            policies,
            inline_policies,
            permissions_boundary,
            tags,
            ..
        } = after
        else {
            return vec![];
        };
        let empty = IndexMap::new();
        let (b_trust, b_policies, b_inline, b_boundary, b_tags) = match before {
            Some(RenderedKind::Role {
                trust_policy,
                policies,
                inline_policies,
                permissions_boundary,
                tags,
                ..
            }) => (
                Some(trust_policy),
                policies.as_slice(),
                inline_policies,
                permissions_boundary.as_ref(),
                Some(tags),
            ),
            _ => (None, &[][..], &empty, None, None),
        };
        let mut out = marked(
            trust_items(addr, b_trust, trust_policy),
            unchanged,
            drift::Part::Trust,
        );
        let b_docs: Vec<&Json> = b_inline.values().collect();
        let a_docs: Vec<&Json> = inline_policies.values().collect();
        let delta = policy::compare_many(&b_docs, &a_docs);
        let merged = |docs: &[&Json]| -> Json {
            let all: Vec<Json> = docs.iter().flat_map(|d| policy_statements(d)).collect();
            serde_json::json!({ "Statement": all })
        };
        let b_stmts = policy::parse(Some(&merged(&b_docs)), false);
        let a_stmts = policy::parse(Some(&merged(&a_docs)), true);
        out.extend(marked(
            permission_items(
                (
                    &format!("{addr} may now "),
                    &format!("{addr} may no longer "),
                    &format!("{addr} may "),
                ),
                addr,
                &delta,
                &b_stmts,
                &a_stmts,
            ),
            unchanged,
            drift::Part::Inline,
        ));
        let name = |arn: &String| match self.policy_address.get(arn) {
            Some(a) => format!("{a} ({arn})"),
            None => arn.clone(),
        };
        let start = out.len();
        for p in policies.iter().filter(|p| !b_policies.contains(p)) {
            out.push(
                SecurityItem::new(
                    Broadens,
                    Permissions,
                    format!("{addr} gets the managed policy {}", name(p)),
                )
                .was(None, Some(p.clone())),
            );
        }
        for p in b_policies.iter().filter(|p| !policies.contains(p)) {
            out.push(
                SecurityItem::new(
                    Narrows,
                    Permissions,
                    format!("{addr} loses the managed policy {}", name(p)),
                )
                .was(Some(p.clone()), None),
            );
        }
        mark_since(&mut out, start, unchanged, drift::Part::Attached);
        let start = out.len();
        match (b_boundary, permissions_boundary) {
            (Some(b), None) => out.push(
                SecurityItem::new(Broadens, Permissions, format!("{addr} loses its permissions boundary {b}"))
                    .was(Some(b.clone()), None),
            ),
            (None, Some(a)) if before.is_some() => out.push(
                SecurityItem::new(Narrows, Permissions, format!("{addr} gets the permissions boundary {a}"))
                    .was(None, Some(a.clone())),
            ),
            (Some(b), Some(a)) if a != b => out.push(
                SecurityItem::new(
                    Broadens,
                    Permissions,
                    format!("{addr} changes its permissions boundary to {a} (was {b}); eksfed cannot prove the new one is not wider"),
                )
                .was(Some(b.clone()), Some(a.clone())),
            ),
            _ => {}
        }
        mark_since(&mut out, start, unchanged, drift::Part::Boundary);
        if before.is_some() {
            let attached: Vec<&String> = policies.iter().chain(b_policies).collect();
            out.extend(marked(
                self.tags(addr, b_tags, tags, &attached),
                unchanged,
                drift::Part::Tags,
            ));
        }
        out
    }

    /// A tag whose key a policy tests: with attribute-based access a changed value can
    /// broaden, so it is reported (always as broadens: the other side is not known). A policy
    /// tests a key through a condition on it or a variable naming it, in any document of the
    /// plan or read live ([`policy::tag_tests`]). `attached` are the managed policies of the
    /// role: one whose document eksfed does not have (a customer managed policy it could
    /// not read) might test any key, so every changed key is reported.
    fn tags(
        &self,
        addr: &str,
        before: Option<&IndexMap<String, String>>,
        after: &IndexMap<String, String>,
        attached: &[&String],
    ) -> Vec<SecurityItem> {
        let Some(before) = before else { return vec![] };
        let unread: Vec<&str> = attached
            .iter()
            .filter(|p| !aws_managed(p) && !self.known_policies.contains(**p))
            .map(|p| p.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut keys: BTreeSet<&String> = before.keys().collect();
        keys.extend(after.keys());
        let mut out = vec![];
        for k in keys.into_iter().filter(|k| before.get(*k) != after.get(*k)) {
            let tests: Vec<&TagTest> = [k.to_lowercase(), "*".to_string()]
                .iter()
                .filter_map(|k| self.tested_tags.get(k))
                .flatten()
                .collect();
            if tests.is_empty() && unread.is_empty() {
                continue;
            }
            // "and role.ci's inline policy deploy tests iam:ResourceTag/team", "and ... uses
            // ${aws:PrincipalTag/team}", "and eksfed could not read ...".
            let mut why: Vec<String> = tests
                .iter()
                .map(|t| {
                    let verb = if t.how.starts_with("${") {
                        "uses"
                    } else {
                        "tests"
                    };
                    format!("{} {verb} {}", t.document, t.how)
                })
                .collect();
            if !unread.is_empty() {
                why.push(format!(
                    "eksfed could not read the attached {} {} (it may test the tag)",
                    if unread.len() == 1 {
                        "policy"
                    } else {
                        "policies"
                    },
                    unread.join(", "),
                ));
            }
            let show = |v: Option<&String>| v.map(|v| format!("{v:?}")).unwrap_or("(none)".into());
            let kind = if unread.is_empty() && tests.iter().all(|t| t.trust) {
                Trust
            } else {
                Permissions
            };
            out.push(
                SecurityItem::new(
                    Broadens,
                    kind,
                    format!(
                        "{addr} tag {k} changes from {} to {}, and {}",
                        show(before.get(k)),
                        show(after.get(k)),
                        why.join(", and ")
                    ),
                )
                .was(Some(show(before.get(k))), Some(show(after.get(k)))),
            );
        }
        out
    }

    fn managed_policy(
        &self,
        addr: &str,
        arn: &str,
        before: Option<&Json>,
        after: &Json,
    ) -> Vec<SecurityItem> {
        let delta = policy::compare(before, Some(after));
        let roles = self.attached.get(arn).cloned().unwrap_or_default();
        let whom = if roles.is_empty() {
            " (attached to no role)".to_string()
        } else {
            format!(" for {}", roles.join(", "))
        };
        let b_stmts = policy::parse(before, false);
        let a_stmts = policy::parse(Some(after), true);
        permission_items(
            (
                &format!("{addr} grows{whom}: + "),
                &format!("{addr} shrinks{whom}: - "),
                &format!("{addr} shrinks{whom}: "),
            ),
            addr,
            &delta,
            &b_stmts,
            &a_stmts,
        )
    }
}

fn policy_statements(d: &Json) -> Vec<Json> {
    match d.get("Statement") {
        Some(Json::Array(a)) => a.clone(),
        Some(s @ Json::Object(_)) => vec![s.clone()],
        _ => vec![],
    }
}

fn deleted(addr: &str, before: &RenderedKind) -> SecurityItem {
    let (kind, what) = match before {
        RenderedKind::Role { .. } => (
            Permissions,
            "nobody can assume it any more and its permissions go",
        ),
        RenderedKind::Policy { .. } => (
            Permissions,
            "the roles it is attached to lose what it allows",
        ),
        RenderedKind::OidcProvider { .. } | RenderedKind::SamlProvider { .. } => {
            (Provider, "IAM no longer accepts its tokens")
        }
        RenderedKind::ServiceAccount { .. } => (Workload, "its pods lose the role it gave them"),
        RenderedKind::Access { .. } | RenderedKind::RbacBinding { .. } => {
            (ClusterAccess, "what it granted in the cluster goes")
        }
    };
    SecurityItem::new(Narrows, kind, format!("{addr} is deleted: {what}"))
}

fn show_action(s: &Set) -> String {
    match s {
        Set::Pos(v) => v.join(", "),
        Set::Not(v) => format!("do every action except {}", v.join(", ")),
    }
}

fn show_resource(s: &Set) -> String {
    match s {
        Set::Pos(v) => v.join(", "),
        Set::Not(v) => format!("every resource except {}", v.join(", ")),
    }
}

/// One line of a grouped item: head + actions + " on " + resources + tail.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Line {
    effect: Effect,
    head: String,
    tail: String,
    before: Option<String>,
    after: Option<String>,
}

/// Groups atoms sharing a head and tail: first the actions on one resource, then the
/// resources with the same actions.
fn grouped(kind: AccessKind, lines: Vec<(Line, String, String)>) -> Vec<SecurityItem> {
    let mut by_res: IndexMap<(Line, String), Vec<String>> = IndexMap::new();
    for (l, action, resource) in lines {
        let acts = by_res.entry((l, resource)).or_default();
        if !acts.contains(&action) {
            acts.push(action);
        }
    }
    let mut by_act: IndexMap<(Line, String), Vec<String>> = IndexMap::new();
    for ((l, resource), acts) in by_res {
        let res = by_act.entry((l, acts.join(", "))).or_default();
        if !res.contains(&resource) {
            res.push(resource);
        }
    }
    by_act
        .into_iter()
        .map(|((l, acts), res)| {
            SecurityItem::new(
                l.effect,
                kind,
                format!("{}{acts} on {}{}", l.head, res.join(", "), l.tail),
            )
            .was(l.before, l.after)
        })
        .collect()
}

/// Items for identity-policy deltas. `grow`/`shrink` start the broadening/narrowing lines.
fn permission_items(
    (grow, shrink, restrict): (&str, &str, &str),
    addr: &str,
    delta: &Delta,
    before: &[policy::Stmt],
    after: &[policy::Stmt],
) -> Vec<SecurityItem> {
    let mut lines = vec![];
    let cond_tail = |a: &Atom| {
        if a.conditions.is_empty() {
            String::new()
        } else {
            format!(" when {}", policy::show_conditions(&a.conditions))
        }
    };
    for a in &delta.new_allows {
        // Same target allowed before under other conditions: the conditions got weaker.
        let was = before
            .iter()
            .find(|s| s.allow && policy::covers_target(s, a))
            .map(|s| changed_conditions(&a.conditions, &s.conditions));
        let (tail, b, af) = match was {
            Some((n, w)) => (
                format!(" under weaker conditions: {n} (was {w})"),
                Some(w),
                Some(n),
            ),
            None => (
                cond_tail(a),
                None,
                Some(format!(
                    "{} on {}",
                    show_action(&a.action),
                    show_resource(&a.resource)
                )),
            ),
        };
        lines.push((
            Line {
                effect: Broadens,
                head: grow.to_string(),
                tail,
                before: b,
                after: af,
            },
            show_action(&a.action),
            show_resource(&a.resource),
        ));
    }
    for a in &delta.lost_denies {
        lines.push((
            Line {
                effect: Broadens,
                head: format!("{addr} is no longer denied "),
                tail: cond_tail(a),
                before: Some("Deny".into()),
                after: None,
            },
            show_action(&a.action),
            show_resource(&a.resource),
        ));
    }
    for a in &delta.lost_allows {
        let now = after
            .iter()
            .find(|s| s.allow && policy::covers_target(s, a))
            .map(|s| changed_conditions(&s.conditions, &a.conditions));
        // The same target also reported as broadening: one item says it.
        if now.is_some()
            && delta.new_allows.iter().any(|n| {
                n.action == a.action && n.resource == a.resource && n.principal == a.principal
            })
        {
            continue;
        }
        let (head, tail, b, af) = match now {
            Some((n, w)) => (
                restrict,
                format!(" only when {n} (was {w})"),
                Some(w),
                Some(n),
            ),
            None => (
                shrink,
                cond_tail(a),
                Some(format!(
                    "{} on {}",
                    show_action(&a.action),
                    show_resource(&a.resource)
                )),
                None,
            ),
        };
        lines.push((
            Line {
                effect: Narrows,
                head: head.to_string(),
                tail,
                before: b,
                after: af,
            },
            show_action(&a.action),
            show_resource(&a.resource),
        ));
    }
    for a in &delta.new_denies {
        lines.push((
            Line {
                effect: Narrows,
                head: format!("{addr} is now denied "),
                tail: cond_tail(a),
                before: None,
                after: Some("Deny".into()),
            },
            show_action(&a.action),
            show_resource(&a.resource),
        ));
    }
    grouped(Permissions, lines)
}

/// The clauses that differ between two condition blocks, shown `(new, old)`.
fn changed_conditions(new: &[policy::Clause], old: &[policy::Clause]) -> (String, String) {
    let n: Vec<policy::Clause> = new.iter().filter(|c| !old.contains(c)).cloned().collect();
    let o: Vec<policy::Clause> = old.iter().filter(|c| !new.contains(c)).cloned().collect();
    (policy::show_conditions(&n), policy::show_conditions(&o))
}

/// The `sub` values a trust atom's conditions name.
fn subs(a: &Atom) -> Vec<String> {
    a.conditions
        .iter()
        .filter(|c| c.key.ends_with(":sub"))
        .flat_map(|c| c.values.clone())
        .collect()
}

/// Who a trust atom admits, in the reviewer's words: the `sub` values where there are
/// some, else the principal.
fn who(a: &Atom) -> String {
    let subs = subs(a);
    if !subs.is_empty() {
        return subs.join(" or ");
    }
    match &a.principal {
        Some(Set::Pos(p)) => p
            .iter()
            .map(|p| match p.as_str() {
                "*" => "anyone (*)".to_string(),
                p if p.starts_with("Federated:") => format!("any identity of {}", &p[10..]),
                p => p.split_once(':').map(|x| x.1).unwrap_or(p).to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(Set::Not(p)) => format!("anyone except {}", p.join(", ")),
        None => "anyone".into(),
    }
}

fn trust_items(addr: &str, before: Option<&Json>, after: &Json) -> Vec<SecurityItem> {
    let delta = policy::compare(before, Some(after));
    let b_stmts = policy::parse(before, false);
    let a_stmts = policy::parse(Some(after), true);
    let mut out = vec![];
    for a in &delta.new_allows {
        let me = who(a);
        let same_principal: Vec<&policy::Stmt> = b_stmts
            .iter()
            .filter(|s| s.allow && policy::atoms(s).iter().any(|b| b.principal == a.principal))
            .collect();
        let was: Vec<String> = {
            let mut w: Vec<String> = same_principal
                .iter()
                .flat_map(|s| policy::atoms(s))
                .filter(|b| b.principal == a.principal)
                .map(|b| who(&b))
                .collect();
            w.dedup();
            w
        };
        let item = if was.is_empty() || !was.contains(&me) {
            let suffix = if was.is_empty() {
                String::new()
            } else {
                format!(" (was {})", was.join(", "))
            };
            SecurityItem::new(
                Broadens,
                Trust,
                format!("{addr} may now be assumed by {me}{suffix}"),
            )
            .was((!was.is_empty()).then(|| was.join(", ")), Some(me.clone()))
        } else if let Some(s) = same_principal.iter().find(|s| policy::covers_target(s, a)) {
            let (n, b) = changed_conditions(&a.conditions, &s.conditions);
            SecurityItem::new(
                Broadens,
                Trust,
                format!("{addr} may now be assumed by {me} under weaker conditions: {n} (was {b})"),
            )
            .was(Some(b), Some(n))
        } else {
            SecurityItem::new(
                Broadens,
                Trust,
                format!("{addr} now lets {me} call {}", show_action(&a.action)),
            )
            .was(None, Some(show_action(&a.action)))
        };
        out.push(item);
    }
    for a in &delta.lost_denies {
        out.push(SecurityItem::new(
            Broadens,
            Trust,
            format!(
                "{addr} no longer denies {} to {}",
                show_action(&a.action),
                who(a)
            ),
        ));
    }
    if before.is_some() {
        for a in &delta.lost_allows {
            // Name only the `sub` values no statement of the same principal keeps.
            let kept: BTreeSet<String> = a_stmts
                .iter()
                .filter(|s| s.allow)
                .flat_map(policy::atoms)
                .filter(|x| x.principal == a.principal)
                .flat_map(|x| subs(&x))
                .collect();
            let lost: Vec<String> = subs(a).into_iter().filter(|v| !kept.contains(v)).collect();
            let me = if !lost.is_empty() && lost.len() < subs(a).len() {
                lost.join(" or ")
            } else {
                who(a)
            };
            let still = a_stmts.iter().any(|s| {
                s.allow
                    && policy::atoms(s)
                        .iter()
                        .any(|x| x.principal == a.principal && who(x) == me)
            });
            let msg = if still {
                format!("{addr} may be assumed by {me} under stronger conditions or fewer actions")
            } else {
                format!("{addr} may no longer be assumed by {me}")
            };
            out.push(SecurityItem::new(Narrows, Trust, msg).was(Some(me), None));
        }
        for a in &delta.new_denies {
            out.push(SecurityItem::new(
                Narrows,
                Trust,
                format!("{addr} now denies {} to {}", show_action(&a.action), who(a)),
            ));
        }
    }
    out
}

fn oidc_provider(
    addr: &str,
    before: Option<&RenderedKind>,
    url: &str,
    client_ids: &[String],
) -> Vec<SecurityItem> {
    match before {
        Some(RenderedKind::OidcProvider {
            url: b_url,
            client_ids: b_ids,
            ..
        }) => {
            let mut out = vec![];
            if b_url != url {
                out.push(
                    SecurityItem::new(
                        Broadens,
                        Provider,
                        format!("{addr} now accepts tokens from {url} (was {b_url})"),
                    )
                    .was(Some(b_url.clone()), Some(url.to_string())),
                );
            }
            for id in client_ids.iter().filter(|i| !b_ids.contains(i)) {
                out.push(
                    SecurityItem::new(
                        Broadens,
                        Provider,
                        format!("{addr} now accepts the client id {id}"),
                    )
                    .was(None, Some(id.clone())),
                );
            }
            for id in b_ids.iter().filter(|i| !client_ids.contains(i)) {
                out.push(
                    SecurityItem::new(
                        Narrows,
                        Provider,
                        format!("{addr} no longer accepts the client id {id}"),
                    )
                    .was(Some(id.clone()), None),
                );
            }
            out
        }
        _ => vec![SecurityItem::new(
            Broadens,
            Provider,
            format!(
                "{addr} is new: IAM accepts tokens from {url} for {}",
                client_ids.join(", ")
            ),
        )
        .was(None, Some(url.to_string()))],
    }
}

/// The role a service account's pods get: (IRSA annotation, pod identity association).
fn workload_roles(k: &RenderedKind) -> (Option<String>, Option<String>) {
    match k {
        RenderedKind::ServiceAccount {
            manifest,
            pod_identity_association,
            ..
        } => (
            manifest
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(crate::render::ROLE_ARN_ANNOTATION))
                .and_then(Json::as_str)
                .map(str::to_string),
            pod_identity_association
                .as_ref()
                .map(|p| p.role_arn.clone()),
        ),
        _ => (None, None),
    }
}

fn service_account(
    addr: &str,
    before: Option<&RenderedKind>,
    after: &RenderedKind,
) -> Vec<SecurityItem> {
    let RenderedKind::ServiceAccount {
        cluster, manifest, ..
    } = after
    else {
        return vec![];
    };
    let ns = manifest
        .pointer("/metadata/namespace")
        .and_then(Json::as_str)
        .unwrap_or("default");
    let name = manifest
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .unwrap_or("?");
    let (b_irsa, b_pod) = before.map(workload_roles).unwrap_or_default();
    let (a_irsa, a_pod) = workload_roles(after);
    let mut out = vec![];
    for (how, b, a) in [
        ("through IRSA", b_irsa, a_irsa),
        ("through pod identity", b_pod, a_pod),
    ] {
        match (&b, &a) {
            (b, Some(a)) if b.as_ref() != Some(a) => {
                let was = b.as_ref().map(|b| format!(" (was {b})")).unwrap_or_default();
                out.push(
                    SecurityItem::new(
                        Broadens,
                        Workload,
                        format!("{addr}: pods of {ns}/{name} in cluster {cluster} now get the role {a} {how}{was}"),
                    )
                    .was(b.clone(), Some(a.clone())),
                );
            }
            (Some(b), None) => out.push(
                SecurityItem::new(
                    Narrows,
                    Workload,
                    format!("{addr}: pods of {ns}/{name} in cluster {cluster} no longer get the role {b} {how}"),
                )
                .was(Some(b.clone()), None),
            ),
            _ => {}
        }
    }
    out
}

fn groups_items(
    addr: &str,
    cluster: &str,
    before: &[String],
    after: &[String],
) -> Vec<SecurityItem> {
    let mut out = vec![];
    for g in after.iter().filter(|g| !before.contains(g)) {
        out.push(
            SecurityItem::new(
                Broadens,
                ClusterAccess,
                format!("{addr} gets group {g} in cluster {cluster}"),
            )
            .was(None, Some(g.clone())),
        );
    }
    for g in before.iter().filter(|g| !after.contains(g)) {
        out.push(
            SecurityItem::new(
                Narrows,
                ClusterAccess,
                format!("{addr} loses group {g} in cluster {cluster}"),
            )
            .was(Some(g.clone()), None),
        );
    }
    out
}

fn aws_auth_items(
    addr: &str,
    cluster: &str,
    before: Option<&AwsAuthEntry>,
    after: &AwsAuthEntry,
) -> Vec<SecurityItem> {
    let arn = after.arn();
    match before {
        Some(b) if b.arn() == arn => {
            let mut out = groups_items(addr, cluster, &b.groups, &after.groups);
            if b.username != after.username {
                out.push(
                    SecurityItem::new(
                        Broadens,
                        ClusterAccess,
                        format!(
                            "{addr} is now user {} in cluster {cluster} (was {}); bindings to the new name apply",
                            after.username.as_deref().unwrap_or("(default)"),
                            b.username.as_deref().unwrap_or("(default)")
                        ),
                    )
                    .was(b.username.clone(), after.username.clone()),
                );
            }
            out
        }
        _ => vec![SecurityItem::new(
            Broadens,
            ClusterAccess,
            format!(
                "{arn} gets into cluster {cluster} through aws-auth ({addr}){}",
                if after.groups.is_empty() {
                    String::new()
                } else {
                    format!(" with groups {}", after.groups.join(", "))
                }
            ),
        )
        .was(before.map(|b| b.arn().to_string()), Some(arn.to_string()))],
    }
}

/// Built-in strength of EKS access policies, from the access model.
fn access_policy_rank(arn: &str) -> Option<u8> {
    crate::access::strength(
        crate::access::GrantKind::AccessPolicy,
        arn.rsplit('/').next()?,
    )
}

/// Built-in strength of ClusterRoles, from the access model.
fn cluster_role_rank(kind: &str, name: &str) -> Option<u8> {
    match kind {
        "ClusterRole" => crate::access::strength(crate::access::GrantKind::ClusterRole, name),
        _ => None,
    }
}

fn at_most(weaker: (Option<u8>, &str), stronger: (Option<u8>, &str)) -> bool {
    weaker.1 == stronger.1 || matches!((weaker.0, stronger.0), (Some(a), Some(b)) if a <= b)
}

fn assoc_covered(
    a: &crate::render::AccessPolicyAssociation,
    b: &crate::render::AccessPolicyAssociation,
) -> bool {
    let scope_ok = b.access_scope.scope_type == "cluster"
        || (a.access_scope.scope_type == "namespace"
            && a.access_scope
                .namespaces
                .iter()
                .all(|n| b.access_scope.namespaces.contains(n)));
    scope_ok
        && at_most(
            (access_policy_rank(&a.policy_arn), &a.policy_arn),
            (access_policy_rank(&b.policy_arn), &b.policy_arn),
        )
}

fn show_assoc(a: &crate::render::AccessPolicyAssociation) -> String {
    let name = a.policy_arn.rsplit('/').next().unwrap_or(&a.policy_arn);
    if a.access_scope.scope_type == "cluster" {
        format!("{name} (cluster scope)")
    } else {
        format!(
            "{name} in namespaces {}",
            a.access_scope.namespaces.join(", ")
        )
    }
}

fn access_entry_items(
    addr: &str,
    cluster: &str,
    before: Option<&AccessEntry>,
    after: &AccessEntry,
) -> Vec<SecurityItem> {
    let mut out = vec![];
    let b = match before {
        Some(b) if b.principal_arn == after.principal_arn => b,
        _ => {
            out.push(
                SecurityItem::new(
                    Broadens,
                    ClusterAccess,
                    format!(
                        "{} gets into cluster {cluster} through an access entry ({addr}){}",
                        after.principal_arn,
                        if after.kubernetes_groups.is_empty() {
                            String::new()
                        } else {
                            format!(" with groups {}", after.kubernetes_groups.join(", "))
                        }
                    ),
                )
                .was(
                    before.map(|b| b.principal_arn.clone()),
                    Some(after.principal_arn.clone()),
                ),
            );
            for a in &after.access_policies {
                out.push(
                    SecurityItem::new(
                        Broadens,
                        ClusterAccess,
                        format!("{addr} gets {} in cluster {cluster}", show_assoc(a)),
                    )
                    .was(None, Some(show_assoc(a))),
                );
            }
            return out;
        }
    };
    out.extend(groups_items(
        addr,
        cluster,
        &b.kubernetes_groups,
        &after.kubernetes_groups,
    ));
    if b.username != after.username {
        out.push(
            SecurityItem::new(
                Broadens,
                ClusterAccess,
                format!(
                    "{addr} is now user {} in cluster {cluster} (was {})",
                    after.username.as_deref().unwrap_or("(default)"),
                    b.username.as_deref().unwrap_or("(default)")
                ),
            )
            .was(b.username.clone(), after.username.clone()),
        );
    }
    let shown = |v: &[crate::render::AccessPolicyAssociation]| {
        v.iter().map(show_assoc).collect::<Vec<_>>().join("; ")
    };
    for a in &after.access_policies {
        if !b.access_policies.iter().any(|x| assoc_covered(a, x)) {
            out.push(
                SecurityItem::new(
                    Broadens,
                    ClusterAccess,
                    format!("{addr} gets {} in cluster {cluster}", show_assoc(a)),
                )
                .was(
                    Some(shown(&b.access_policies)).filter(|s| !s.is_empty()),
                    Some(show_assoc(a)),
                ),
            );
        }
    }
    for x in &b.access_policies {
        if !after.access_policies.iter().any(|a| assoc_covered(x, a)) {
            out.push(
                SecurityItem::new(
                    Narrows,
                    ClusterAccess,
                    format!("{addr} loses {} in cluster {cluster}", show_assoc(x)),
                )
                .was(
                    Some(show_assoc(x)),
                    Some(shown(&after.access_policies)).filter(|s| !s.is_empty()),
                ),
            );
        }
    }
    out
}

struct Binding {
    key: String,
    scope: String,
    role_kind: String,
    role_name: String,
    subjects: Vec<String>,
}

/// A binding in the review's words, read by the access model's reader
/// ([`crate::access::binding`]). A manifest that reader does not take (not a well-formed
/// RoleBinding or ClusterRoleBinding) is kept as a cluster-wide binding of an unknown role,
/// so a change to it still broadens.
fn binding(m: &Json) -> Binding {
    let Some(b) = crate::access::binding(m, true) else {
        let s = |p: &str| {
            m.pointer(p)
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string()
        };
        return Binding {
            key: format!(
                "{}/{}/{}",
                s("/kind"),
                s("/metadata/namespace"),
                s("/metadata/name")
            ),
            scope: "cluster-wide".to_string(),
            role_kind: s("/roleRef/kind"),
            role_name: s("/roleRef/name"),
            subjects: vec![],
        };
    };
    Binding {
        key: b.key,
        scope: match &b.namespace {
            None => "cluster-wide".to_string(),
            Some(ns) => format!("in namespace {ns}"),
        },
        role_kind: format!("{:?}", b.role_kind),
        role_name: b.role_name,
        subjects: b
            .subjects
            .into_iter()
            .map(|(kind, name, ns)| match ns.as_deref() {
                None | Some("") => format!("{kind} {name}"),
                Some(ns) => format!("{kind} {ns}/{name}"),
            })
            .collect(),
    }
}

fn rbac_items(addr: &str, cluster: &str, before: &[Json], after: &[Json]) -> Vec<SecurityItem> {
    let b: Vec<Binding> = before.iter().map(binding).collect();
    let a: Vec<Binding> = after.iter().map(binding).collect();
    let mut out = vec![];
    for x in &a {
        let role = format!("{} {}", x.role_kind, x.role_name);
        match b.iter().find(|y| y.key == x.key) {
            None => out.push(
                SecurityItem::new(
                    Broadens,
                    ClusterAccess,
                    format!(
                        "{addr} binds {} to {role} {} in cluster {cluster}",
                        x.subjects.join(", "),
                        x.scope
                    ),
                )
                .was(None, Some(role.clone())),
            ),
            Some(y) => {
                let old = format!("{} {}", y.role_kind, y.role_name);
                let weaker = at_most(
                    (cluster_role_rank(&x.role_kind, &x.role_name), &role),
                    (cluster_role_rank(&y.role_kind, &y.role_name), &old),
                );
                if !weaker {
                    out.push(
                        SecurityItem::new(
                            Broadens,
                            ClusterAccess,
                            format!(
                                "{addr} binds {} to {role} {} in cluster {cluster} (was {old})",
                                x.subjects.join(", "),
                                x.scope
                            ),
                        )
                        .was(Some(old.clone()), Some(role.clone())),
                    );
                } else if role != old {
                    out.push(
                        SecurityItem::new(
                            Narrows,
                            ClusterAccess,
                            format!("{addr} binds to the weaker {role} {} in cluster {cluster} (was {old})", x.scope),
                        )
                        .was(Some(old.clone()), Some(role.clone())),
                    );
                }
                let new: Vec<&String> = x
                    .subjects
                    .iter()
                    .filter(|s| !y.subjects.contains(s))
                    .collect();
                if weaker && !new.is_empty() {
                    out.push(
                        SecurityItem::new(
                            Broadens,
                            ClusterAccess,
                            format!(
                                "{addr} now binds {} to {role} {} in cluster {cluster}",
                                new.iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                x.scope
                            ),
                        )
                        .was(
                            None,
                            Some(
                                new.iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            ),
                        ),
                    );
                }
                let gone: Vec<&str> = y
                    .subjects
                    .iter()
                    .filter(|s| !x.subjects.contains(s))
                    .map(|s| s.as_str())
                    .collect();
                if !gone.is_empty() {
                    out.push(
                        SecurityItem::new(
                            Narrows,
                            ClusterAccess,
                            format!(
                                "{addr} no longer binds {} to {old} {} in cluster {cluster}",
                                gone.join(", "),
                                y.scope
                            ),
                        )
                        .was(Some(gone.join(", ")), None),
                    );
                }
            }
        }
    }
    for y in b.iter().filter(|y| !a.iter().any(|x| x.key == y.key)) {
        out.push(
            SecurityItem::new(
                Narrows,
                ClusterAccess,
                format!(
                    "{addr} no longer binds {} to {} {} {} in cluster {cluster}",
                    y.subjects.join(", "),
                    y.role_kind,
                    y.role_name,
                    y.scope
                ),
            )
            .was(Some(format!("{} {}", y.role_kind, y.role_name)), None),
        );
    }
    out
}
