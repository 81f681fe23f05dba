//! What the writers share: the snapshot indexed by kind ([`Read`]), the roles' live fields
//! ([`RoleInfo`]), and the context every writer adds to ([`Ctx`]): labels handed out, the
//! references between generated blocks, notes, imports, counts and the lints to allow.

use super::hcl::{self, q};
use super::labels::Labels;
use super::{access_mode, cluster_label, Options, Snapshot};
use crate::iam::statement::Statement;
use crate::plan::live::LiveObject;
use crate::plan::rendered::AccessEntry;
use crate::plan::rendered::AwsAuthEntry;
use crate::plan::rendered::PodIdentityAssociation;
use crate::plan::rendered::RenderedKind;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// What the writers read of a live role beyond its block's plain attributes (those
/// [`Block::live_attrs`](super::block::Block::live_attrs) writes from the piece itself).
pub(super) struct RoleInfo<'a> {
    pub obj: &'a LiveObject,
    pub name: &'a str,
    pub path: &'a str,
    pub arn: &'a str,
    pub permissions_boundary: Option<&'a str>,
    pub trust_policy: &'a Json,
    pub policies: &'a [String],
    pub inline_policies: Vec<(&'a String, &'a Json)>,
}

pub(super) fn role_info(o: &LiveObject) -> Option<RoleInfo<'_>> {
    match &o.piece {
        RenderedKind::Role {
            name,
            path,
            arn,
            permissions_boundary,
            trust_policy,
            policies,
            inline_policies,
            ..
        } => Some(RoleInfo {
            obj: o,
            name,
            path,
            arn,
            permissions_boundary: permissions_boundary.as_deref(),
            trust_policy,
            policies,
            inline_policies: inline_policies.iter().collect(),
        }),
        _ => None,
    }
}

/// Why a role is in the stack.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Want {
    Owned,
    Existing,
}

pub(super) struct Ctx<'a> {
    pub s: &'a Snapshot,
    pub host: String,
    pub cluster_label: String,
    pub cluster_provider_arn: String,
    pub mode: &'static str,
    pub labels: Labels,
    pub notes: Vec<String>,
    /// role name → label
    pub role_labels: BTreeMap<String, String>,
    /// policy ARN → label
    pub policy_labels: BTreeMap<String, String>,
    /// provider ARN → label, per kind
    pub oidc_labels: BTreeMap<String, String>,
    pub saml_labels: BTreeMap<String, String>,
    pub imports: Vec<(String, String)>,
    pub counts: BTreeMap<&'static str, usize>,
    /// address → (codes, why)
    pub allow: BTreeMap<String, BTreeMap<String, String>>,
    /// `--group`: repeated shapes under one block with `for_each`.
    pub group: bool,
    /// Files beside `main.hcl`, by name.
    pub files: BTreeMap<String, String>,
}

impl Ctx<'_> {
    pub fn note(&mut self, s: String) {
        if !self.notes.contains(&s) {
            self.notes.push(s);
        }
    }
    pub fn owned_elsewhere(&self, owner: &Option<String>) -> Option<String> {
        owner.clone().filter(|o| *o != self.s.stack)
    }
    pub fn role_ref_by_arn(&self, arn: &str) -> Option<String> {
        let (acct, name) = arn_account_and_name(arn, ":role/")?;
        if acct != self.s.account_id {
            return None;
        }
        self.role_labels.get(name).cloned()
    }
    /// A managed policy ARN as an expression: a reference, `aws_managed_policy`, or literal.
    pub fn policy_expr(&self, arn: &str) -> String {
        if let Some(l) = self.policy_labels.get(arn) {
            return format!("policy.{l}.arn");
        }
        let aws = format!("arn:{}:iam::aws:policy/", self.s.partition);
        if let Some(rest) = arn.strip_prefix(&aws) {
            return format!("aws_managed_policy({})", q(rest));
        }
        q(arn)
    }
    /// Lines `allow_lints = [...]` with their comments for an address, when lints fire.
    pub fn allow_lines(&self, address: &str, extra: &[(&str, &str)]) -> String {
        let mut codes: BTreeMap<String, String> =
            self.allow.get(address).cloned().unwrap_or_default();
        for (c, why) in extra {
            codes.insert(c.to_string(), why.to_string());
        }
        if codes.is_empty() {
            return String::new();
        }
        let mut s = String::new();
        for (c, why) in &codes {
            s.push_str(&format!("# {c}: {why}\n"));
        }
        let list: Vec<String> = codes.keys().cloned().collect();
        s.push_str(&format!("allow_lints = {}\n", hcl::list(&list)));
        s
    }
    pub fn import(&mut self, to: String, id: String) {
        self.imports.push((to, id));
    }
    pub fn count(&mut self, kind: &'static str) {
        *self.counts.entry(kind).or_default() += 1;
    }
}

/// `arn:P:iam::ACCT:role/path/name` → (ACCT, name).
pub(super) fn arn_account_and_name<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let (head, rest) = arn.split_once(kind)?;
    let acct = head.rsplit(':').next().unwrap_or("");
    let head_acct = head.strip_suffix(acct).unwrap_or(head);
    let _ = head_acct;
    Some((acct, rest.rsplit('/').next().unwrap_or(rest)))
}

/// The values of one type (`AWS`, `Federated`, `Service`) of a statement's `Principal`.
pub(super) fn principal_values(stmt: &Statement, kind: &str) -> Vec<String> {
    stmt.principal
        .as_ref()
        .map(|p| p.of(kind))
        .unwrap_or_default()
}

