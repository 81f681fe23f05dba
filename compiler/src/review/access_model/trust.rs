//! Identity → role: who a trust policy admits, one identity per principal of each Allow
//! statement (and per `sub` value), written the way `eksfed access --identity` takes them, with
//! the conditions it must meet (`oidc:HOST sub=repo:acme/app:* aud=sts.amazonaws.com`,
//! `aws:arn:aws:iam::111122223333:root sts:ExternalId=abc`, `pod-identity:apps/web`). Read
//! from the policy document itself, so a live role the stack does not describe is read the
//! same way as a declared one.
//!
//! Each identity keeps its [`Gate`] (the policy and its statement), so `--identity` is decided
//! by evaluating the policy as IAM does (`policy.rs`, `subject.rs`). What a statement can
//! never admit — the wrong action, a provider of another account, a key of another issuer, a
//! Deny that matches every request — gives no identity, and a limit that says why.
//!
//! Conditions are written `KEY=V` (`=` for the equality and `Like` families, `!=` for their
//! negations, `<`, `<=`, `>`, `>=` for numbers and dates), several values `V1|V2` (any of them;
//! none of them after `!=`), `KEY?=` for `...IfExists`, `any:`/`all:` for the set operators,
//! `KEY=(absent)`/`KEY!=(absent)` for `Null`; keys of the identity's own issuer, `SAML:` and
//! pod identity's `aws:RequestTag/` are written short. What a Deny statement carves out is
//! the inverse condition, or `not(C1,C2)`.

use super::condition::{Answer, Clause, Cmp, Fact, Kind, SetOp};
use super::model::{ClusterFacts, ClusterInfo, Gate, Via};
use super::policy::{self, account_of, Caller, Principal, Principals, Request, Statement};
use super::subject::{
    self, ASSUME_ROLE, CLUSTER_NAME_TAG as CLUSTER_TAG, IRSA_AUDIENCE, NAMESPACE_TAG,
    POD_IDENTITY_SERVICE, SAML, SAML_AUDIENCE, SERVICE_ACCOUNT_TAG as SA_TAG, TAG_SESSION,
    WEB_IDENTITY,
};
use serde_json::Value as Json;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub text: String,
    /// From a `StringLike` condition: its wildcards match.
    pub pattern: bool,
    /// The cluster (EKS name) a service account or pod identity belongs to.
    pub cluster: Option<String>,
    /// Whether what admits it (a pod identity association) is owned by the stack.
    pub managed: bool,
    pub gate: Option<Gate>,
    /// Some condition cannot be decided for anyone (see `notes`).
    pub may_admit: bool,
    pub notes: Vec<String>,
    /// The service account it is, `(namespace, name)` as patterns, for IRSA and pod identity.
    pub service_account: Option<(String, String)>,
}

impl Identity {
    pub fn literal(text: String) -> Identity {
        Identity {
            text,
            pattern: false,
            cluster: None,
            managed: true,
            gate: None,
            may_admit: false,
            notes: vec![],
            service_account: None,
        }
    }
}

/// A pod identity association naming the role: `(cluster name, namespace, service account,
/// managed)`.
pub type PodAssociation = (String, String, String, bool);

