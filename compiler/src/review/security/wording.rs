//! The review's words: every sentence a security item carries, and how actions, resources,
//! principals, conditions and access policies are shown in them. The comparisons
//! (`iam.rs`, `cluster.rs`) decide what changed and call one function here per finding, so
//! every message the review can write is read in this one file.

use super::item::{Area, Effect, SecurityItem};
use super::policy::{self, Atom, Set};
use crate::plan::rendered::AccessPolicyAssociation;
use crate::plan::rendered::RenderedKind;
use indexmap::IndexMap;

use Area::*;
use Effect::*;

// ---------------------------------------------------------------------------------------------
// Showing the parts of a document

pub(super) fn show_action(s: &Set) -> String {
    match s {
        Set::Pos(v) => v.join(", "),
        Set::Not(v) => format!("do every action except {}", v.join(", ")),
    }
}

pub(super) fn show_resource(s: &Set) -> String {
    match s {
        Set::Pos(v) => v.join(", "),
        Set::Not(v) => format!("every resource except {}", v.join(", ")),
    }
}

/// An atom's target as a markdown column shows it: `ACTIONS on RESOURCES`.
pub(super) fn target(a: &Atom) -> String {
    format!(
        "{} on {}",
        show_action(&a.action),
        show_resource(&a.resource)
    )
}

/// The tail naming an atom's conditions, if it has some.
pub(super) fn conditions_tail(a: &Atom) -> String {
    if a.conditions.is_empty() {
        String::new()
    } else {
        format!(" when {}", policy::show_conditions(&a.conditions))
    }
}

/// The clauses that differ between two condition blocks, shown `(new, old)`.
pub(super) fn changed_conditions(
    new: &[policy::Clause],
    old: &[policy::Clause],
) -> (String, String) {
    let n: Vec<policy::Clause> = new.iter().filter(|c| !old.contains(c)).cloned().collect();
    let o: Vec<policy::Clause> = old.iter().filter(|c| !new.contains(c)).cloned().collect();
    (policy::show_conditions(&n), policy::show_conditions(&o))
}

/// The `sub` values a trust atom's conditions name.
pub(super) fn subs(a: &Atom) -> Vec<String> {
    a.conditions
        .iter()
        .filter(|c| c.key.ends_with(":sub"))
        .flat_map(|c| c.values.clone())
        .collect()
}

/// Who a trust atom admits, in the reviewer's words: the `sub` values where there are
/// some, else the principal.
pub(super) fn who(a: &Atom) -> String {
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

// ---------------------------------------------------------------------------------------------
// Deletes

/// What deleting an object takes away. Exhaustive over the kinds: a new kind must say it.
pub(super) fn deleted(addr: &str, before: &RenderedKind) -> SecurityItem {
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

// ---------------------------------------------------------------------------------------------
// Trust

pub(super) fn assumed_by(addr: &str, me: &str, was: &[String]) -> SecurityItem {
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
    .was(
        (!was.is_empty()).then(|| was.join(", ")),
        Some(me.to_string()),
    )
}

pub(super) fn assumed_under_weaker(addr: &str, me: &str, new: String, old: String) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Trust,
        format!("{addr} may now be assumed by {me} under weaker conditions: {new} (was {old})"),
    )
    .was(Some(old), Some(new))
}

pub(super) fn lets_call(addr: &str, me: &str, a: &Atom) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Trust,
        format!("{addr} now lets {me} call {}", show_action(&a.action)),
    )
    .was(None, Some(show_action(&a.action)))
}

pub(super) fn no_longer_denies(addr: &str, a: &Atom) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Trust,
        format!(
            "{addr} no longer denies {} to {}",
            show_action(&a.action),
            who(a)
        ),
    )
}

/// A trust statement lost: `still` when another statement still admits `me` (under
/// stronger conditions or for fewer actions).
pub(super) fn assumed_no_longer(addr: &str, me: String, still: bool) -> SecurityItem {
    let msg = if still {
        format!("{addr} may be assumed by {me} under stronger conditions or fewer actions")
    } else {
        format!("{addr} may no longer be assumed by {me}")
    };
    SecurityItem::new(Narrows, Trust, msg).was(Some(me), None)
}