/// The values a statement's conditions give `key`, under any operator.
pub(super) fn condition_values(stmt: &Statement, key: &str) -> Vec<String> {
    stmt.condition
        .iter()
        .flatten()
        .filter(|c| c.key.as_deref() == Some(key))
        .flat_map(|c| c.values.iter().cloned())
        .collect()
}

/// A node's `aws-auth` entry (what EKS writes for node groups and Fargate profiles).
pub(super) fn is_node_entry(e: &AwsAuthEntry) -> bool {
    e.username
        .as_deref()
        .is_some_and(|u| u.starts_with("system:node:"))
        || e.groups.iter().any(|g| g == "system:nodes")
}

/// What was read, by kind. The match is exhaustive: a new kind must say here what `eksfed
/// generate` makes of its live pieces.
#[derive(Default)]
pub(super) struct Read<'a> {
    pub roles: BTreeMap<&'a str, RoleInfo<'a>>,
    /// by ARN
    pub policies: BTreeMap<&'a str, &'a LiveObject>,
    pub oidc: BTreeMap<&'a str, &'a LiveObject>,
    pub saml: BTreeMap<&'a str, &'a LiveObject>,
    /// ServiceAccounts by (namespace, name)
    pub sas: BTreeMap<(String, String), &'a LiveObject>,
    pub pias: BTreeMap<(String, String), &'a PodIdentityAssociation>,
    pub aws_auth: Vec<&'a AwsAuthEntry>,
    /// by principal ARN
    pub entries: BTreeMap<&'a str, (&'a AccessEntry, &'a LiveObject)>,
    pub bindings: Vec<(&'a Json, &'a LiveObject)>,
}

impl<'a> Read<'a> {
    pub fn index(s: &'a Snapshot) -> Read<'a> {
        let mut r = Read::default();
        for o in &s.objects {
            match &o.piece {
                RenderedKind::Role { name, .. } => {
                    if let Some(info) = role_info(o) {
                        r.roles.insert(name, info);
                    }
                }
                RenderedKind::Policy { arn, .. } => {
                    r.policies.insert(arn, o);
                }
                RenderedKind::OidcProvider { arn, .. } => {
                    r.oidc.insert(arn, o);
                }
                RenderedKind::SamlProvider { arn, .. } => {
                    r.saml.insert(arn, o);
                }
                RenderedKind::ServiceAccount {
                    manifest,
                    pod_identity_association,
                    ..
                } => {
                    if let Some(p) = pod_identity_association {
                        r.pias
                            .insert((p.namespace.clone(), p.service_account.clone()), p);
                    }
                    if !manifest.is_null() {
                        let ns = manifest["metadata"]["namespace"].as_str().unwrap_or("");
                        let n = manifest["metadata"]["name"].as_str().unwrap_or("");
                        r.sas.insert((ns.to_string(), n.to_string()), o);
                    }
                }
                RenderedKind::Access {
                    aws_auth: a,
                    access_entry: e,
                    ..
                } => {
                    if let Some(a) = a {
                        r.aws_auth.push(a);
                    }
                    if let Some(e) = e {
                        r.entries.insert(&e.principal_arn, (e, o));
                    }
                }
                RenderedKind::RbacBinding { manifests, .. } => {
                    for m in manifests {
                        r.bindings.push((m, o));
                    }
                }
            }
        }
        r
    }
}

impl<'a> Ctx<'a> {
    pub fn new(
        s: &'a Snapshot,
        allow: &BTreeMap<String, BTreeMap<String, String>>,
        opts: &Options,
        read: &Read<'_>,
    ) -> Ctx<'a> {
        let host = s
            .cluster
            .issuer
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string();
        let mut c = Ctx {
            s,
            cluster_provider_arn: format!(
                "arn:{}:iam::{}:oidc-provider/{host}",
                s.partition, s.account_id
            ),
            host,
            cluster_label: cluster_label(&s.cluster.name),
            mode: access_mode(s.cluster.authentication_mode.as_deref()),
            labels: Labels::default(),
            notes: vec![],
            role_labels: BTreeMap::new(),
            policy_labels: BTreeMap::new(),
            oidc_labels: BTreeMap::new(),
            saml_labels: BTreeMap::new(),
            files: BTreeMap::new(),
            imports: vec![],
            counts: BTreeMap::new(),
            allow: allow.clone(),
            group: opts.group,
        };
        c.labels
            .take(crate::kinds::cluster::SCHEMA.name, &c.cluster_label.clone());
        // In API_AND_CONFIG_MAP mode, the cluster may map people in one place only: then the
        // stack uses that one (`both` would add the other side of every mapping).
        if c.mode == "both" {
            let in_aws_auth = read.aws_auth.iter().any(|e| !is_node_entry(e));
            let in_entries = read.entries.iter().any(|(arn, (e, _))| {
                e.entry_type == "STANDARD"
                    && !e.username.as_deref().is_some_and(|u| u.starts_with("eks:"))
                    && !arn.contains(":role/aws-service-role/")
            });
            c.mode = match (in_aws_auth, in_entries) {
                (false, true) => "access_entries",
                (true, false) => "aws_auth",
                _ => "both",
            };
        }
        c
    }
    /// Whether the stack maps people through `aws-auth`.
    pub fn uses_aws_auth(&self) -> bool {
        self.mode != "access_entries"
    }
    /// Whether the stack maps people through access entries.
    pub fn uses_entries(&self) -> bool {
        self.mode != "aws_auth"
    }
}