/// The identities a role's trust policy admits, and the limits found on the way (statements
/// or associations that admit nobody, and why).
pub fn identities(
    role_arn: &str,
    doc: &Json,
    clusters: &[ClusterInfo],
    pod_ids: Option<&[PodAssociation]>,
) -> (Vec<Identity>, Vec<String>) {
    let policy = Arc::new(policy::parse(doc));
    let role_name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let mut out: Vec<Identity> = vec![];
    let mut limits = vec![];
    for st in policy.statements.iter().filter(|s| s.allow) {
        let vias: Vec<Via> = match &st.principals {
            Principals::Any | Principals::Not(_) => vec![Via::Any],
            Principals::Listed(l) => l.iter().filter_map(via_of).collect(),
        };
        for via in vias {
            let candidates: Vec<(Via, Option<ClusterFacts>, bool)> = match &via {
                Via::PodIdentity { .. } => match pod_ids {
                    Some(list) if !list.is_empty() => list
                        .iter()
                        .map(|(c, ns, sa, managed)| {
                            (
                                Via::PodIdentity {
                                    association: Some((ns.clone(), sa.clone())),
                                },
                                Some(facts_by_name(clusters, c)),
                                *managed,
                            )
                        })
                        .collect(),
                    _ => vec![(via.clone(), pod_cluster(st, clusters), true)],
                },
                Via::WebIdentity { host, .. } => {
                    let c = clusters
                        .iter()
                        .find(|c| {
                            c.issuer
                                .as_deref()
                                .is_some_and(|i| i.eq_ignore_ascii_case(host))
                        })
                        .map(facts);
                    vec![(via.clone(), c, true)]
                }
                _ => vec![(via.clone(), None, true)],
            };
            for (via, cluster, managed) in candidates {
                let gate = Gate {
                    policy: policy.clone(),
                    statement: st.clone(),
                    via,
                    role_arn: role_arn.to_string(),
                    cluster,
                    clusters: clusters.iter().map(facts).collect(),
                };
                if let Some(why) = never_admits(&gate) {
                    let cluster = gate.cluster.as_ref().map(|c| c.name.as_str());
                    let who = match &gate.via {
                        Via::PodIdentity {
                            association: Some((ns, sa)),
                        } => format!(
                            "the pod identity association {ns}/{sa} in cluster {} cannot use it",
                            cluster.unwrap_or("?")
                        ),
                        v => format!("no identity can use {}", principal_text(v)),
                    };
                    let l = format!("role {role_name}: {who}: {why}");
                    if !limits.contains(&l) {
                        limits.push(l);
                    }
                    continue;
                }
                for mut id in written(&gate) {
                    id.managed = managed;
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
            }
        }
    }
    (out, limits)
}

fn facts(c: &ClusterInfo) -> ClusterFacts {
    ClusterFacts {
        name: c.name.clone(),
        arn: c.arn.clone(),
        issuer: c.issuer.clone(),
    }
}

fn facts_by_name(clusters: &[ClusterInfo], name: &str) -> ClusterFacts {
    clusters
        .iter()
        .find(|c| c.name == name)
        .map(facts)
        .unwrap_or(ClusterFacts {
            name: name.to_string(),
            arn: None,
            issuer: None,
        })
}

/// The cluster a pod identity statement names by a single `eks-cluster-name` value, when the
/// stack knows it.
fn pod_cluster(st: &Statement, clusters: &[ClusterInfo]) -> Option<ClusterFacts> {
    st.conditions
        .iter()
        .filter(|c| c.key.eq_ignore_ascii_case(CLUSTER_TAG) && positive_equality(c))
        .find_map(|c| match c.values.as_slice() {
            [v] => clusters.iter().find(|x| &x.name == v).map(facts),
            _ => None,
        })
}

fn via_of(p: &Principal) -> Option<Via> {
    Some(match p {
        Principal::Federated(f) => {
            if let Some((_, host)) = f.split_once(":oidc-provider/") {
                Via::WebIdentity {
                    provider: f.clone(),
                    host: host.to_string(),
                }
            } else if f.contains(":saml-provider/") {
                Via::Saml {
                    provider: f.clone(),
                }
            } else {
                Via::WebIdentity {
                    provider: f.clone(),
                    host: f.clone(),
                }
            }
        }
        Principal::Service(s) if s == POD_IDENTITY_SERVICE => {
            Via::PodIdentity { association: None }
        }
        Principal::Service(s) => Via::Service(s.clone()),
        Principal::Aws(a) => Via::Aws(a.clone()),
        Principal::Other(_) => return None,
    })
}

fn principal_text(v: &Via) -> String {
    match v {
        Via::WebIdentity { provider, .. } | Via::Saml { provider } => provider.clone(),
        Via::PodIdentity { .. } => POD_IDENTITY_SERVICE.to_string(),
        Via::Service(s) | Via::Aws(s) => s.clone(),
        Via::Any => "*".to_string(),
    }
}

/// The actions a family of identity calls, all of which must be allowed.
fn actions(v: &Via) -> &'static [&'static str] {
    match v {
        Via::WebIdentity { .. } => &[WEB_IDENTITY],
        Via::Saml { .. } => &[SAML],
        Via::PodIdentity { .. } => &[ASSUME_ROLE, TAG_SESSION],
        Via::Service(_) | Via::Aws(_) => &[ASSUME_ROLE],
        Via::Any => &[],
    }
}