pub(super) fn now_denies(addr: &str, a: &Atom) -> SecurityItem {
    SecurityItem::new(
        Narrows,
        Trust,
        format!("{addr} now denies {} to {}", show_action(&a.action), who(a)),
    )
}

// ---------------------------------------------------------------------------------------------
// Permissions: documents

/// How the lines of a permissions delta start: broadening, narrowing, and a target kept
/// under stronger conditions.
pub(super) struct Heads {
    pub grow: String,
    pub shrink: String,
    pub restrict: String,
}

/// The heads for a role's inline policies.
pub(super) fn inline_heads(addr: &str) -> Heads {
    Heads {
        grow: format!("{addr} may now "),
        shrink: format!("{addr} may no longer "),
        restrict: format!("{addr} may "),
    }
}

/// The heads for a managed policy, naming the roles it is attached to.
pub(super) fn managed_heads(addr: &str, roles: &[String]) -> Heads {
    let whom = if roles.is_empty() {
        " (attached to no role)".to_string()
    } else {
        format!(" for {}", roles.join(", "))
    };
    Heads {
        grow: format!("{addr} grows{whom}: + "),
        shrink: format!("{addr} shrinks{whom}: - "),
        restrict: format!("{addr} shrinks{whom}: "),
    }
}

/// One line of a grouped item: head + actions + " on " + resources + tail.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Line {
    pub effect: Effect,
    pub head: String,
    pub tail: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A line and the atom's action and resource, as [`grouped`] takes them.
pub(super) type AtomLine = (Line, String, String);

fn atom_line(a: &Atom, line: Line) -> AtomLine {
    (line, show_action(&a.action), show_resource(&a.resource))
}

/// A newly allowed target: where the same target was allowed before under other
/// conditions (`was` = (new, old) clauses), the conditions got weaker.
pub(super) fn allowed(heads: &Heads, a: &Atom, was: Option<(String, String)>) -> AtomLine {
    let (tail, before, after) = match was {
        Some((n, w)) => (
            format!(" under weaker conditions: {n} (was {w})"),
            Some(w),
            Some(n),
        ),
        None => (conditions_tail(a), None, Some(target(a))),
    };
    let head = heads.grow.clone();
    atom_line(
        a,
        Line {
            effect: Broadens,
            head,
            tail,
            before,
            after,
        },
    )
}

pub(super) fn no_longer_denied(addr: &str, a: &Atom) -> AtomLine {
    let line = Line {
        effect: Broadens,
        head: format!("{addr} is no longer denied "),
        tail: conditions_tail(a),
        before: Some("Deny".into()),
        after: None,
    };
    atom_line(a, line)
}

/// A target no longer allowed: where the same target is still allowed under other
/// conditions (`now` = (new, old) clauses), only the conditions got stronger.
pub(super) fn disallowed(heads: &Heads, a: &Atom, now: Option<(String, String)>) -> AtomLine {
    let (head, tail, before, after) = match now {
        Some((n, w)) => (
            &heads.restrict,
            format!(" only when {n} (was {w})"),
            Some(w),
            Some(n),
        ),
        None => (&heads.shrink, conditions_tail(a), Some(target(a)), None),
    };
    let head = head.to_string();
    atom_line(
        a,
        Line {
            effect: Narrows,
            head,
            tail,
            before,
            after,
        },
    )
}

pub(super) fn now_denied(addr: &str, a: &Atom) -> AtomLine {
    let line = Line {
        effect: Narrows,
        head: format!("{addr} is now denied "),
        tail: conditions_tail(a),
        before: None,
        after: Some("Deny".into()),
    };
    atom_line(a, line)
}

