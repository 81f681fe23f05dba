//! A role's trust policy as IAM evaluates it for one request: a statement matches when its
//! principal, action, resource and every condition do; the document allows when some Allow
//! statement matches and no Deny statement does (an explicit Deny wins). Three-valued, so
//! what cannot be decided stays undecided (see `condition.rs`).

use super::condition::{self, Answer, Clause, Fact, Verdict};
use crate::iam::statement;
use serde_json::Value as Json;

/// One trust policy, parsed once.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPolicy {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// 1-based position in the document, for messages.
    pub number: usize,
    pub allow: bool,
    pub principals: Principals,
    pub actions: Patterns,
    /// Trust policies have none; when one is written it is matched against the role's ARN.
    pub resources: Option<Patterns>,
    pub conditions: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Principals {
    /// `"*"`, or `"*"` under any type.
    Any,
    Listed(Vec<Principal>),
    /// `NotPrincipal`: everyone but these.
    Not(Vec<Principal>),
}

/// A principal as a statement names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Principal {
    /// An ARN, an account id, or `arn:...:root`.
    Aws(String),
    /// An identity provider's ARN, or a public IdP's name (`accounts.google.com`).
    Federated(String),
    Service(String),
    /// `CanonicalUser` and anything else: never a trust's caller.
    Other(String),
}

impl Principal {
    pub fn value(&self) -> &str {
        match self {
            Principal::Aws(s)
            | Principal::Federated(s)
            | Principal::Service(s)
            | Principal::Other(s) => s,
        }
    }
}

/// `Action`/`Resource` (or their `Not` forms) as globs.
#[derive(Debug, Clone, PartialEq)]
pub struct Patterns {
    pub not: bool,
    pub list: Vec<String>,
}

/// Who calls: an IAM principal (user, role, session), a federated identity through its
/// provider, or a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Aws(String),
    Federated(String),
    Service(String),
}

/// One request to STS against the role: caller, action and what each key carries.
pub struct Request<'a> {
    pub caller: Caller,
    pub action: &'static str,
    pub role_arn: &'a str,
    pub fact: &'a dyn Fn(&str) -> Fact,
}

fn principals(p: &Option<statement::Principal>) -> Option<Principals> {
    match p.as_ref()? {
        statement::Principal::Any => Some(Principals::Any),
        statement::Principal::Typed(m) => {
            let mut out = vec![];
            for (ty, ids) in m {
                for id in ids {
                    if id == "*" {
                        return Some(Principals::Any);
                    }
                    out.push(match ty.as_str() {
                        "AWS" => Principal::Aws(id.clone()),
                        "Federated" => Principal::Federated(id.clone()),
                        "Service" => Principal::Service(id.clone()),
                        _ => Principal::Other(id.clone()),
                    });
                }
            }
            Some(Principals::Listed(out))
        }
        statement::Principal::Bare(_) => None,
    }
}

fn patterns(yes: &Option<Vec<String>>, no: &Option<Vec<String>>) -> Option<Patterns> {
    match (yes, no) {
        (Some(v), _) => Some(Patterns {
            not: false,
            list: v.clone(),
        }),
        (None, Some(v)) => Some(Patterns {
            not: true,
            list: v.clone(),
        }),
        (None, None) => None,
    }
}

/// Reads a trust policy document (a single statement object is taken as a list of one).
pub fn parse(doc: &Json) -> TrustPolicy {
    let statements = statement::statements(doc)
        .into_iter()
        .enumerate()
        .map(|(i, st)| {
            let principals = match (principals(&st.principal), principals(&st.not_principal)) {
                (Some(p), _) => p,
                (None, Some(Principals::Listed(n))) => Principals::Not(n),
                (None, Some(_)) => Principals::Listed(vec![]),
                (None, None) => Principals::Listed(vec![]),
            };
            Statement {
                number: i + 1,
                allow: st.is_allow(),
                principals,
                actions: patterns(&st.action, &st.not_action).unwrap_or(Patterns {
                    not: false,
                    list: vec![],
                }),
                resources: patterns(&st.resource, &st.not_resource),
                conditions: st
                    .condition
                    .iter()
                    .flatten()
                    .map(condition::clause)
                    .collect(),
            }
        })
        .collect();
    TrustPolicy { statements }
}

/// The account of an ARN (`arn:aws:iam::111122223333:...`).
pub fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Whether a statement's principal entry names the caller. An account (id or `:root`)
/// names every IAM principal of it; a role's ARN names its sessions too.
pub fn names(p: &Principal, caller: &Caller) -> bool {
    match (p, caller) {
        (Principal::Aws(p), Caller::Aws(arn)) => {
            if p == arn {
                return true;
            }
            let account = account_of(arn).unwrap_or("");
            let p_account = if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
                Some(p.as_str())
            } else {
                p.strip_suffix(":root").and_then(account_of)
            };
            if let Some(a) = p_account {
                return a == account;
            }
            // arn:aws:sts::A:assumed-role/R/S is a session of arn:aws:iam::A:role/.../R.
            match (session_role(arn), p.split_once(":role/")) {
                (Some((a, r)), Some((head, rest))) => {
                    account_of(p) == Some(a)
                        && head.contains(":iam:")
                        && rest.rsplit('/').next() == Some(r)
                }
                _ => false,
            }
        }
        (Principal::Federated(p), Caller::Federated(c)) => p == c,
        (Principal::Service(p), Caller::Service(c)) => p == c,
        _ => false,
    }
}

/// `(account, role name)` of an assumed-role session ARN.
fn session_role(arn: &str) -> Option<(&str, &str)> {
    let (_, rest) = arn.split_once(":assumed-role/")?;
    let role = rest.split('/').next()?;
    Some((account_of(arn)?, role))
}

pub fn principal_matches(ps: &Principals, caller: &Caller) -> bool {
    match ps {
        Principals::Any => true,
        Principals::Listed(l) => l.iter().any(|p| names(p, caller)),
        Principals::Not(l) => !l.iter().any(|p| names(p, caller)),
    }
}

/// Whether a statement's `Action`/`NotAction` covers an action (globs, ignoring case).
pub fn action_matches(p: &Patterns, action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    let hit = p
        .list
        .iter()
        .any(|x| condition::like(&x.to_ascii_lowercase(), &a));
    hit != p.not
}

fn resource_matches(p: &Option<Patterns>, arn: &str) -> bool {
    match p {
        None => true,
        Some(p) => p.list.iter().any(|x| condition::like(x, arn)) != p.not,
    }
}

/// Whether one statement matches a request.
pub fn statement_matches(st: &Statement, req: &Request<'_>) -> Verdict {
    if !principal_matches(&st.principals, &req.caller)
        || !action_matches(&st.actions, req.action)
        || !resource_matches(&st.resources, req.role_arn)
    {
        return Verdict::no();
    }
    Verdict::all(st.conditions.iter().map(|c| condition::holds(c, req.fact)))
}

/// Whether the document allows a request: some Allow matches and no Deny does.
pub fn allows(policy: &TrustPolicy, req: &Request<'_>) -> Verdict {
    let mut allow = Verdict::no();
    let mut deny = Verdict::no();
    for st in &policy.statements {
        let m = statement_matches(st, req);
        if st.allow {
            allow = allow.or(m);
        } else {
            deny = deny.or(m);
        }
        if deny.answer == Answer::Yes {
            return Verdict::no();
        }
    }
    allow.and(!deny)
}