/// The caller of a path's requests, as far as the path alone fixes it.
fn caller(g: &Gate) -> Option<Caller> {
    Some(match &g.via {
        Via::WebIdentity { host, .. } => {
            Caller::Federated(subject::provider_for(&g.role_arn, host))
        }
        Via::Saml { provider } => Caller::Federated(provider.clone()),
        Via::PodIdentity { .. } => Caller::Service(POD_IDENTITY_SERVICE.to_string()),
        Via::Service(s) => Caller::Service(s.clone()),
        Via::Aws(a) => Caller::Aws(a.clone()),
        Via::Any => return None,
    })
}

/// The issuer a condition key belongs to (`HOST:sub` → `HOST`), for keys of OIDC issuers:
/// their prefix holds a dot, which no service prefix (`aws`, `sts`, `SAML`) does.
fn issuer_of(key: &str) -> Option<&str> {
    let (prefix, _) = key.rsplit_once(':')?;
    prefix.contains('.').then_some(prefix)
}

/// What a path alone fixes about its requests: the association's tags and cluster for pod
/// identity; no key of another issuer (or of SAML) in a web identity's request, none of an
/// issuer in SAML's or an IAM principal's. Everything else is unknown here.
fn static_fact(g: &Gate, key: &str) -> Fact {
    let unknown = || Fact::Unknown("not fixed by the path".to_string());
    let own_host = match &g.via {
        Via::WebIdentity { host, .. } => Some(host.as_str()),
        Via::Any => return unknown(),
        _ => None,
    };
    if let Some(issuer) = issuer_of(key) {
        if !own_host.is_some_and(|h| h.eq_ignore_ascii_case(issuer)) {
            return Fact::Missing;
        }
    }
    if key.to_ascii_lowercase().starts_with("saml:") && !matches!(g.via, Via::Saml { .. }) {
        return Fact::Missing;
    }
    if let Via::PodIdentity {
        association: Some((ns, sa)),
    } = &g.via
    {
        let k = key.to_ascii_lowercase();
        let one = |v: &str| Fact::Values(vec![v.to_string()]);
        if k == NAMESPACE_TAG.to_ascii_lowercase() {
            return one(ns);
        }
        if k == SA_TAG.to_ascii_lowercase() {
            return one(sa);
        }
        if let Some(c) = &g.cluster {
            if k == CLUSTER_TAG.to_ascii_lowercase() {
                return one(&c.name);
            }
            if let Some(arn) = &c.arn {
                if k == "aws:requesttag/eks-cluster-arn" {
                    return one(arn);
                }
                if k == "aws:sourceaccount" {
                    if let Some(a) = account_of(arn) {
                        return one(a);
                    }
                }
            }
        }
    }
    unknown()
}

