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

mod access;
mod block;
mod cluster;
mod ctx;
mod group;
mod hcl;
pub mod labels;
mod policy;
mod providers;
mod rbac_binding;
mod role;
mod service_account;
mod trust;

use crate::plan::live::LiveObject;
use ctx::{Ctx, Read};
use serde::{Deserialize, Serialize};
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

impl crate::language::call::FileReader for Generated {
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

/// Generates the stack. `allow` holds lints found by compiling a first pass (see
/// [`generate`]). The writers run in this order, each handing out its labels and adding its
/// imports: a later one refers to what an earlier one labelled.
fn write(
    s: &Snapshot,
    allow: &BTreeMap<String, BTreeMap<String, String>>,
    opts: &Options,
) -> Generated {
    let read = Read::index(s);
    let mut c = Ctx::new(s, allow, opts, &read);
    let want = role::select(&mut c, &read);
    let providers = providers::write(&mut c, &read, &want);
    let policies = policy::write(&mut c, &read, &want);
    // With --group, repeated shapes under one block with for_each, before the rest.
    let mut roles = String::new();
    let grouped = if c.group {
        group::roles(&mut c, &want, &read.roles, &mut roles)
    } else {
        BTreeSet::new()
    };
    roles.push_str(&role::write(&mut c, &read, &want, &grouped));
    let mut sa = service_account::select(&mut c, &read);
    let mut service_accounts = String::new();
    if c.group {
        group::service_accounts(&mut c, &mut sa.list, &mut service_accounts);
    }
    service_accounts.push_str(&service_account::write(&mut c, &sa));
    let (access, mapped) = access::write(&mut c, &read);
    let bindings = rbac_binding::write(&mut c, &read, &mapped);
    let mut out = cluster::head(&c);
    for blocks in [
        providers,
        policies,
        roles,
        service_accounts,
        access,
        bindings,
    ] {
        out.push_str(&blocks);
    }
    let imports = cluster::imports(&c);
    let mut notes = c.notes.clone();
    notes.sort();
    Generated {
        main: crate::language::fmt::format(out.trim_end()),
        imports: crate::language::fmt::format(imports.trim_end()),
        notes,
        counts: c.counts,
        files: c.files,
    }
}

/// Lint diagnostics of generated text, by address: code → message.
fn lints_of(g: &Generated, account_id: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let compiled = crate::desired::compile::compile(crate::desired::compile::CompileInput {
        files: vec![("main.hcl".into(), g.main.clone())],
        reader: g,
        vars: Default::default(),
        facts: crate::desired::compile::Facts {
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