/// Groups atoms sharing a head and tail: first the actions on one resource, then the
/// resources with the same actions.
pub(super) fn grouped(kind: Area, lines: Vec<AtomLine>) -> Vec<SecurityItem> {
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

// ---------------------------------------------------------------------------------------------
// Permissions: managed policies, boundary, tags

/// `name` is the policy as the reviewer knows it (`policy.x (ARN)` for the stack's).
pub(super) fn gets_managed_policy(addr: &str, arn: &str, name: &str) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Permissions,
        format!("{addr} gets the managed policy {name}"),
    )
    .was(None, Some(arn.to_string()))
}

pub(super) fn loses_managed_policy(addr: &str, arn: &str, name: &str) -> SecurityItem {
    SecurityItem::new(
        Narrows,
        Permissions,
        format!("{addr} loses the managed policy {name}"),
    )
    .was(Some(arn.to_string()), None)
}

pub(super) fn loses_boundary(addr: &str, b: &str) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Permissions,
        format!("{addr} loses its permissions boundary {b}"),
    )
    .was(Some(b.to_string()), None)
}

pub(super) fn gets_boundary(addr: &str, a: &str) -> SecurityItem {
    SecurityItem::new(
        Narrows,
        Permissions,
        format!("{addr} gets the permissions boundary {a}"),
    )
    .was(None, Some(a.to_string()))
}

pub(super) fn changes_boundary(addr: &str, b: &str, a: &str) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Permissions,
        format!("{addr} changes its permissions boundary to {a} (was {b}); eksfed cannot prove the new one is not wider"),
    )
    .was(Some(b.to_string()), Some(a.to_string()))
}

/// Why a tag's change matters: "role.ci's inline policy deploy tests iam:ResourceTag/team",
/// "... uses ${aws:PrincipalTag/team}".
pub(super) fn tag_test(document: &str, how: &str) -> String {
    let verb = if how.starts_with("${") {
        "uses"
    } else {
        "tests"
    };
    format!("{document} {verb} {how}")
}

/// Why a tag's change matters when attached policies could not be read.
pub(super) fn unread_policies(unread: &[&str]) -> String {
    format!(
        "eksfed could not read the attached {} {} (it may test the tag)",
        if unread.len() == 1 {
            "policy"
        } else {
            "policies"
        },
        unread.join(", "),
    )
}

pub(super) fn tag_changes(
    addr: &str,
    kind: Area,
    key: &str,
    (before, after): (Option<&String>, Option<&String>),
    why: &[String],
) -> SecurityItem {
    let show = |v: Option<&String>| v.map(|v| format!("{v:?}")).unwrap_or("(none)".into());
    SecurityItem::new(
        Broadens,
        kind,
        format!(
            "{addr} tag {key} changes from {} to {}, and {}",
            show(before),
            show(after),
            why.join(", and ")
        ),
    )
    .was(Some(show(before)), Some(show(after)))
}

// ---------------------------------------------------------------------------------------------
// Providers

pub(super) fn accepts_tokens_from(addr: &str, url: &str, b_url: &str) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Provider,
        format!("{addr} now accepts tokens from {url} (was {b_url})"),
    )
    .was(Some(b_url.to_string()), Some(url.to_string()))
}

pub(super) fn accepts_client_id(addr: &str, id: &str) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Provider,
        format!("{addr} now accepts the client id {id}"),
    )
    .was(None, Some(id.to_string()))
}

pub(super) fn no_longer_accepts_client_id(addr: &str, id: &str) -> SecurityItem {
    SecurityItem::new(
        Narrows,
        Provider,
        format!("{addr} no longer accepts the client id {id}"),
    )
    .was(Some(id.to_string()), None)
}

pub(super) fn new_oidc_provider(addr: &str, url: &str, client_ids: &[String]) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Provider,
        format!(
            "{addr} is new: IAM accepts tokens from {url} for {}",
            client_ids.join(", ")
        ),
    )
    .was(None, Some(url.to_string()))
}

pub(super) fn saml_new_metadata(addr: &str) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Provider,
        format!("{addr} gets new metadata: IAM may now accept sign-ins it did not (its signing keys are not compared)"),
    )
}

