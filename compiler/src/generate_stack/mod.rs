//! `eksfed generate`, the pure part: a live snapshot (what the runtime read of the account and
//! one cluster) → an eksfed stack as HCL text, formatted the way `eksfed fmt` writes it.
//!
//! - What is generated: the `stack` and `cluster` blocks; the cluster's OIDC provider; every
//!   role whose trust policy names that provider, that is mapped into the cluster (`aws-auth`
//!   entries other than node roles, STANDARD access entries) or that a pod identity
//!   association uses; their customer managed policies (statement blocks), AWS managed
//!   policies (`aws_managed_policy("Name")`) and inline policies; the OIDC and SAML providers
//!   their trust policies name; service accounts with a role annotation or a pod identity
//!   association; `access` entries; RBAC bindings with a mapped group or username as subject;
//!   and one `import` block per generated object eksfed may own (in `imports.hcl`).
//! - References, never literal ARNs, between generated objects.
//! - Each trust statement becomes the typed block that compiles to exactly the same statement
//!   (checked by compiling the candidate with [`iam::trust_statement`] and comparing canonical
//!   forms), or a `trust_statement { statement = jsonencode(...) }` holding it as is: the round
//!   trip plans no change.
//! - Left out, each named in the header comment: node roles and entries, EKS-made objects,
//!   objects owned by another eksfed stack, and what cannot round trip (say, a service account
//!   with both a role annotation and a pod identity association). `existing = true`: the OIDC
//!   provider of GitHub Actions and roles under `/aws-reserved/`.
//! - Lints that fire on what is live are silenced per block with `allow_lints` and a comment
//!   saying why (found by compiling the generated text).

mod group;
mod hcl;
pub mod labels;

use crate::model::Trust;
use crate::render::{
    AccessEntry, AwsAuthEntry, PodIdentityAssociation, RenderedKind, ROLE_ARN_ANNOTATION, STACK_TAG,
};
use crate::{iam, live::LiveObject};
use hcl::q;
use labels::Labels;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

/// The GitHub Actions OIDC host: one provider per account, made once by someone else.
pub const GITHUB_OIDC_HOST: &str = "token.actions.githubusercontent.com";

/// The cluster, as DescribeCluster (and the command line) describe it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClusterFacts {
    pub name: String,
    pub region: String,
    /// The issuer URL, with `https://`.
    pub issuer: String,
    /// `accessConfig.authenticationMode`; `None` when DescribeCluster has no `accessConfig`.
    pub authentication_mode: Option<String>,
    pub kube_context: Option<String>,
}

/// What the runtime read: every role, policy and provider of the account, and every
/// ServiceAccount, binding, `aws-auth` entry, access entry and pod identity association of the
/// cluster (pieces carry [`cluster_label`] of the cluster name).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub stack: String,
    pub account_id: String,
    pub partition: String,
    pub cluster: ClusterFacts,
    pub objects: Vec<LiveObject>,
    /// `aws-auth` entry ARN → the eksfed stack whose ownership annotation lists it.
    #[serde(default)]
    pub aws_auth_owners: BTreeMap<String, String>,
}

/// The generated stack.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    /// `main.hcl`: every block but the imports.
    pub main: String,
    /// `imports.hcl`: one `import` block per generated object eksfed may own.
    pub imports: String,
    /// What was left out or kept as `existing`, one line each (also in `main`'s header).
    pub notes: Vec<String>,
    /// Generated blocks by type.
    pub counts: BTreeMap<&'static str, usize>,
    /// Files beside `main.hcl` that it reads with `file()` (a SAML provider's metadata), by
    /// name.
    pub files: BTreeMap<String, String>,
}

impl crate::eval::FileReader for Generated {
    /// The generated files, as `file()` in the generated stack reads them.
    fn read(&self, path: &str) -> Result<String, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| format!("the generated stack has no file `{path}`"))
    }
}

/// The label of the generated `cluster` block (and of live pieces read for it).
pub fn cluster_label(name: &str) -> String {
    labels::ident(name)
}

/// The `access_mode` matching DescribeCluster's authentication mode.
pub fn access_mode(authentication_mode: Option<&str>) -> &'static str {
    match authentication_mode {
        Some("API") => "access_entries",
        Some("API_AND_CONFIG_MAP") => "both",
        _ => "aws_auth",
    }
}

struct RoleInfo<'a> {
    obj: &'a LiveObject,
    name: &'a str,
    path: &'a str,
    description: &'a str,
    arn: &'a str,
    max_session_duration: i64,
    permissions_boundary: Option<&'a str>,
    tags: Vec<(&'a String, &'a String)>,
    trust_policy: &'a Json,
    policies: &'a [String],
    inline_policies: Vec<(&'a String, &'a Json)>,
}

fn role_info(o: &LiveObject) -> Option<RoleInfo<'_>> {
    match &o.piece {
        RenderedKind::Role {
            name,
            path,
            description,
            arn,
            max_session_duration,
            permissions_boundary,
            tags,
            trust_policy,
            policies,
            inline_policies,
        } => Some(RoleInfo {
            obj: o,
            name,
            path,
            description,
            arn,
            max_session_duration: *max_session_duration,
            permissions_boundary: permissions_boundary.as_deref(),
            tags: tags
                .iter()
                .filter(|(k, _)| k.as_str() != STACK_TAG)
                .collect(),
            trust_policy,
            policies,
            inline_policies: inline_policies.iter().collect(),
        }),
        _ => None,
    }
}

/// Why a role is in the stack.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Want {
    Owned,
    Existing,
}

struct Ctx<'a> {
    s: &'a Snapshot,
    host: String,
    cluster_label: String,
    cluster_provider_arn: String,
    mode: &'static str,
    labels: Labels,
    notes: Vec<String>,
    /// role name → label
    role_labels: BTreeMap<String, String>,
    /// policy ARN → label
    policy_labels: BTreeMap<String, String>,
    /// provider ARN → label, per kind
    oidc_labels: BTreeMap<String, String>,
    saml_labels: BTreeMap<String, String>,
    imports: Vec<(String, String)>,
    counts: BTreeMap<&'static str, usize>,
    /// address → (codes, why)
    allow: BTreeMap<String, BTreeMap<String, String>>,
    /// `--group`: repeated shapes under one block with `for_each`.
    group: bool,
    /// Files beside `main.hcl`, by name.
    files: BTreeMap<String, String>,
}

