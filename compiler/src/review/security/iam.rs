//! The review of IAM objects: a role's trust policy, its inline policies, managed policies
//! and permissions boundary, a managed policy's document (for every role it is attached to),
//! tags a document tests, and the identity providers. The proofs are [`policy`]'s; the
//! sentences are [`wording`]'s.

use super::item::{Area, SecurityItem};
use super::policy::{self, Atom, Delta};
use super::wording::{self, Heads};
use super::{drift, mark_since, marked, Context, TagTest};
use crate::plan::rendered::RenderedKind;
use indexmap::IndexMap;
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// A role's parts the review compares, before or after.
struct RoleParts<'k> {
    trust: Option<&'k Json>,
    policies: &'k [String],
    inline: Option<&'k IndexMap<String, Json>>,
    boundary: Option<&'k String>,
    tags: Option<&'k IndexMap<String, String>>,
}

impl<'k> RoleParts<'k> {
    fn of(k: Option<&'k RenderedKind>) -> Self {
        match k {
            Some(RenderedKind::Role {
                trust_policy,
                policies,
                inline_policies,
                permissions_boundary,
                tags,
                ..
            }) => RoleParts {
                trust: Some(trust_policy),
                policies,
                inline: Some(inline_policies),
                boundary: permissions_boundary.as_ref(),
                tags: Some(tags),
            },
            _ => RoleParts {
                trust: None,
                policies: &[],
                inline: None,
                boundary: None,
                tags: None,
            },
        }
    }

    fn inline_docs(&self) -> Vec<&'k Json> {
        self.inline
            .map(|m| m.values().collect())
            .unwrap_or_default()
    }
}

/// The AWS managed policies (`arn:aws:iam::aws:policy/...`): AWS's, not read.
fn aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
}

impl Context {
    pub(super) fn role(
        &self,
        addr: &str,
        before: Option<&RenderedKind>,
        after: &RenderedKind,
        unchanged: &[drift::Part],
    ) -> Vec<SecurityItem> {
        let (b, a) = (RoleParts::of(before), RoleParts::of(Some(after)));
        let Some(trust_policy) = a.trust else {
            return vec![];
        };
        let mut out = marked(
            trust_items(addr, b.trust, trust_policy),
            unchanged,
            drift::Part::Trust,
        );
        out.extend(marked(
            inline_items(addr, &b.inline_docs(), &a.inline_docs()),
            unchanged,
            drift::Part::Inline,
        ));
        let start = out.len();
        self.attached_items(addr, b.policies, a.policies, &mut out);
        mark_since(&mut out, start, unchanged, drift::Part::Attached);
        let start = out.len();
        out.extend(boundary_item(
            addr,
            before.is_some(),
            b.boundary,
            a.boundary,
        ));
        mark_since(&mut out, start, unchanged, drift::Part::Boundary);
        if let (true, Some(a_tags)) = (before.is_some(), a.tags) {
            let attached: Vec<&String> = a.policies.iter().chain(b.policies).collect();
            out.extend(marked(
                self.tags(addr, b.tags, a_tags, &attached),
                unchanged,
                drift::Part::Tags,
            ));
        }
        out
    }

    /// The managed policies a role gains and loses.
    fn attached_items(
        &self,
        addr: &str,
        before: &[String],
        after: &[String],
        out: &mut Vec<SecurityItem>,
    ) {
        let name = |arn: &String| match self.policy_address.get(arn) {
            Some(a) => format!("{a} ({arn})"),
            None => arn.clone(),
        };
        for p in after.iter().filter(|p| !before.contains(p)) {
            out.push(wording::gets_managed_policy(addr, p, &name(p)));
        }
        for p in before.iter().filter(|p| !after.contains(p)) {
            out.push(wording::loses_managed_policy(addr, p, &name(p)));
        }
    }