pub(super) fn new_saml_provider(addr: &str) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        Provider,
        format!("{addr} is new: IAM accepts sign-ins from this SAML IdP"),
    )
}

// ---------------------------------------------------------------------------------------------
// Workloads

/// Where a service account's pods are: `NAMESPACE/NAME in cluster CLUSTER`, and how they get
/// a role (`through IRSA`, `through pod identity`).
pub(super) struct Pods<'a> {
    pub addr: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub cluster: &'a str,
    pub how: &'a str,
}

pub(super) fn pods_get_role(p: &Pods, before: Option<&String>, after: &str) -> SecurityItem {
    let Pods {
        addr,
        namespace: ns,
        name,
        cluster,
        how,
    } = p;
    let was = before.map(|b| format!(" (was {b})")).unwrap_or_default();
    SecurityItem::new(
        Broadens,
        Workload,
        format!(
            "{addr}: pods of {ns}/{name} in cluster {cluster} now get the role {after} {how}{was}"
        ),
    )
    .was(before.cloned(), Some(after.to_string()))
}

pub(super) fn pods_lose_role(p: &Pods, before: &str) -> SecurityItem {
    let Pods {
        addr,
        namespace: ns,
        name,
        cluster,
        how,
    } = p;
    SecurityItem::new(
        Narrows,
        Workload,
        format!("{addr}: pods of {ns}/{name} in cluster {cluster} no longer get the role {before} {how}"),
    )
    .was(Some(before.to_string()), None)
}

// ---------------------------------------------------------------------------------------------
// Cluster access: aws-auth and access entries

pub(super) fn gets_group(addr: &str, cluster: &str, g: &str) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        ClusterAccess,
        format!("{addr} gets group {g} in cluster {cluster}"),
    )
    .was(None, Some(g.to_string()))
}

pub(super) fn loses_group(addr: &str, cluster: &str, g: &str) -> SecurityItem {
    SecurityItem::new(
        Narrows,
        ClusterAccess,
        format!("{addr} loses group {g} in cluster {cluster}"),
    )
    .was(Some(g.to_string()), None)
}

/// ` with groups a, b`, or nothing.
fn with_groups(groups: &[String]) -> String {
    if groups.is_empty() {
        String::new()
    } else {
        format!(" with groups {}", groups.join(", "))
    }
}

/// A principal let into a cluster; `through` is `aws-auth` or `an access entry`.
pub(super) fn gets_into_cluster(
    addr: &str,
    cluster: &str,
    through: &str,
    (before, after): (Option<&str>, &str),
    groups: &[String],
) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        ClusterAccess,
        format!(
            "{after} gets into cluster {cluster} through {through} ({addr}){}",
            with_groups(groups)
        ),
    )
    .was(before.map(str::to_string), Some(after.to_string()))
}

/// A new username; `aws_auth` adds that bindings to the new name apply.
pub(super) fn now_user(
    addr: &str,
    cluster: &str,
    (before, after): (&Option<String>, &Option<String>),
    aws_auth: bool,
) -> SecurityItem {
    let shown = |u: &Option<String>| u.as_deref().unwrap_or("(default)").to_string();
    let note = if aws_auth {
        "; bindings to the new name apply"
    } else {
        ""
    };
    SecurityItem::new(
        Broadens,
        ClusterAccess,
        format!(
            "{addr} is now user {} in cluster {cluster} (was {}){note}",
            shown(after),
            shown(before)
        ),
    )
    .was(before.clone(), after.clone())
}