impl Ctx<'_> {
    fn note(&mut self, s: String) {
        if !self.notes.contains(&s) {
            self.notes.push(s);
        }
    }
    fn owned_elsewhere(&self, owner: &Option<String>) -> Option<String> {
        owner.clone().filter(|o| *o != self.s.stack)
    }
    fn role_ref_by_arn(&self, arn: &str) -> Option<String> {
        let (acct, name) = arn_account_and_name(arn, ":role/")?;
        if acct != self.s.account_id {
            return None;
        }
        self.role_labels.get(name).cloned()
    }
    /// A managed policy ARN as an expression: a reference, `aws_managed_policy`, or literal.
    fn policy_expr(&self, arn: &str) -> String {
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
    fn allow_lines(&self, address: &str, extra: &[(&str, &str)]) -> String {
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
    fn import(&mut self, to: String, id: String) {
        self.imports.push((to, id));
    }
    fn count(&mut self, kind: &'static str) {
        *self.counts.entry(kind).or_default() += 1;
    }
}

/// `arn:P:iam::ACCT:role/path/name` → (ACCT, name).
fn arn_account_and_name<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let (head, rest) = arn.split_once(kind)?;
    let acct = head.rsplit(':').next().unwrap_or("");
    let head_acct = head.strip_suffix(acct).unwrap_or(head);
    let _ = head_acct;
    Some((acct, rest.rsplit('/').next().unwrap_or(rest)))
}

fn principal_values(stmt: &Json, kind: &str) -> Vec<String> {
    match stmt.get("Principal") {
        Some(Json::Object(p)) => iam::values(&Json::Object(p.clone()), kind),
        _ => vec![],
    }
}

fn same_statement(a: &Json, b: &Json) -> bool {
    iam::canonical(&iam::document(vec![a.clone()]))
        == iam::canonical(&iam::document(vec![b.clone()]))
}

/// A statement's conditions as (operator, key, values); `None` when not all are strings.
fn conditions_of(stmt: &Json) -> Option<Vec<(String, String, Vec<String>)>> {
    let mut out = vec![];
    match stmt.get("Condition") {
        None => {}
        Some(Json::Object(ops)) => {
            for (op, kv) in ops {
                let Json::Object(kv) = kv else { return None };
                for (k, v) in kv {
                    let vals = match v {
                        Json::String(s) => vec![s.clone()],
                        Json::Array(a) => a
                            .iter()
                            .map(|x| x.as_str().map(String::from))
                            .collect::<Option<Vec<_>>>()?,
                        _ => return None,
                    };
                    out.push((op.clone(), k.clone(), vals));
                }
            }
        }
        Some(_) => return None,
    }
    Some(out)
}

fn cond_map(conds: &[(String, String, Vec<String>)]) -> indexmap::IndexMap<String, Vec<String>> {
    conds
        .iter()
        .map(|(_, k, v)| (k.clone(), v.clone()))
        .collect()
}

fn conditions_hcl(m: &indexmap::IndexMap<String, Vec<String>>) -> String {
    let mut s = String::from("{\n");
    for (k, v) in m {
        s.push_str(&format!("{} = {}\n", q(k), hcl::list(v)));
    }
    s.push('}');
    s
}

/// A role's trust blocks, and whether one matches service accounts with a wildcard.
fn role_trusts(c: &Ctx<'_>, r: &RoleInfo<'_>) -> (String, bool) {
    let mut trusts = String::new();
    let mut wildcard = false;
    for st in iam::statements(r.trust_policy) {
        let (t, w) = trust_block(c, st);
        wildcard |= w;
        trusts.push_str(&t);
    }
    (trusts, wildcard)
}

/// The lint a wildcard service account trust silences.
fn wildcard_allow(wildcard: bool) -> Vec<(&'static str, &'static str)> {
    if wildcard {
        vec![("EKS001", "the live trust policy matches service accounts with a wildcard; kept as is (review it)")]
    } else {
        vec![]
    }
}

/// A role block's attributes after `allow_lints`: `name = NAME_EXPR`, then what the live role
/// has, with `trusts` as its trust blocks.
fn role_body(c: &Ctx<'_>, r: &RoleInfo<'_>, name_expr: &str, trusts: &str) -> String {
    let mut b = format!("name = {name_expr}\n");
    if r.path != "/" {
        b.push_str(&format!("path = {}\n", q(r.path)));
    }
    if !r.description.is_empty() {
        b.push_str(&format!("description = {}\n", q(r.description)));
    }
    if r.max_session_duration != 3600 {
        b.push_str(&format!(
            "max_session_duration = {}\n",
            r.max_session_duration
        ));
    }
    if let Some(p) = r.permissions_boundary {
        b.push_str(&format!("permissions_boundary = {}\n", c.policy_expr(p)));
    }
    if !r.tags.is_empty() {
        b.push_str(&format!("tags = {}\n", hcl::map(r.tags.iter().copied())));
    }
    b.push_str(trusts);
    if !r.policies.is_empty() {
        let mut exprs: Vec<String> = r.policies.iter().map(|p| c.policy_expr(p)).collect();
        exprs.sort();
        b.push_str(&format!("policies = {}\n", hcl::list_of(&exprs)));
    }
    for (pname, doc) in &r.inline_policies {
        b.push_str(&format!(
            "inline_policy {} {{\n{}}}\n",
            q(pname),
            document_hcl(doc)
        ));
    }
    b
}