/// Why a path's statement can admit nobody, or `None` when it may admit someone.
fn never_admits(g: &Gate) -> Option<String> {
    let st = &g.statement;
    if let Via::WebIdentity { provider, .. } | Via::Saml { provider } = &g.via {
        if let (Some(p), Some(r)) = (
            account_of(provider).filter(|_| provider.starts_with("arn:")),
            account_of(&g.role_arn),
        ) {
            if p != r {
                return Some(format!(
                    "the provider is in account {p}, not the role's account {r}"
                ));
            }
        }
    }
    let acts = actions(&g.via);
    if let Some(first) = acts.first() {
        if !acts.iter().any(|a| policy::action_matches(&st.actions, a)) {
            return Some(format!("its actions do not include {first}"));
        }
    }
    let fact = |k: &str| static_fact(g, k);
    for c in &st.conditions {
        if super::condition::holds(c, &fact).answer == Answer::No {
            if issuer_of(&c.key).is_some() && fact(&c.key) == Fact::Missing {
                return Some(format!(
                    "{} is a key of another issuer, never in its requests",
                    c.key
                ));
            }
            return Some(format!("{} does not hold", token(c, &c.key)));
        }
    }
    let caller = caller(g)?;
    for a in acts {
        let req = Request {
            caller: caller.clone(),
            action: a,
            role_arn: &g.role_arn,
            fact: &fact,
        };
        if policy::allows(&g.policy, &req).answer == Answer::No {
            if let Some(d) = g
                .policy
                .statements
                .iter()
                .find(|d| !d.allow && policy::statement_matches(d, &req).answer == Answer::Yes)
            {
                return Some(format!(
                    "a Deny statement ({}) matches every request",
                    d.number
                ));
            }
            return Some(format!("{a} is not allowed"));
        }
    }
    None
}

/// `(namespace, name)` of an identity written `system:serviceaccount:NS:NAME ...`.
fn base_sa(text: &str) -> Option<(String, String)> {
    let head = text.split_whitespace().next()?;
    let (ns, name) = head
        .strip_prefix("system:serviceaccount:")?
        .split_once(':')?;
    Some((ns.to_string(), name.to_string()))
}

/// Whether a clause is a plain positive `StringEquals`/`StringLike`.
fn positive_equality(c: &Clause) -> bool {
    c.op.is_some_and(|op| {
        op.set == SetOp::Single
            && !op.negated
            && !op.if_exists
            && matches!(op.kind, Kind::String | Kind::StringLike)
    })
}

fn is_like(c: &Clause) -> bool {
    c.op.is_some_and(|op| op.kind == Kind::StringLike)
}

/// A condition as an identity writes it.
pub fn token(c: &Clause, key: &str) -> String {
    let vals = c.values.join("|");
    let Some(op) = c.op else {
        return format!("{}({key})={vals}", c.name);
    };
    if op.kind == Kind::Null {
        return match vals.to_ascii_lowercase().as_str() {
            "true" => format!("{key}=(absent)"),
            "false" => format!("{key}!=(absent)"),
            _ => format!("Null({key})={vals}"),
        };
    }
    let set = match op.set {
        SetOp::ForAnyValue => "any:",
        SetOp::ForAllValues => "all:",
        SetOp::Single => "",
    };
    let q = if op.if_exists { "?" } else { "" };
    let sym = match (op.cmp, op.negated) {
        (Cmp::Eq, false) => "=",
        (Cmp::Eq, true) => "!=",
        (Cmp::Lt, _) => "<",
        (Cmp::Le, _) => "<=",
        (Cmp::Gt, _) => ">",
        (Cmp::Ge, _) => ">=",
    };
    format!("{set}{key}{q}{sym}{vals}")
}

/// A key as the identity writes it: short for its own issuer, SAML and pod identity tags.
fn short_key<'a>(v: &Via, key: &'a str) -> &'a str {
    let strip = |prefix: &str| -> Option<&'a str> {
        (key.len() > prefix.len() && key[..prefix.len()].eq_ignore_ascii_case(prefix))
            .then(|| &key[prefix.len()..])
    };
    let short = match v {
        Via::WebIdentity { host, .. } => strip(&format!("{host}:")),
        Via::Saml { .. } => strip("SAML:"),
        Via::PodIdentity { .. } => strip("aws:RequestTag/"),
        _ => None,
    };
    short.unwrap_or(key)
}

