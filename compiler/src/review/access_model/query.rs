//! What `eksfed access` is asked: the paths that answer a query (`--who-can`, `--identity`,
//! a cluster), and whether a path's identity admits a subject.

use super::condition::{Answer, Verdict};
use super::model::{AccessModel, AccessPath, ClusterInfo};
use super::{policy, subject};

/// What `eksfed access` is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    All,
    ClusterAdmin,
    Group(String),
    Identity(String),
}

impl Query {
    /// `--who-can cluster-admin` / `--who-can group:NAME`.
    pub fn who_can(s: &str) -> Result<Query, String> {
        if s == "cluster-admin" {
            return Ok(Query::ClusterAdmin);
        }
        match s.strip_prefix("group:") {
            Some(g) if !g.is_empty() => Ok(Query::Group(g.to_string())),
            _ => Err(format!(
                "--who-can {s}: expected `cluster-admin` or `group:NAME`"
            )),
        }
    }
}

/// The paths that answer a query, in one cluster (by EKS name or stack label) or all.
pub fn select(
    model: &AccessModel,
    clusters: &[ClusterInfo],
    cluster: Option<&str>,
    query: &Query,
) -> AccessModel {
    let cluster_name = cluster.map(|c| {
        clusters
            .iter()
            .find(|x| x.label == c)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| c.to_string())
    });
    let subject = match query {
        Query::Identity(s) => subject::parse(s),
        _ => None,
    };
    let paths: Vec<AccessPath> = model
        .paths
        .iter()
        .filter(|p| match &cluster_name {
            Some(c) => p.cluster.as_deref() == Some(c.as_str()),
            None => true,
        })
        .filter_map(|p| match query {
            Query::All => Some(p.clone()),
            Query::ClusterAdmin => (p.cluster_admin || p.may_be_cluster_admin).then(|| p.clone()),
            Query::Group(g) => (p.groups.iter().any(|x| x == g)
                || p.implicit_groups
                    .iter()
                    .any(|x| crate::iam::pattern::matches(x, g, false)))
            .then(|| p.clone()),
            Query::Identity(s) => {
                let v = match &subject {
                    Some(subject) => admission_of(p, s, subject),
                    None => Verdict::of(p.identity == *s),
                };
                answered(p, v)
            }
        })
        .collect();
    let permissions = model
        .permissions
        .iter()
        .filter(|(arn, _)| {
            paths
                .iter()
                .any(|p| p.role.as_deref() == Some(arn.as_str()))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    AccessModel {
        format_version: model.format_version,
        paths,
        limits: model.limits.clone(),
        permissions,
    }
}

/// The path as the answer to `--identity`: kept when it admits the subject or may; "may
/// admit" then says why for this subject.
fn answered(p: &AccessPath, v: Verdict) -> Option<AccessPath> {
    let mut p = p.clone();
    p.notes.retain(|n| !n.starts_with(MAY_ADMIT));
    match v.answer {
        Answer::No => return None,
        Answer::Yes => p.may_admit = false,
        Answer::Maybe => {
            p.may_admit = true;
            p.notes.insert(
                0,
                format!("{MAY_ADMIT}{}", v.why.unwrap_or_else(|| "undecided".into())),
            );
        }
    }
    Some(p)
}

const MAY_ADMIT: &str = "may admit: ";

/// Whether a path's identity admits `subject` (`--identity`): yes, no, or may (undecided).
/// A path read from a trust policy evaluates the policy as IAM does for the requests the
/// subject makes; one mapped without a trust (an IAM user) admits that principal, or an
/// account's.
pub fn admission(p: &AccessPath, subject: &str) -> Verdict {
    match subject::parse(subject) {
        Some(s) => admission_of(p, subject, &s),
        None => Verdict::of(p.identity == subject),
    }
}

fn admission_of(p: &AccessPath, text: &str, s: &subject::Subject) -> Verdict {
    if let Some(g) = &p.gate {
        return subject::admits(g, s);
    }
    if p.identity == text {
        return Verdict::yes();
    }
    let (Some(iarn), subject::Who::Aws { arn }) = (p.identity.strip_prefix("aws:"), &s.who) else {
        return Verdict::no();
    };
    let account = policy::account_of(arn).unwrap_or("");
    Verdict::of(
        iarn == arn
            || (!account.is_empty()
                && (iarn == account || iarn.ends_with(&format!("::{account}:root")))),
    )
}

/// Whether a path's identity admits `subject`, or may.
pub fn admits(p: &AccessPath, subject: &str) -> bool {
    admission(p, subject).answer != Answer::No
}