/// One trust statement as the typed block that compiles to exactly it, or as a raw
/// `trust_statement`. Returns the block text and whether it uses `allow_wildcard`.
fn trust_block(c: &Ctx<'_>, stmt: &Json) -> (String, bool) {
    let actions = iam::values(stmt, "Action");
    let federated = principal_values(stmt, "Federated");
    let conds = conditions_of(stmt);
    let principal_keys: Vec<String> = match stmt.get("Principal") {
        Some(Json::Object(p)) => p.keys().cloned().collect(),
        _ => vec![],
    };
    let one_kind = principal_keys.len() == 1;
    // IRSA on the cluster's provider.
    if one_kind && federated == [c.cluster_provider_arn.clone()] {
        if let Some(conds) = &conds {
            let sub_key = format!("{}:sub", c.host);
            let subs: Vec<&String> = conds
                .iter()
                .filter(|(_, k, _)| *k == sub_key)
                .flat_map(|(_, _, v)| v)
                .collect();
            let parsed: Option<Vec<(&str, &str)>> = subs
                .iter()
                .map(|s| {
                    let rest = s.strip_prefix("system:serviceaccount:")?;
                    rest.split_once(':')
                })
                .collect();
            if let Some(parsed) = parsed.filter(|p| !p.is_empty()) {
                let ns = parsed[0].0;
                if parsed.iter().all(|(n, _)| *n == ns) {
                    let names: Vec<String> = parsed.iter().map(|(_, n)| n.to_string()).collect();
                    let wildcard =
                        ns.contains(['*', '?']) || names.iter().any(|n| n.contains(['*', '?']));
                    let t = Trust::ServiceAccount {
                        cluster: None,
                        provider: None,
                        issuer: c.host.clone(),
                        provider_arn: c.cluster_provider_arn.clone(),
                        namespace: ns.to_string(),
                        names: names.clone(),
                        allow_wildcard: wildcard,
                    };
                    if same_statement(&iam::trust_statement(&t), stmt) {
                        let mut s = format!(
                            "trust_service_account {{\ncluster = cluster.{}\nnamespace = {}\nnames = {}\n",
                            c.cluster_label,
                            q(ns),
                            hcl::list(&names)
                        );
                        if wildcard {
                            s.push_str("# live trust matches service accounts with a wildcard (StringLike); kept as is\nallow_wildcard = true\n");
                        }
                        s.push_str("}\n");
                        return (s, wildcard);
                    }
                }
            }
        }
    }
    // Another OIDC IdP of the account.
    if let (true, [arn], Some(conds)) = (one_kind, federated.as_slice(), &conds) {
        if let Some(label) = c.oidc_labels.get(arn) {
            let issuer = arn.split_once(":oidc-provider/").map(|x| x.1).unwrap_or("");
            let t = Trust::Oidc {
                provider: crate::value::Address::new("oidc_provider", label, None),
                provider_arn: arn.clone(),
                issuer: issuer.to_string(),
                conditions: cond_map(conds),
            };
            if same_statement(&iam::trust_statement(&t), stmt) {
                let mut s = format!("trust_oidc {{\nprovider = oidc_provider.{label}\n");
                if !conds.is_empty() {
                    s.push_str(&format!(
                        "conditions = {}\n",
                        conditions_hcl(&cond_map(conds))
                    ));
                }
                s.push_str("}\n");
                return (s, false);
            }
        }
        if let Some(label) = c.saml_labels.get(arn) {
            let t = Trust::Saml {
                provider: crate::value::Address::new("saml_provider", label, None),
                provider_arn: arn.clone(),
            };
            if same_statement(&iam::trust_statement(&t), stmt) {
                return (
                    format!("trust_saml {{\nprovider = saml_provider.{label}\n}}\n"),
                    false,
                );
            }
        }
    }
    let service = principal_values(stmt, "Service");
    if let (true, true, Some(conds)) = (one_kind, service == ["pods.eks.amazonaws.com"], &conds) {
        let t = Trust::PodIdentity {
            conditions: cond_map(conds),
        };
        if same_statement(&iam::trust_statement(&t), stmt) {
            let mut s = String::from("trust_pod_identity {");
            if conds.is_empty() {
                s.push_str("}\n");
            } else {
                s.push_str(&format!(
                    "\nconditions = {}\n}}\n",
                    conditions_hcl(&cond_map(conds))
                ));
            }
            return (s, false);
        }
        let mut with_sid = stmt.clone();
        with_sid["Sid"] = json!("AllowEksAuthToAssumeRoleForPodIdentity");
        if stmt.get("Sid").is_none() && same_statement(&iam::trust_statement(&t), &with_sid) {
            return (
                format!(
                    "# trust_pod_identity would add AWS's Sid \"AllowEksAuthToAssumeRoleForPodIdentity\": kept as is\ntrust_statement {{\nstatement = jsonencode({})\n}}\n",
                    hcl::json_expr(stmt)
                ),
                false,
            );
        }
    }
    let aws = principal_values(stmt, "AWS");
    if let (true, false, Some(conds)) = (one_kind, aws.is_empty(), &conds) {
        let t = Trust::Aws {
            principals: aws.clone(),
            conditions: cond_map(conds),
        };
        if same_statement(&iam::trust_statement(&t), stmt) {
            let mut s = format!("trust_aws {{\nprincipals = {}\n", hcl::list(&aws));
            if !conds.is_empty() {
                s.push_str(&format!(
                    "conditions = {}\n",
                    conditions_hcl(&cond_map(conds))
                ));
            }
            s.push_str("}\n");
            return (s, false);
        }
    }
    let _ = actions;
    (
        format!(
            "# not expressible with a typed trust block: kept as is\ntrust_statement {{\nstatement = jsonencode({})\n}}\n",
            hcl::json_expr(stmt)
        ),
        false,
    )
}

/// A policy document as `statement` blocks when they compile to exactly it, else
/// `document = jsonencode(...)`.
fn document_hcl(doc: &Json) -> String {
    if let Some(s) = statements_hcl(doc) {
        return s;
    }
    format!("document = jsonencode({})\n", hcl::json_expr(doc))
}

fn statements_hcl(doc: &Json) -> Option<String> {
    let obj = doc.as_object()?;
    if obj.keys().any(|k| k != "Version" && k != "Statement")
        || doc.get("Version").and_then(Json::as_str) != Some(iam::VERSION)
    {
        return None;
    }
    let mut out = String::new();
    let mut rebuilt = vec![];
    for st in iam::statements(doc) {
        let so = st.as_object()?;
        let mut b = String::from("statement {\n");
        let mut r = serde_json::Map::new();
        for k in so.keys() {
            if ![
                "Sid",
                "Effect",
                "Action",
                "NotAction",
                "Resource",
                "NotResource",
                "Condition",
            ]
            .contains(&k.as_str())
            {
                return None;
            }
        }
        if let Some(sid) = so.get("Sid") {
            let sid = sid.as_str()?;
            if !sid.is_empty() {
                b.push_str(&format!("sid = {}\n", q(sid)));
                r.insert("Sid".into(), json!(sid));
            }
        }
        let effect = so.get("Effect").and_then(Json::as_str).unwrap_or("Allow");
        if effect != "Allow" {
            b.push_str(&format!("effect = {}\n", q(effect)));
        }
        r.insert("Effect".into(), json!(effect));
        for (key, attr) in [
            ("Action", "actions"),
            ("NotAction", "not_actions"),
            ("Resource", "resources"),
            ("NotResource", "not_resources"),
        ] {
            if let Some(v) = so.get(key) {
                let vals: Vec<String> = match v {
                    Json::String(s) => vec![s.clone()],
                    Json::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(String::from))
                        .collect::<Option<_>>()?,
                    _ => return None,
                };
                b.push_str(&format!("{attr} = {}\n", hcl::list(&vals)));
                r.insert(key.into(), iam::one_or_many(&vals));
            }
        }
        if let Some(Json::Object(ops)) = so.get("Condition") {
            let mut rc = serde_json::Map::new();
            for (op, kv) in ops {
                let kv = kv.as_object()?;
                let mut ro = serde_json::Map::new();
                for (k, v) in kv {
                    let vals: Vec<String> = match v {
                        Json::Array(a) => a.iter().map(scalar).collect::<Option<_>>()?,
                        other => vec![scalar(other)?],
                    };
                    b.push_str(&format!(
                        "condition {{\ntest = {}\nvariable = {}\nvalues = {}\n}}\n",
                        q(op),
                        q(k),
                        hcl::list(&vals)
                    ));
                    ro.insert(k.clone(), iam::one_or_many(&vals));
                }
                rc.insert(op.clone(), Json::Object(ro));
            }
            r.insert("Condition".into(), Json::Object(rc));
        } else if so.contains_key("Condition") {
            return None;
        }
        b.push_str("}\n");
        out.push_str(&b);
        rebuilt.push(Json::Object(r));
    }
    if rebuilt.is_empty() {
        return None;
    }
    (iam::canonical(&iam::document(rebuilt)) == iam::canonical(doc)).then_some(out)
}