/// A condition every identity of the kind meets without saying so: an IRSA token's
/// `aud=sts.amazonaws.com`, a SAML sign-in's audience.
fn said_by_default(g: &Gate, c: &Clause) -> bool {
    let (key, value) = match &g.via {
        Via::WebIdentity { host, .. } if subject::is_eks_issuer(host, g) => {
            (format!("{host}:aud"), IRSA_AUDIENCE)
        }
        Via::Saml { .. } => ("SAML:aud".to_string(), SAML_AUDIENCE),
        _ => return false,
    };
    c.key.eq_ignore_ascii_case(&key)
        && c.op.is_some_and(|op| op.kind == Kind::String)
        && positive_equality(c)
        && c.values == [value]
}

/// The identities one path's statement gives: one per value of its positive `sub` condition.
fn written(g: &Gate) -> Vec<Identity> {
    let st = &g.statement;
    let sub_key = match &g.via {
        Via::WebIdentity { host, .. } => Some(format!("{host}:sub")),
        _ => None,
    };
    let split = sub_key.as_ref().and_then(|k| {
        st.conditions
            .iter()
            .position(|c| c.key.eq_ignore_ascii_case(k) && positive_equality(c))
    });
    let narrowed: Vec<(Statement, Option<String>)> = match split {
        Some(i) => st.conditions[i]
            .values
            .iter()
            .map(|v| {
                let mut s = st.clone();
                s.conditions[i].values = vec![v.clone()];
                (s, Some(v.clone()))
            })
            .collect(),
        None => vec![(st.clone(), None)],
    };
    narrowed
        .into_iter()
        .map(|(s, sub)| {
            let gate = Gate {
                statement: s,
                ..g.clone()
            };
            identity(&gate, split, sub)
        })
        .collect()
}