    /// A managed policy: its document (for the roles attached) and its tags.
    pub(super) fn policy(
        &self,
        addr: &str,
        before: Option<&RenderedKind>,
        after: &RenderedKind,
        unchanged: &[drift::Part],
    ) -> Vec<SecurityItem> {
        let RenderedKind::Policy {
            arn,
            document,
            tags,
            ..
        } = after
        else {
            return vec![];
        };
        let (b_doc, b_tags) = match before {
            Some(RenderedKind::Policy { document, tags, .. }) => (Some(document), Some(tags)),
            _ => (None, None),
        };
        let mut out = marked(
            self.managed_policy(addr, arn, b_doc, document),
            unchanged,
            drift::Part::Document,
        );
        out.extend(marked(
            self.tags(addr, b_tags, tags, &[]),
            unchanged,
            drift::Part::Tags,
        ));
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
            let mut why: Vec<String> = tests
                .iter()
                .map(|t| wording::tag_test(&t.document, &t.how))
                .collect();
            if !unread.is_empty() {
                why.push(wording::unread_policies(&unread));
            }
            let kind = if unread.is_empty() && tests.iter().all(|t| t.trust) {
                Area::Trust
            } else {
                Area::Permissions
            };
            let values = (before.get(k), after.get(k));
            out.push(wording::tag_changes(addr, kind, k, values, &why));
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
        let roles = self.attached.get(arn).cloned().unwrap_or_default();
        let b_stmts = policy::parse(before, false);
        let a_stmts = policy::parse(Some(after), true);
        let delta = policy::delta(&b_stmts, &a_stmts);
        permission_items(
            &wording::managed_heads(addr, &roles),
            addr,
            &delta,
            &b_stmts,
            &a_stmts,
        )
    }
}

/// A role's inline policies, compared as one document (a statement moved between two
/// inline policies changes nothing).
fn inline_items(addr: &str, b_docs: &[&Json], a_docs: &[&Json]) -> Vec<SecurityItem> {
    let b_stmts = policy::parse_many(b_docs, false);
    let a_stmts = policy::parse_many(a_docs, true);
    let delta = policy::delta(&b_stmts, &a_stmts);
    permission_items(
        &wording::inline_heads(addr),
        addr,
        &delta,
        &b_stmts,
        &a_stmts,
    )
}

/// A role's permissions boundary: losing it broadens, gaining one (on an existing role)
/// narrows, and another one cannot be proved not wider.
fn boundary_item(
    addr: &str,
    existed: bool,
    before: Option<&String>,
    after: Option<&String>,
) -> Option<SecurityItem> {
    match (before, after) {
        (Some(b), None) => Some(wording::loses_boundary(addr, b)),
        (None, Some(a)) if existed => Some(wording::gets_boundary(addr, a)),
        (Some(b), Some(a)) if a != b => Some(wording::changes_boundary(addr, b, a)),
        _ => None,
    }
}

/// Items for identity-policy deltas, started by `heads`.
fn permission_items(
    heads: &Heads,
    addr: &str,
    delta: &Delta,
    before: &[policy::Stmt],
    after: &[policy::Stmt],
) -> Vec<SecurityItem> {
    let mut lines = vec![];
    for a in &delta.new_allows {
        // Same target allowed before under other conditions: the conditions got weaker.
        let was = before
            .iter()
            .find(|s| s.allow && policy::covers_target(s, a))
            .map(|s| wording::changed_conditions(&a.conditions, &s.conditions));
        lines.push(wording::allowed(heads, a, was));
    }
    for a in &delta.lost_denies {
        lines.push(wording::no_longer_denied(addr, a));
    }
    for a in &delta.lost_allows {
        let now = after
            .iter()
            .find(|s| s.allow && policy::covers_target(s, a))
            .map(|s| wording::changed_conditions(&s.conditions, &a.conditions));
        // The same target also reported as broadening: one item says it.
        if now.is_some()
            && delta.new_allows.iter().any(|n| {
                n.action == a.action && n.resource == a.resource && n.principal == a.principal
            })
        {
            continue;
        }
        lines.push(wording::disallowed(heads, a, now));
    }
    for a in &delta.new_denies {
        lines.push(wording::now_denied(addr, a));
    }
    wording::grouped(Area::Permissions, lines)
}