fn scalar(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The one service account a trust policy lets in through the cluster's issuer, if one.
fn single_subject(trust: &Json, host: &str) -> Option<String> {
    let key = format!("{host}:sub");
    let subs: Vec<String> = iam::statements(trust)
        .iter()
        .filter_map(|st| st.get("Condition"))
        .filter_map(Json::as_object)
        .flat_map(|ops| ops.values())
        .filter_map(|kv| kv.get(&key))
        .flat_map(|v| match v {
            Json::Array(a) => a
                .iter()
                .filter_map(Json::as_str)
                .map(String::from)
                .collect(),
            Json::String(s) => vec![s.clone()],
            _ => vec![],
        })
        .collect();
    match subs.as_slice() {
        [one] => one.rsplit(':').next().map(String::from),
        _ => None,
    }
}

/// A node's `aws-auth` entry (what EKS writes for node groups and Fargate profiles).
fn is_node_entry(e: &AwsAuthEntry) -> bool {
    e.username
        .as_deref()
        .is_some_and(|u| u.starts_with("system:node:"))
        || e.groups.iter().any(|g| g == "system:nodes")
}

/// Generates the stack. `allow` holds lints found by compiling a first pass (see
/// [`generate`]).
fn write(
    s: &Snapshot,
    allow: &BTreeMap<String, BTreeMap<String, String>>,
    opts: &Options,
) -> Generated {
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
    c.labels.take("cluster", &c.cluster_label.clone());

    // Index what was read.
    let mut roles: BTreeMap<&str, RoleInfo<'_>> = BTreeMap::new();
    let mut policies: BTreeMap<&str, &LiveObject> = BTreeMap::new();
    let mut oidc: BTreeMap<&str, &LiveObject> = BTreeMap::new();
    let mut saml: BTreeMap<&str, &LiveObject> = BTreeMap::new();
    let mut sas: BTreeMap<(String, String), &LiveObject> = BTreeMap::new();
    let mut pias: BTreeMap<(String, String), &PodIdentityAssociation> = BTreeMap::new();
    let mut aws_auth: Vec<&AwsAuthEntry> = vec![];
    let mut entries: BTreeMap<&str, (&AccessEntry, &LiveObject)> = BTreeMap::new();
    let mut bindings: Vec<(&Json, &LiveObject)> = vec![];
    for o in &s.objects {
        match &o.piece {
            RenderedKind::Role { name, .. } => {
                if let Some(r) = role_info(o) {
                    roles.insert(name, r);
                }
            }
            RenderedKind::Policy { arn, .. } => {
                policies.insert(arn, o);
            }
            RenderedKind::OidcProvider { arn, .. } => {
                oidc.insert(arn, o);
            }
            RenderedKind::SamlProvider { arn, .. } => {
                saml.insert(arn, o);
            }
            RenderedKind::ServiceAccount {
                manifest,
                pod_identity_association,
                ..
            } => {
                if let Some(p) = pod_identity_association {
                    pias.insert((p.namespace.clone(), p.service_account.clone()), p);
                }
                if !manifest.is_null() {
                    let ns = manifest["metadata"]["namespace"].as_str().unwrap_or("");
                    let n = manifest["metadata"]["name"].as_str().unwrap_or("");
                    sas.insert((ns.to_string(), n.to_string()), o);
                }
            }
            RenderedKind::Access {
                aws_auth: a,
                access_entry: e,
                ..
            } => {
                if let Some(a) = a {
                    aws_auth.push(a);
                }
                if let Some(e) = e {
                    entries.insert(&e.principal_arn, (e, o));
                }
            }
            RenderedKind::RbacBinding { manifests, .. } => {
                for m in manifests {
                    bindings.push((m, o));
                }
            }
        }
    }

    // In API_AND_CONFIG_MAP mode, the cluster may map people in one place only: then the
    // stack uses that one (`both` would add the other side of every mapping).
    if c.mode == "both" {
        let in_aws_auth = aws_auth.iter().any(|e| !is_node_entry(e));
        let in_entries = entries.iter().any(|(arn, (e, _))| {
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
    let uses_aws_auth = c.mode != "access_entries";
    let uses_entries = c.mode != "aws_auth";

    // Roles to generate.
    let mut want: BTreeMap<String, Want> = BTreeMap::new();
    let consider = |c: &mut Ctx<'_>, want: &mut BTreeMap<String, Want>, name: &str, why: &str| {
        let Some(r) = roles.get(name) else {
            return;
        };
        if let Some(other) = c.owned_elsewhere(&r.obj.owner) {
            c.note(format!(
                "left out: role {name} ({why}): owned by the eksfed stack `{other}`"
            ));
            return;
        }
        if r.path.starts_with("/aws-service-role/") {
            c.note(format!(
                "left out: role {name}: a service-linked role (made by AWS)"
            ));
            return;
        }
        if r.path.starts_with("/aws-reserved/") {
            want.entry(name.to_string()).or_insert(Want::Existing);
            return;
        }
        want.insert(name.to_string(), Want::Owned);
    };
    for (name, r) in &roles {
        let names_provider = iam::statements(r.trust_policy)
            .iter()
            .any(|st| principal_values(st, "Federated").contains(&c.cluster_provider_arn));
        if names_provider {
            consider(
                &mut c,
                &mut want,
                name,
                "trusts the cluster's OIDC provider",
            );
        }
    }
    let mut node_roles = BTreeSet::new();
    if uses_aws_auth {
        for e in &aws_auth {
            let arn = e.arn();
            if is_node_entry(e) {
                node_roles.insert(arn.to_string());
                continue;
            }
            if let Some((acct, name)) = arn_account_and_name(arn, ":role/") {
                if acct == s.account_id {
                    consider(&mut c, &mut want, name, "mapped in aws-auth");
                }
            }
        }
    }
    if uses_entries {
        for (arn, (e, _)) in &entries {
            if e.entry_type != "STANDARD" {
                node_roles.insert(arn.to_string());
                continue;
            }
            if let Some((acct, name)) = arn_account_and_name(arn, ":role/") {
                if acct == s.account_id {
                    consider(&mut c, &mut want, name, "has an access entry");
                }
            }
        }
    }
    for p in pias.values() {
        if let Some((acct, name)) = arn_account_and_name(&p.role_arn, ":role/") {
            if acct == s.account_id {
                consider(
                    &mut c,
                    &mut want,
                    name,
                    "used by a pod identity association",
                );
            }
        }
    }
    for arn in &node_roles {
        c.note(format!(
            "left out: node role {arn} and its cluster entry (made by EKS for nodes)"
        ));
    }
    for (name, _) in want.iter() {
        let r = &roles[name.as_str()];
        // eksctl cuts its role names to 64 characters: the service account names it better.
        let wanted = match single_subject(r.trust_policy, &c.host) {
            Some(sa) if name.starts_with("eksctl-") => sa,
            _ => labels::role_label(name, &s.cluster.name),
        };
        let l = c.labels.take("role", &wanted);
        c.role_labels.insert(r.name.to_string(), l);
    }

    // Providers their trust policies name.
    let mut providers: BTreeSet<String> = BTreeSet::new();
    for (name, w) in &want {
        if *w != Want::Owned {
            continue;
        }
        for st in iam::statements(roles[name.as_str()].trust_policy) {
            providers.extend(principal_values(st, "Federated"));
        }
    }
    let mut out = String::new();
    let mut oidc_blocks = String::new();
    for arn in &providers {
        if let Some(o) = oidc.get(arn.as_str()) {
            let RenderedKind::OidcProvider {
                url,
                client_ids,
                thumbprints,
                tags,
                ..
            } = &o.piece
            else {
                continue;
            };
            let host = url.trim_start_matches("https://");
            let is_cluster = *arn == c.cluster_provider_arn;
            if let Some(other) = c.owned_elsewhere(&o.owner) {
                c.note(format!(
                    "left out: OIDC provider {url}: owned by the eksfed stack `{other}`"
                ));
                if is_cluster {
                    continue;
                }
            }
            let wanted_label = if is_cluster {
                c.cluster_label.clone()
            } else if host == GITHUB_OIDC_HOST {
                "github".into()
            } else {
                host.split('/')
                    .next()
                    .unwrap_or(host)
                    .split('.')
                    .next()
                    .unwrap_or(host)
                    .to_string()
            };
            let label = c.labels.take("oidc_provider", &wanted_label);
            c.oidc_labels.insert(arn.clone(), label.clone());
            let address = format!("oidc_provider.{label}");
            let existing = host == GITHUB_OIDC_HOST || c.owned_elsewhere(&o.owner).is_some();
            oidc_blocks.push_str(&format!("oidc_provider {} {{\n", q(&label)));
            if existing {
                oidc_blocks.push_str(&format!("url = {}\n", q(url)));
                oidc_blocks.push_str("# made once per account by someone else: used, never changed\nexisting = true\n");
                c.note(format!(
                    "existing: OIDC provider {url} (one per account, not owned by this stack)"
                ));
            } else {
                oidc_blocks.push_str(&c.allow_lines(&address, &[]));
                if is_cluster {
                    oidc_blocks.push_str(&format!(
                        "url = cluster.{}.oidc_issuer_url\n",
                        c.cluster_label
                    ));
                } else {
                    oidc_blocks.push_str(&format!("url = {}\n", q(url)));
                }
                oidc_blocks.push_str(&format!("client_ids = {}\n", hcl::list(client_ids)));
                if let Some(t) = thumbprints {
                    oidc_blocks.push_str(&format!("thumbprints = {}\n", hcl::list(t)));
                }
                let tags: Vec<_> = tags
                    .iter()
                    .filter(|(k, _)| k.as_str() != STACK_TAG)
                    .collect();
                if !tags.is_empty() {
                    oidc_blocks.push_str(&format!("tags = {}\n", hcl::map(tags)));
                }
                c.import(address, url.clone());
            }
            oidc_blocks.push_str("}\n\n");
            c.count("oidc_provider");
        } else if let Some(o) = saml.get(arn.as_str()) {
            let RenderedKind::SamlProvider {
                name,
                metadata,
                tags,
                ..
            } = &o.piece
            else {
                continue;
            };
            if let Some(other) = c.owned_elsewhere(&o.owner) {
                c.note(format!(
                    "left out: SAML provider {name}: owned by the eksfed stack `{other}`"
                ));
                continue;
            }
            let label = c.labels.take("saml_provider", name);
            c.saml_labels.insert(arn.clone(), label.clone());
            let address = format!("saml_provider.{label}");
            oidc_blocks.push_str(&format!("saml_provider {} {{\n", q(&label)));
            oidc_blocks.push_str(&c.allow_lines(&address, &[]));
            oidc_blocks.push_str(&format!("name = {}\n", q(name)));
            // The metadata document (kilobytes of XML) goes in a file beside main.hcl, as a
            // person would keep it.
            let file = format!("{label}.saml-metadata.xml");
            oidc_blocks.push_str(&format!("metadata = file({})\n", q(&file)));
            c.files.insert(file, metadata.clone());
            let tags: Vec<_> = tags
                .iter()
                .filter(|(k, _)| k.as_str() != STACK_TAG)
                .collect();
            if !tags.is_empty() {
                oidc_blocks.push_str(&format!("tags = {}\n", hcl::map(tags)));
            }
            oidc_blocks.push_str("}\n\n");
            c.import(address, name.clone());
            c.count("saml_provider");
        }
    }
    // The cluster's provider even when no role trusts it yet.
    if !c.oidc_labels.contains_key(&c.cluster_provider_arn) {
        if let Some(o) = oidc.get(c.cluster_provider_arn.as_str()) {
            if c.owned_elsewhere(&o.owner).is_none() {
                if let RenderedKind::OidcProvider {
                    client_ids,
                    thumbprints,
                    tags,
                    url,
                    ..
                } = &o.piece
                {
                    let label = c.labels.take("oidc_provider", &c.cluster_label.clone());
                    c.oidc_labels
                        .insert(c.cluster_provider_arn.clone(), label.clone());
                    let address = format!("oidc_provider.{label}");
                    oidc_blocks.push_str(&format!("oidc_provider {} {{\n", q(&label)));
                    oidc_blocks.push_str(&c.allow_lines(&address, &[]));
                    oidc_blocks.push_str(&format!(
                        "url = cluster.{}.oidc_issuer_url\n",
                        c.cluster_label
                    ));
                    oidc_blocks.push_str(&format!("client_ids = {}\n", hcl::list(client_ids)));
                    if let Some(t) = thumbprints {
                        oidc_blocks.push_str(&format!("thumbprints = {}\n", hcl::list(t)));
                    }
                    let tags: Vec<_> = tags
                        .iter()
                        .filter(|(k, _)| k.as_str() != STACK_TAG)
                        .collect();
                    if !tags.is_empty() {
                        oidc_blocks.push_str(&format!("tags = {}\n", hcl::map(tags)));
                    }
                    oidc_blocks.push_str("}\n\n");
                    c.import(address, url.clone());
                    c.count("oidc_provider");
                }
            } else {
                c.note(format!(
                    "left out: the cluster's OIDC provider: owned by the eksfed stack `{}`",
                    o.owner.clone().unwrap_or_default()
                ));
            }
        }
    }

    // Customer managed policies the generated roles use.
    let mut pol_arns: BTreeSet<String> = BTreeSet::new();
    for (name, w) in &want {
        if *w != Want::Owned {
            continue;
        }
        let r = &roles[name.as_str()];
        pol_arns.extend(r.policies.iter().cloned());
        pol_arns.extend(r.permissions_boundary.map(String::from));
    }
    let mut policy_blocks = String::new();
    let mut by_name: Vec<(&str, &LiveObject)> = pol_arns
        .iter()
        .filter_map(|a| policies.get(a.as_str()).map(|o| (a.as_str(), *o)))
        .collect();
    by_name.sort_by_key(|(a, _)| a.rsplit('/').next().unwrap_or(a).to_string());
    for (arn, o) in by_name {
        let RenderedKind::Policy {
            name,
            path,
            description,
            document,
            tags,
            ..
        } = &o.piece
        else {
            continue;
        };
        if let Some(other) = c.owned_elsewhere(&o.owner) {
            c.note(format!(
                "left out: policy {name}: owned by the eksfed stack `{other}` (referenced by ARN)"
            ));
            continue;
        }
        let label = c.labels.take("policy", name);
        c.policy_labels.insert(arn.to_string(), label.clone());
        let address = format!("policy.{label}");
        policy_blocks.push_str(&format!("policy {} {{\n", q(&label)));
        policy_blocks.push_str(&c.allow_lines(&address, &[]));
        policy_blocks.push_str(&format!("name = {}\n", q(name)));
        if path != "/" {
            policy_blocks.push_str(&format!("path = {}\n", q(path)));
        }
        if !description.is_empty() {
            policy_blocks.push_str(&format!("description = {}\n", q(description)));
        }
        let tags: Vec<_> = tags
            .iter()
            .filter(|(k, _)| k.as_str() != STACK_TAG)
            .collect();
        if !tags.is_empty() {
            policy_blocks.push_str(&format!("tags = {}\n", hcl::map(tags)));
        }
        policy_blocks.push_str(&document_hcl(document));
        policy_blocks.push_str("}\n\n");
        c.import(address, name.clone());
        c.count("policy");
    }

    // Roles (with --group, roles of one shape under one block with for_each).
    let mut role_blocks = String::new();
    let grouped = if c.group {
        group::roles(&mut c, &want, &roles, &mut role_blocks)
    } else {
        BTreeSet::new()
    };
    for (name, w) in &want {
        if grouped.contains(name) {
            continue;
        }
        let r = &roles[name.as_str()];
        let label = c.role_labels[name].clone();
        let address = format!("role.{label}");
        role_blocks.push_str(&format!("role {} {{\n", q(&label)));
        if *w == Want::Existing {
            role_blocks.push_str(&format!("name = {}\n", q(r.name)));
            role_blocks.push_str(&format!("path = {}\n", q(r.path)));
            role_blocks.push_str(
                "# made by AWS (under /aws-reserved/): used, never changed\nexisting = true\n}\n\n",
            );
            c.note(format!("existing: role {} (under {})", r.name, r.path));
            c.count("role");
            continue;
        }
        let (trusts, wildcard) = role_trusts(&c, r);
        role_blocks.push_str(&c.allow_lines(&address, &wildcard_allow(wildcard)));
        role_blocks.push_str(&role_body(&c, r, &q(r.name), &trusts));
        role_blocks.push_str("}\n\n");
        c.import(address, r.name.to_string());
        c.count("role");
    }

    // Service accounts: IRSA annotations and pod identity associations.
    let mut sa_blocks = String::new();
    let mut sa_names: BTreeMap<String, usize> = BTreeMap::new();
    let mut sa_list: Vec<(String, String, String, &str)> = vec![]; // ns, name, role label, mode
    for ((ns, n), o) in &sas {
        let m = match &o.piece {
            RenderedKind::ServiceAccount { manifest, .. } => manifest,
            _ => continue,
        };
        let annotated = m["metadata"]["annotations"][ROLE_ARN_ANNOTATION].as_str();
        let pia = pias.get(&(ns.clone(), n.clone()));
        if annotated.is_none() && pia.is_none() {
            continue;
        }
        if let Some(other) = c.owned_elsewhere(&o.owner) {
            c.note(format!(
                "left out: service account {ns}/{n}: owned by the eksfed stack `{other}`"
            ));
            continue;
        }
        if m["metadata"]["labels"]["app.kubernetes.io/managed-by"].as_str() == Some("EKS") {
            c.note(format!("left out: service account {ns}/{n}: made by EKS"));
            continue;
        }
        let (arn, mode) = match (annotated, pia) {
            (Some(_), Some(_)) => {
                c.note(format!("left out: service account {ns}/{n}: it has both a role annotation and a pod identity association (one stack mode cannot express both)"));
                continue;
            }
            (Some(a), None) => (a.to_string(), "irsa"),
            (None, Some(p)) => (p.role_arn.clone(), "pod_identity"),
            (None, None) => continue,
        };
        let Some(rl) = c.role_ref_by_arn(&arn) else {
            c.note(format!(
                "left out: service account {ns}/{n}: its role {arn} is not generated"
            ));
            continue;
        };
        // `aws-reserved` roles are existing and cannot be a service account's role.
        *sa_names.entry(n.clone()).or_default() += 1;
        sa_list.push((ns.clone(), n.clone(), rl, mode));
    }
    for (ns, n) in pias.keys() {
        if !sas.contains_key(&(ns.clone(), n.clone())) {
            c.note(format!("left out: pod identity association {ns}/{n}: its service account does not exist (eksfed would create it)"));
        }
    }
    if c.group {
        group::service_accounts(&mut c, &mut sa_list, &mut sa_blocks);
    }
    for (ns, n, rl, mode) in &sa_list {
        let want_label = if sa_names[n] > 1 {
            format!("{ns}_{n}")
        } else {
            n.clone()
        };
        let label = c.labels.take("service_account", &want_label);
        let address = format!("service_account.{label}");
        sa_blocks.push_str(&format!("service_account {} {{\n", q(&label)));
        sa_blocks.push_str(&c.allow_lines(&address, &[]));
        sa_blocks.push_str(&format!(
            "cluster = cluster.{}\nnamespace = {}\nname = {}\nrole = role.{rl}\n",
            c.cluster_label,
            q(ns),
            q(n)
        ));
        if *mode == "pod_identity" {
            sa_blocks.push_str("mode = \"pod_identity\"\n");
        }
        sa_blocks.push_str("}\n\n");
        c.import(address, format!("{ns}/{n}"));
        c.count("service_account");
    }

    // Access: aws-auth entries and/or access entries.
    struct Acc {
        arn: String,
        is_user: bool,
        username: Option<String>,
        groups: Vec<String>,
        policies: Vec<crate::render::AccessPolicyAssociation>,
        import_id: String,
    }
    let mut accs: Vec<Acc> = vec![];
    let by_stripped: BTreeMap<String, &AccessEntry> = entries
        .values()
        .map(|(e, _)| (crate::render::strip_role_path(&e.principal_arn), *e))
        .collect();
    match c.mode {
        "aws_auth" | "both" => {
            for e in &aws_auth {
                let arn = e.arn().to_string();
                if is_node_entry(e) {
                    continue;
                }
                if let Some(other) = s.aws_auth_owners.get(&arn).filter(|o| **o != s.stack) {
                    c.note(format!(
                        "left out: aws-auth entry {arn}: owned by the eksfed stack `{other}`"
                    ));
                    continue;
                }
                let is_user = e.userarn.is_some();
                let full = if is_user {
                    arn.clone()
                } else {
                    // The role's ARN with its path (aws-auth has it stripped).
                    arn_account_and_name(&arn, ":role/")
                        .and_then(|(acct, n)| (acct == s.account_id).then_some(n))
                        .and_then(|n| roles.get(n))
                        .map(|r| r.arn.to_string())
                        .unwrap_or_else(|| arn.clone())
                };
                if !is_user && crate::render::strip_role_path(&arn) != arn {
                    c.note(format!("left out: aws-auth entry {arn}: its rolearn has a path, which aws-iam-authenticator does not match"));
                    continue;
                }
                let mut acc = Acc {
                    arn: full,
                    is_user,
                    username: e.username.clone(),
                    groups: e.groups.clone(),
                    policies: vec![],
                    import_id: arn.clone(),
                };
                if c.mode == "both" {
                    let Some(ae) = by_stripped.get(&arn) else {
                        c.note(format!("left out: aws-auth entry {arn}: it has no access entry, and access_mode \"both\" would add one"));
                        continue;
                    };
                    let mut g1 = ae.kubernetes_groups.clone();
                    let mut g2 = e.groups.clone();
                    g1.sort();
                    g2.sort();
                    if g1 != g2 || (e.username.is_some() && e.username != ae.username) {
                        c.note(format!("left out: {arn}: its aws-auth entry and access entry differ (username or groups)"));
                        continue;
                    }
                    acc.policies = ae.access_policies.clone();
                }
                accs.push(acc);
            }
            if c.mode == "both" {
                let mapped: BTreeSet<String> =
                    aws_auth.iter().map(|e| e.arn().to_string()).collect();
                for (arn, (e, _)) in &entries {
                    if e.entry_type == "STANDARD"
                        && !mapped.contains(&crate::render::strip_role_path(arn))
                    {
                        c.note(format!("left out: access entry {arn}: it has no aws-auth entry, and access_mode \"both\" would add one"));
                    }
                }
            }
        }
        _ => {
            for (arn, (e, o)) in &entries {
                if e.entry_type != "STANDARD" {
                    continue;
                }
                if let Some(other) = c.owned_elsewhere(&o.owner) {
                    c.note(format!(
                        "left out: access entry {arn}: owned by the eksfed stack `{other}`"
                    ));
                    continue;
                }
                if e.username.as_deref().is_some_and(|u| u.starts_with("eks:"))
                    || arn.contains(":role/aws-service-role/")
                {
                    c.note(format!("left out: access entry {arn}: made by EKS"));
                    continue;
                }
                accs.push(Acc {
                    arn: arn.to_string(),
                    is_user: arn.contains(":user/"),
                    username: e.username.clone(),
                    groups: e.kubernetes_groups.clone(),
                    policies: e.access_policies.clone(),
                    import_id: arn.to_string(),
                });
            }
        }
    }
    let mut mapped_groups: BTreeSet<String> = BTreeSet::new();
    let mut mapped_users: BTreeSet<String> = BTreeSet::new();
    let mut access_blocks = String::new();
    for a in &accs {
        let role_label = (!a.is_user).then(|| c.role_ref_by_arn(&a.arn)).flatten();
        let wanted = role_label.clone().unwrap_or_else(|| {
            a.arn
                .rsplit(['/', ':'])
                .next()
                .unwrap_or(&a.arn)
                .to_string()
        });
        let label = c.labels.take("access", &wanted);
        let address = format!("access.{label}");
        access_blocks.push_str(&format!("access {} {{\n", q(&label)));
        access_blocks.push_str(&c.allow_lines(&address, &[]));
        access_blocks.push_str(&format!("cluster = cluster.{}\n", c.cluster_label));
        match (&role_label, a.is_user) {
            (Some(l), _) => access_blocks.push_str(&format!("role = role.{l}\n")),
            (None, true) => access_blocks.push_str(&format!("user_arn = {}\n", q(&a.arn))),
            (None, false) => access_blocks.push_str(&format!("role_arn = {}\n", q(&a.arn))),
        }
        if let Some(u) = &a.username {
            access_blocks.push_str(&format!("username = {}\n", q(u)));
            mapped_users.insert(u.clone());
        }
        if !a.groups.is_empty() {
            access_blocks.push_str(&format!("groups = {}\n", hcl::list(&a.groups)));
        }
        mapped_groups.extend(a.groups.iter().cloned());
        if uses_entries && !a.policies.is_empty() {
            access_blocks.push_str("access_policies = [\n");
            for p in &a.policies {
                let name = p
                    .policy_arn
                    .strip_prefix(&format!(
                        "arn:{}:eks::aws:cluster-access-policy/",
                        s.partition
                    ))
                    .unwrap_or(&p.policy_arn);
                let mut item = format!(
                    "{{ policy = {}, scope = {}",
                    q(name),
                    q(&p.access_scope.scope_type)
                );
                if !p.access_scope.namespaces.is_empty() {
                    item.push_str(&format!(
                        ", namespaces = {}",
                        hcl::list(&p.access_scope.namespaces)
                    ));
                }
                item.push_str(" },\n");
                access_blocks.push_str(&item);
            }
            access_blocks.push_str("]\n");
        }
        access_blocks.push_str("}\n\n");
        c.import(address, a.import_id.clone());
        c.count("access");
    }

    // RBAC bindings for mapped groups and usernames.
    let mut rbac_blocks = String::new();
    let mut chosen: Vec<(&Json, &LiveObject)> = vec![];
    for (m, o) in &bindings {
        let name = m["metadata"]["name"].as_str().unwrap_or("");
        let subjects = m["subjects"].as_array().cloned().unwrap_or_default();
        let hits = subjects.iter().any(|sub| {
            let n = sub["name"].as_str().unwrap_or("");
            match sub["kind"].as_str() {
                Some("Group") => mapped_groups.contains(n),
                Some("User") => mapped_users.contains(n),
                _ => false,
            }
        });
        if !hits {
            continue;
        }
        let ns = m["metadata"]["namespace"].as_str();
        let shown = match ns {
            Some(ns) => format!("{ns}/{name}"),
            None => name.to_string(),
        };
        if name.starts_with("system:")
            || name.starts_with("eks:")
            || m["metadata"]["labels"]["kubernetes.io/bootstrapping"].is_string()
        {
            c.note(format!(
                "left out: binding {shown}: made by Kubernetes or EKS"
            ));
            continue;
        }
        if let Some(other) = c.owned_elsewhere(&o.owner) {
            c.note(format!(
                "left out: binding {shown}: owned by the eksfed stack `{other}`"
            ));
            continue;
        }
        chosen.push((m, o));
    }
    let mut bnames: BTreeMap<String, usize> = BTreeMap::new();
    for (m, _) in &chosen {
        *bnames
            .entry(m["metadata"]["name"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    for (m, _) in &chosen {
        let name = m["metadata"]["name"].as_str().unwrap_or("");
        let ns = m["metadata"]["namespace"].as_str();
        let want_label = match ns {
            Some(ns) if bnames[name] > 1 => format!("{ns}_{name}"),
            _ => name.to_string(),
        };
        let label = c.labels.take("rbac_binding", &want_label);
        let address = format!("rbac_binding.{label}");
        rbac_blocks.push_str(&format!("rbac_binding {} {{\n", q(&label)));
        rbac_blocks.push_str(&c.allow_lines(&address, &[]));
        rbac_blocks.push_str(&format!(
            "cluster = cluster.{}\nname = {}\n",
            c.cluster_label,
            q(name)
        ));
        let subjects: Vec<String> = m["subjects"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|sub| {
                let mut s = format!(
                    "{{ kind = {}, name = {}",
                    q(sub["kind"].as_str().unwrap_or("")),
                    q(sub["name"].as_str().unwrap_or(""))
                );
                if let Some(n) = sub["namespace"].as_str() {
                    s.push_str(&format!(", namespace = {}", q(n)));
                }
                s.push_str(" }");
                s
            })
            .collect();
        rbac_blocks.push_str(&format!("subjects = {}\n", hcl::list_of(&subjects)));
        let rk = m["roleRef"]["kind"].as_str().unwrap_or("ClusterRole");
        let rn = m["roleRef"]["name"].as_str().unwrap_or("");
        if rk == "Role" {
            rbac_blocks.push_str(&format!("role = {}\n", q(rn)));
        } else {
            rbac_blocks.push_str(&format!("cluster_role = {}\n", q(rn)));
        }
        if let Some(ns) = ns {
            rbac_blocks.push_str(&format!("namespaces = [{}]\n", q(ns)));
        }
        rbac_blocks.push_str("}\n\n");
        c.import(
            address,
            match ns {
                Some(ns) => format!("{ns}/{name}"),
                None => name.to_string(),
            },
        );
        c.count("rbac_binding");
    }

    // Assemble.
    out.push_str(&format!(
        "# Generated by `eksfed generate` from account {} and cluster {} ({}).\n",
        s.account_id, s.cluster.name, s.cluster.region
    ));
    out.push_str("# `eksfed plan` shows only imports with no change; `eksfed apply` adds the ownership mark.\n");
    if !c.notes.is_empty() {
        out.push_str("#\n");
        let mut notes = c.notes.clone();
        notes.sort();
        for n in &notes {
            out.push_str(&format!("# {n}\n"));
        }
    }
    out.push('\n');
    out.push_str(&format!(
        "stack {} {{\naccount_id = {}\n",
        q(&s.stack),
        q(&s.account_id)
    ));
    if s.partition != "aws" {
        out.push_str(&format!("partition = {}\n", q(&s.partition)));
    }
    out.push_str(&c.allow_lines("stack", &[]));
    out.push_str("}\n\n");
    out.push_str(&format!(
        "cluster {} {{\nname = {}\nregion = {}\noidc_issuer_url = {}\n",
        q(&c.cluster_label),
        q(&s.cluster.name),
        q(&s.cluster.region),
        q(&s.cluster.issuer)
    ));
    if let Some(k) = &s.cluster.kube_context {
        out.push_str(&format!("kube_context = {}\n", q(k)));
    }
    out.push_str(&format!("access_mode = {}\n}}\n\n", q(c.mode)));
    out.push_str(&oidc_blocks);
    out.push_str(&policy_blocks);
    out.push_str(&role_blocks);
    out.push_str(&sa_blocks);
    out.push_str(&access_blocks);
    out.push_str(&rbac_blocks);

    let mut imports = String::from(
        "# Adopts every generated object eksfed may own: `eksfed apply` adds the ownership mark\n# and changes nothing else. These blocks may be deleted once applied.\n\n",
    );
    for (to, id) in &c.imports {
        imports.push_str(&format!("import {{\nto = {to}\nid = {}\n}}\n\n", q(id)));
    }
    let mut notes = c.notes.clone();
    notes.sort();
    Generated {
        main: crate::fmt::format(out.trim_end()),
        imports: crate::fmt::format(imports.trim_end()),
        notes,
        counts: c.counts,
        files: c.files,
    }
}

/// Lint diagnostics of generated text, by address: code → message.
fn lints_of(g: &Generated, account_id: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let compiled = crate::compile(crate::CompileInput {
        files: vec![("main.hcl".into(), g.main.clone())],
        reader: g,
        vars: Default::default(),
        facts: crate::Facts {
            account_id: Some(account_id.to_string()),
            ..Default::default()
        },
    });
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for d in compiled.diagnostics.iter() {
        let is_lint = d
            .code
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_uppercase())
            && !d.code.starts_with('E')
            || d.code.starts_with("EKS");
        if !is_lint {
            continue;
        }
        let Some(addr) = d.address.clone() else {
            continue;
        };
        let addr = addr.split('[').next().unwrap_or(&addr).to_string();
        let why = format!(
            "what is live triggers it ({}); kept as is so the round trip changes nothing",
            d.message.replace('\n', " ")
        );
        out.entry(addr).or_default().insert(d.code.clone(), why);
    }
    out
}

/// The generated stack for a snapshot. Lints that fire on what is live are silenced on their
/// block with a comment saying why (found by compiling a first pass).
pub fn generate(s: &Snapshot) -> Generated {
    generate_with(s, &Options::default())
}

/// How `eksfed generate` writes the stack.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--group`: roles of one shape (all but the name, and for a service account trust the
    /// namespace and names) under one `role` block with `for_each`, and their service accounts
    /// under one `service_account` block; only groups of two or more, and only where each
    /// instance compiles to exactly what one block would (so the round trip stays a no-op).
    pub group: bool,
}

/// [`generate`] with options.
pub fn generate_with(s: &Snapshot, opts: &Options) -> Generated {
    let first = write(s, &BTreeMap::new(), opts);
    let allow = lints_of(&first, &s.account_id);
    if allow.is_empty() {
        return first;
    }
    write(s, &allow, opts)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod text_snapshots;
