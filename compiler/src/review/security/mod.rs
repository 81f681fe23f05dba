//! The security review of a plan: for every change, what it does to access — whether after
//! it some request could be allowed that was not allowed before (**broadens**) or access
//! only shrinks (**narrows**), in the reviewer's words. Pure: it reads the plan's before and
//! after objects (and the live snapshot, for roles outside the stack that a managed policy
//! is attached to). Text, markdown and JSON plans show its items; `--fail-on-broadening`
//! gates on them.
//!
//! Sound first: where `after ⊆ before` cannot be proved ([`policy`]), the item says
//! broadens. Known false alarms (documented in README.md): a SAML provider's metadata
//! rewritten without a change of signer, a permissions boundary replaced by an equal one
//! under another ARN, a set of actions covered only by the union of several wildcards.

mod cluster;
pub mod drift;
mod iam;
pub mod item;
pub mod policy;
pub mod show;
mod wording;

use item::{Effect, SecurityItem};

use crate::plan::live::LiveState;
use crate::plan::rendered::RenderedKind;
use crate::plan::{Action, Change, Plan};
use indexmap::IndexSet;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

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
        .filter(|c| c.security.iter().any(|i| i.effect == Effect::Broadens))
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
    tested_tags: BTreeMap<String, IndexSet<TagTest>>,
    /// ARNs of the managed policies whose documents the review has (the plan's, the live
    /// ones read).
    known_policies: BTreeSet<String>,
    /// Live key -> the record of the last apply ([`drift`]), for objects this stack owns.
    applied: BTreeMap<String, String>,
}

/// A document that tests a tag key, for the item that reports the tag's change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
        RenderedKind::OidcProvider { .. }
        | RenderedKind::SamlProvider { .. }
        | RenderedKind::ServiceAccount { .. }
        | RenderedKind::Access { .. }
        | RenderedKind::RbacBinding { .. } => vec![],
    }
}

impl Context {
    fn new(plan: &Plan, live: &LiveState) -> Self {
        let mut attached: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut policy_address = BTreeMap::new();
        let mut tested_tags: BTreeMap<String, IndexSet<TagTest>> = BTreeMap::new();
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
                    // In the order first seen (the order the item names them), each once.
                    tested_tags.entry(key).or_default().insert(t);
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
                    // No policy attachments, no policy address.
                    RenderedKind::OidcProvider { .. }
                    | RenderedKind::SamlProvider { .. }
                    | RenderedKind::ServiceAccount { .. }
                    | RenderedKind::Access { .. }
                    | RenderedKind::RbacBinding { .. } => {}
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
                // A stack role is seen as a before object; the rest hold no documents.
                RenderedKind::Role { .. }
                | RenderedKind::OidcProvider { .. }
                | RenderedKind::SamlProvider { .. }
                | RenderedKind::ServiceAccount { .. }
                | RenderedKind::Access { .. }
                | RenderedKind::RbacBinding { .. } => {}
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
            (Action::Update | Action::Replace, Some(b), Some(a)) => crate::kinds::keys(b)
                .iter()
                .find_map(|k| self.applied.get(k))
                .map(|r| drift::unchanged_parts(r, a))
                .unwrap_or_default(),
            _ => vec![],
        };
        let mut out = match (before, after) {
            (Some(b), None) => vec![wording::deleted(&c.address, b)],
            (b, Some(a)) => self.kind(&c.address, b, a, &unchanged),
            (None, None) => vec![],
        };
        let mut seen = BTreeSet::new();
        out.retain(|i| seen.insert((i.effect, i.message.clone())));
        out
    }

    /// One change's items, by the kind of its object. Exhaustive: a new kind must say what a
    /// change of it grants or takes away (and [`wording::deleted`], what its delete does).
    fn kind(
        &self,
        addr: &str,
        before: Option<&RenderedKind>,
        after: &RenderedKind,
        unchanged: &[drift::Part],
    ) -> Vec<SecurityItem> {
        match after {
            RenderedKind::Role { .. } => self.role(addr, before, after, unchanged),
            RenderedKind::Policy { .. } => self.policy(addr, before, after, unchanged),
            RenderedKind::OidcProvider {
                url, client_ids, ..
            } => iam::oidc_provider(addr, before, url, client_ids),
            RenderedKind::SamlProvider { metadata, .. } => {
                iam::saml_provider(addr, before, metadata)
            }
            RenderedKind::ServiceAccount { .. } => cluster::service_account(addr, before, after),
            RenderedKind::Access { .. } => cluster::access(addr, before, after),
            RenderedKind::RbacBinding { .. } => cluster::rbac(addr, before, after),
        }
    }
}