fn identity(g: &Gate, split: Option<usize>, sub: Option<String>) -> Identity {
    let st = &g.statement;
    let mut folded: Vec<usize> = split.into_iter().collect();
    let mut pattern = split.is_some_and(|i| is_like(&st.conditions[i]));
    let fold = |key: &str, folded: &mut Vec<usize>, pattern: &mut bool| -> String {
        match st.conditions.iter().position(|c| {
            c.key.eq_ignore_ascii_case(key) && positive_equality(c) && c.values.len() == 1
        }) {
            Some(i) => {
                folded.push(i);
                *pattern |= is_like(&st.conditions[i]);
                st.conditions[i].values[0].clone()
            }
            None => {
                *pattern = true;
                "*".to_string()
            }
        }
    };
    let mut head = String::new();
    let base = match &g.via {
        Via::WebIdentity { host, .. } => {
            let eks = subject::is_eks_issuer(host, g);
            match &sub {
                Some(v) if eks && v.starts_with("system:serviceaccount:") => v.clone(),
                Some(v) => {
                    head = format!(" sub={v}");
                    format!("oidc:{host}")
                }
                None if eks => {
                    pattern = true;
                    "system:serviceaccount:*:*".to_string()
                }
                None => format!("oidc:{host}"),
            }
        }
        Via::Saml { provider } => format!("saml:{provider}"),
        Via::PodIdentity {
            association: Some((ns, sa)),
        } => format!("pod-identity:{ns}/{sa}"),
        Via::PodIdentity { association: None } => {
            let ns = fold(NAMESPACE_TAG, &mut folded, &mut pattern);
            let sa = fold(SA_TAG, &mut folded, &mut pattern);
            format!("pod-identity:{ns}/{sa}")
        }
        Via::Service(s) => format!("aws:{s}"),
        Via::Aws(a) => format!("aws:{a}"),
        Via::Any => {
            pattern = true;
            match &st.principals {
                Principals::Not(l) => format!(
                    "aws:* not(principal={})",
                    l.iter().map(|p| p.value()).collect::<Vec<_>>().join("|")
                ),
                _ => "aws:*".to_string(),
            }
        }
    };
    let fact = |k: &str| static_fact(g, k);
    let mut text = base + &head;
    let mut notes = vec![];
    let note = |c: &Clause, notes: &mut Vec<String>| {
        if let Some(why) = subject::undecided(g, c) {
            let n = format!("may admit: {why}");
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
    };
    for (i, c) in st.conditions.iter().enumerate() {
        if folded.contains(&i) {
            note(c, &mut notes);
            continue;
        }
        if said_by_default(g, c) || super::condition::holds(c, &fact).answer == Answer::Yes {
            continue;
        }
        text.push(' ');
        text.push_str(&token(c, short_key(&g.via, &c.key)));
        note(c, &mut notes);
    }
    deny_carve_outs(g, &mut text, &mut notes, &note);
    let cluster = g.cluster.as_ref().map(|c| c.name.clone());
    let service_account = match &g.via {
        Via::WebIdentity { host, .. } if subject::is_eks_issuer(host, g) => base_sa(&text),
        Via::PodIdentity { .. } => text
            .split_whitespace()
            .next()
            .and_then(|b| b.strip_prefix("pod-identity:"))
            .and_then(|r| r.split_once('/'))
            .map(|(ns, n)| (ns.to_string(), n.to_string())),
        _ => None,
    };
    Identity {
        service_account,
        text,
        pattern,
        cluster: match &g.via {
            Via::WebIdentity { host, .. } if !subject::is_eks_issuer(host, g) => None,
            _ => cluster,
        },
        managed: true,
        gate: Some(g.clone()),
        may_admit: !notes.is_empty(),
        notes,
    }
}

/// What each Deny statement that may apply carves out of an identity: written after its
/// `text`, with a note (`note`) for each of the Deny's conditions left undecided.
fn deny_carve_outs(
    g: &Gate,
    text: &mut String,
    notes: &mut Vec<String>,
    note: &dyn Fn(&Clause, &mut Vec<String>),
) {
    let fact = |k: &str| static_fact(g, k);
    let call = caller(g);
    for d in g.policy.statements.iter().filter(|d| !d.allow) {
        let applies_to = match &call {
            Some(c) => policy::principal_matches(&d.principals, c),
            None => d.principals == Principals::Any,
        };
        let acts = actions(&g.via);
        let acted = if acts.is_empty() {
            [ASSUME_ROLE, WEB_IDENTITY, SAML]
                .iter()
                .any(|a| policy::action_matches(&d.actions, a))
        } else {
            acts.iter().any(|a| policy::action_matches(&d.actions, a))
        };
        if !applies_to || !acted {
            continue;
        }
        let verdicts: Vec<Answer> = d
            .conditions
            .iter()
            .map(|c| super::condition::holds(c, &fact).answer)
            .collect();
        if verdicts.contains(&Answer::No) {
            continue;
        }
        let rest: Vec<&Clause> = d
            .conditions
            .iter()
            .zip(&verdicts)
            .filter(|(_, a)| **a != Answer::Yes)
            .map(|(c, _)| c)
            .collect();
        let carve = match rest.as_slice() {
            [] => continue,
            [c] => match c.op.and_then(|op| op.inverse()) {
                Some(inv) => {
                    let mut x = (*c).clone();
                    x.op = Some(inv);
                    token(&x, short_key(&g.via, &c.key))
                }
                None => format!("not({})", token(c, short_key(&g.via, &c.key))),
            },
            cs => format!(
                "not({})",
                cs.iter()
                    .map(|c| token(c, short_key(&g.via, &c.key)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        };
        text.push(' ');
        text.push_str(&carve);
        for c in rest {
            note(c, notes);
        }
    }
}