pub(super) fn show_assoc(a: &AccessPolicyAssociation) -> String {
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

/// A list of access policies, or `None` when empty.
fn show_assocs(v: &[AccessPolicyAssociation]) -> Option<String> {
    Some(v.iter().map(show_assoc).collect::<Vec<_>>().join("; ")).filter(|s| !s.is_empty())
}

/// An access policy gained; `before` are the entry's access policies before.
pub(super) fn gets_access_policy(
    addr: &str,
    cluster: &str,
    a: &AccessPolicyAssociation,
    before: &[AccessPolicyAssociation],
) -> SecurityItem {
    SecurityItem::new(
        Broadens,
        ClusterAccess,
        format!("{addr} gets {} in cluster {cluster}", show_assoc(a)),
    )
    .was(show_assocs(before), Some(show_assoc(a)))
}

/// An access policy lost; `after` are the entry's access policies after.
pub(super) fn loses_access_policy(
    addr: &str,
    cluster: &str,
    x: &AccessPolicyAssociation,
    after: &[AccessPolicyAssociation],
) -> SecurityItem {
    SecurityItem::new(
        Narrows,
        ClusterAccess,
        format!("{addr} loses {} in cluster {cluster}", show_assoc(x)),
    )
    .was(Some(show_assoc(x)), show_assocs(after))
}

// ---------------------------------------------------------------------------------------------
// Cluster access: RBAC bindings

/// A binding in the review's words: its key, scope (`cluster-wide`, `in namespace NS`), the
/// role it binds (`ClusterRole edit`) and its subjects (`Group devs`, `ServiceAccount ns/sa`).
pub(super) struct Binding {
    pub key: String,
    pub scope: String,
    pub role_kind: String,
    pub role_name: String,
    pub subjects: Vec<String>,
}

impl Binding {
    pub(super) fn role(&self) -> String {
        format!("{} {}", self.role_kind, self.role_name)
    }
}

pub(super) fn binds(addr: &str, cluster: &str, x: &Binding) -> SecurityItem {
    let role = x.role();
    SecurityItem::new(
        Broadens,
        ClusterAccess,
        format!(
            "{addr} binds {} to {role} {} in cluster {cluster}",
            x.subjects.join(", "),
            x.scope
        ),
    )
    .was(None, Some(role.clone()))
}

/// `x` binds a role not known to be at most `y`'s.
pub(super) fn binds_stronger(addr: &str, cluster: &str, x: &Binding, y: &Binding) -> SecurityItem {
    let (role, old) = (x.role(), y.role());
    SecurityItem::new(
        Broadens,
        ClusterAccess,
        format!(
            "{addr} binds {} to {role} {} in cluster {cluster} (was {old})",
            x.subjects.join(", "),
            x.scope
        ),
    )
    .was(Some(old.clone()), Some(role.clone()))
}

pub(super) fn binds_weaker(addr: &str, cluster: &str, x: &Binding, y: &Binding) -> SecurityItem {
    let (role, old) = (x.role(), y.role());
    SecurityItem::new(
        Narrows,
        ClusterAccess,
        format!(
            "{addr} binds to the weaker {role} {} in cluster {cluster} (was {old})",
            x.scope
        ),
    )
    .was(Some(old.clone()), Some(role.clone()))
}

pub(super) fn now_binds(addr: &str, cluster: &str, x: &Binding, new: &[&str]) -> SecurityItem {
    let role = x.role();
    SecurityItem::new(
        Broadens,
        ClusterAccess,
        format!(
            "{addr} now binds {} to {role} {} in cluster {cluster}",
            new.join(", "),
            x.scope
        ),
    )
    .was(None, Some(new.join(", ")))
}

/// Subjects `gone` from `y` (the binding before).
pub(super) fn no_longer_binds(
    addr: &str,
    cluster: &str,
    y: &Binding,
    gone: &[&str],
) -> SecurityItem {
    let old = y.role();
    SecurityItem::new(
        Narrows,
        ClusterAccess,
        format!(
            "{addr} no longer binds {} to {old} {} in cluster {cluster}",
            gone.join(", "),
            y.scope
        ),
    )
    .was(Some(gone.join(", ")), None)
}

/// The binding `y` is gone.
pub(super) fn unbinds(addr: &str, cluster: &str, y: &Binding) -> SecurityItem {
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
    .was(Some(y.role()), None)
}