fn trust_items(addr: &str, before: Option<&Json>, after: &Json) -> Vec<SecurityItem> {
    let b_stmts = policy::parse(before, false);
    let a_stmts = policy::parse(Some(after), true);
    let delta = policy::delta(&b_stmts, &a_stmts);
    let mut out = vec![];
    for a in &delta.new_allows {
        out.push(trust_gained(addr, &b_stmts, a));
    }
    for a in &delta.lost_denies {
        out.push(wording::no_longer_denies(addr, a));
    }
    if before.is_some() {
        for a in &delta.lost_allows {
            out.push(trust_lost(addr, &a_stmts, a));
        }
        for a in &delta.new_denies {
            out.push(wording::now_denies(addr, a));
        }
    }
    out
}

/// A trust atom newly allowed: a new principal or `sub`, the same one under weaker
/// conditions, or the same one for other actions.
fn trust_gained(addr: &str, before: &[policy::Stmt], a: &Atom) -> SecurityItem {
    let me = wording::who(a);
    let same_principal: Vec<&policy::Stmt> = before
        .iter()
        .filter(|s| s.allow && policy::atoms(s).iter().any(|b| b.principal == a.principal))
        .collect();
    let mut was: Vec<String> = same_principal
        .iter()
        .flat_map(|s| policy::atoms(s))
        .filter(|b| b.principal == a.principal)
        .map(|b| wording::who(&b))
        .collect();
    was.dedup();
    if was.is_empty() || !was.contains(&me) {
        wording::assumed_by(addr, &me, &was)
    } else if let Some(s) = same_principal.iter().find(|s| policy::covers_target(s, a)) {
        let (n, b) = wording::changed_conditions(&a.conditions, &s.conditions);
        wording::assumed_under_weaker(addr, &me, n, b)
    } else {
        wording::lets_call(addr, &me, a)
    }
}

/// A trust atom no longer allowed, named by the `sub` values no statement of the same
/// principal keeps.
fn trust_lost(addr: &str, after: &[policy::Stmt], a: &Atom) -> SecurityItem {
    let kept: BTreeSet<String> = after
        .iter()
        .filter(|s| s.allow)
        .flat_map(policy::atoms)
        .filter(|x| x.principal == a.principal)
        .flat_map(|x| wording::subs(&x))
        .collect();
    let lost: Vec<String> = wording::subs(a)
        .into_iter()
        .filter(|v| !kept.contains(v))
        .collect();
    let me = if !lost.is_empty() && lost.len() < wording::subs(a).len() {
        lost.join(" or ")
    } else {
        wording::who(a)
    };
    let still = after.iter().any(|s| {
        s.allow
            && policy::atoms(s)
                .iter()
                .any(|x| x.principal == a.principal && wording::who(x) == me)
    });
    wording::assumed_no_longer(addr, me, still)
}

pub(super) fn oidc_provider(
    addr: &str,
    before: Option<&RenderedKind>,
    url: &str,
    client_ids: &[String],
) -> Vec<SecurityItem> {
    let Some(RenderedKind::OidcProvider {
        url: b_url,
        client_ids: b_ids,
        ..
    }) = before
    else {
        return vec![wording::new_oidc_provider(addr, url, client_ids)];
    };
    let mut out = vec![];
    if b_url != url {
        out.push(wording::accepts_tokens_from(addr, url, b_url));
    }
    for id in client_ids.iter().filter(|i| !b_ids.contains(i)) {
        out.push(wording::accepts_client_id(addr, id));
    }
    for id in b_ids.iter().filter(|i| !client_ids.contains(i)) {
        out.push(wording::no_longer_accepts_client_id(addr, id));
    }
    out
}

/// A SAML provider's metadata is not parsed: any change of it may admit new sign-ins.
pub(super) fn saml_provider(
    addr: &str,
    before: Option<&RenderedKind>,
    metadata: &str,
) -> Vec<SecurityItem> {
    match before {
        Some(RenderedKind::SamlProvider { metadata: m, .. }) if m == metadata => vec![],
        Some(_) => vec![wording::saml_new_metadata(addr)],
        None => vec![wording::new_saml_provider(addr)],
    }
}
