//! `aws-auth` and access entries: the Kubernetes username and groups a role (or user) is
//! mapped to in one cluster, and the username patterns they are matched by.

use super::model::{Grant, GrantKind};
use crate::plan::rendered::node_identity;
use crate::plan::rendered::strip_role_path;
use crate::plan::rendered::AccessEntry;
use crate::plan::rendered::AwsAuthEntry;
use std::collections::BTreeMap;

/// A role (or user) mapped into one cluster.
#[derive(Debug, Clone)]
pub(super) struct Mapping {
    pub(super) username: String,
    pub(super) groups: Vec<String>,
    pub(super) policies: Vec<Grant>,
    pub(super) managed: bool,
    pub(super) by: &'static str,
}

/// The mapping an access entry gives its principal.
pub(super) fn by_access_entry(e: &AccessEntry, managed: bool) -> Mapping {
    let node = node_identity(&e.entry_type);
    let username = match (&e.username, node) {
        (Some(u), _) => u.clone(),
        (None, Some((u, _))) => u.to_string(),
        (None, None) => default_username(&e.principal_arn),
    };
    let mut groups = e.kubernetes_groups.clone();
    if groups.is_empty() {
        if let Some((_, g)) = node {
            groups = g.iter().map(|s| s.to_string()).collect();
        }
    }
    let policies = e
        .access_policies
        .iter()
        .map(|ap| Grant {
            kind: GrantKind::AccessPolicy,
            name: ap
                .policy_arn
                .rsplit('/')
                .next()
                .unwrap_or(&ap.policy_arn)
                .to_string(),
            namespaces: if ap.access_scope.scope_type == "namespace" {
                ap.access_scope.namespaces.clone()
            } else {
                vec![]
            },
            via: vec!["access-entry".to_string()],
            managed,
            bootstrap: false,
        })
        .collect();
    Mapping {
        username,
        groups,
        policies,
        managed,
        by: "access entry",
    }
}

/// The mapping an `aws-auth` entry gives its role or user.
pub(super) fn by_aws_auth(a: &AwsAuthEntry, managed: bool) -> Mapping {
    Mapping {
        username: a
            .username
            .clone()
            .unwrap_or_else(|| default_username(a.arn())),
        groups: a.groups.clone(),
        policies: vec![],
        managed,
        by: "aws-auth",
    }
}

/// The `aws-auth` entry that maps a principal, as aws-iam-authenticator finds it: by the
/// role's ARN without its path, ignoring case. An entry written with the path never matches
/// (aws-iam-authenticator#268): then no mapping, and a note saying so.
pub(super) fn aws_auth_mapping<'a>(
    entries: Option<&'a BTreeMap<String, Mapping>>,
    arn: &str,
) -> (Option<&'a Mapping>, Option<String>) {
    let Some(entries) = entries else {
        return (None, None);
    };
    let canonical = strip_role_path(arn);
    let found = entries
        .iter()
        .filter(|(k, _)| strip_role_path(k) == **k)
        .find(|(k, _)| k.eq_ignore_ascii_case(&canonical))
        .map(|(_, m)| m);
    if found.is_some() {
        return (found, None);
    }
    if canonical != arn && entries.contains_key(arn) {
        return (
            None,
            Some(format!(
                "aws-auth maps {arn} with the role's path: EKS compares the role ARN without its path, so this entry never matches (aws-iam-authenticator#268); write {canonical}"
            )),
        );
    }
    (None, None)
}

/// The username EKS gives a role with none set: its session ARN.
pub(super) fn default_username(arn: &str) -> String {
    match arn.split_once(":role/") {
        Some((head, rest)) => format!(
            "{}:assumed-role/{}/{{{{SessionName}}}}",
            head.replacen(":iam:", ":sts:", 1),
            rest.rsplit('/').next().unwrap_or(rest)
        ),
        None => arn.to_string(),
    }
}

/// A username template (`admin:{{SessionName}}`) as a glob: each variable may be anything.
pub(super) fn template_glob(username: &str) -> String {
    let mut out = String::new();
    let mut rest = username;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        match rest[i..].find("}}") {
            Some(j) => {
                out.push('*');
                rest = &rest[i + j + 2..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The Kubernetes username and groups EKS gives a principal (an IAM role, signed in as
/// `session`, or an IAM user) through `aws-auth` alone, with the username and group templates
/// filled in as aws-iam-authenticator does: `{{SessionName}}` (`@` → `-`),
/// `{{SessionNameRaw}}`, `{{AccountID}}`. `None` when no entry matches (as `access` finds it:
/// an entry written with the role's path never does). tests/authn_judge.rs puts it against
/// the authenticator's own mapper.
pub fn aws_auth_user(
    entries: &[AwsAuthEntry],
    principal: &str,
    session: &str,
) -> Option<(String, Vec<String>)> {
    let by_arn: BTreeMap<String, Mapping> = entries
        .iter()
        .map(|a| (a.arn().to_string(), by_aws_auth(a, true)))
        .collect();
    let (m, _) = aws_auth_mapping(Some(&by_arn), principal);
    let m = m?;
    let session = if principal.contains(":role/") {
        session
    } else {
        ""
    };
    let account = principal.split(':').nth(4).unwrap_or("");
    let fill = |t: &str| {
        t.replace("{{AccountID}}", account)
            .replace("{{SessionName}}", &session.replace('@', "-"))
            .replace("{{SessionNameRaw}}", session)
    };
    Some((
        fill(&m.username),
        m.groups.iter().map(|g| fill(g)).collect(),
    ))
}
