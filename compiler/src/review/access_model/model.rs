//! The access model's data: what `build` (in `access/mod.rs`) produces and `draw.rs` reads. A
//! leaf, so `draw.rs` does not import `access/mod.rs`.

use super::policy::{Statement, TrustPolicy};
use crate::desired::model::AccessMode;
use crate::plan::rendered::RenderedKind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const FORMAT_VERSION: u32 = 1;
pub const CLUSTER_ADMIN_POLICY: &str = "AmazonEKSClusterAdminPolicy";

/// A cluster as the model needs it: its label in the stack, its EKS name, its issuer (without
/// `https://`) to tell which cluster a service-account trust names, and its access mode.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterInfo {
    pub label: String,
    pub name: String,
    pub issuer: Option<String>,
    pub access_mode: AccessMode,
    /// `arn:aws:eks:REGION:ACCOUNT:cluster/NAME`, when known: pod identity presents it (and
    /// its account as `aws:SourceAccount`).
    pub arn: Option<String>,
}

/// One object the model is built from, and whether the stack owns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub kind: RenderedKind,
    pub managed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum GrantKind {
    ClusterRole,
    Role,
    AccessPolicy,
    Group,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub kind: GrantKind,
    pub name: String,
    /// The namespaces it applies in; empty: the whole cluster.
    pub namespaces: Vec<String>,
    /// Whom it is given to: `user:NAME`, `group:NAME`, `sa:NS/NAME` or `access-entry`.
    #[serde(skip)]
    pub via: Vec<String>,
    /// Whether every object giving it is owned by the stack.
    #[serde(skip)]
    pub managed: bool,
    /// Whether only the API server's bootstrap policy gives it (`system:basic-user` and the
    /// like, bound to `system:authenticated`).
    #[serde(skip)]
    pub bootstrap: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessPath {
    /// Who: `system:serviceaccount:NS:NAME` (patterns kept), `pod-identity:NS/NAME`,
    /// `saml:ARN`, `oidc:HOST sub=...`, `aws:ARN`; for Kubernetes subjects no IAM principal
    /// reaches, `kubernetes:user:NAME` / `kubernetes:group:NAME`.
    pub identity: String,
    /// The role (or IAM user) ARN; `None` for Kubernetes subjects.
    pub role: Option<String>,
    /// The cluster's EKS name; `None` when the role reaches no cluster.
    pub cluster: Option<String>,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub grants: Vec<Grant>,
    pub cluster_admin: bool,
    pub managed: bool,
    /// The identity is a `StringLike` pattern (wildcards match), not a literal.
    #[serde(skip)]
    pub pattern: bool,
    /// How the role is mapped into the cluster: `access entry`, `aws-auth` or none.
    #[serde(skip)]
    pub mapped_by: Option<String>,
    /// What admits the identity, evaluated for `--identity`; `None` for principals mapped
    /// without a trust policy read (IAM users, roles not found).
    #[serde(skip)]
    pub gate: Option<Gate>,
    /// The model cannot decide whether the path admits (the subject asked about, or anyone):
    /// it is kept, as admitting what it cannot rule out. The notes say why.
    #[serde(skip_serializing_if = "is_false")]
    pub may_admit: bool,
    /// Cluster admin cannot be ruled out (a ClusterRole whose rules are not known, or that
    /// may grant itself more); the notes say why.
    #[serde(skip_serializing_if = "is_false")]
    pub may_be_cluster_admin: bool,
    /// What a reader must know about this path, said plainly.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Groups the cluster puts the identity in without a mapping saying so
    /// (`system:authenticated`, a service account's `system:serviceaccounts`), patterns kept.
    #[serde(skip)]
    pub implicit_groups: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The cluster an identity belongs to (a service account's, a pod's), as its requests carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterFacts {
    pub name: String,
    pub arn: Option<String>,
    pub issuer: Option<String>,
}

/// How an identity comes to the role: through which principal of the trust policy.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// A web identity through the provider the statement names (its ARN, or a public IdP's
    /// name), for tokens of `host`.
    WebIdentity {
        provider: String,
        host: String,
    },
    Saml {
        provider: String,
    },
    /// Pod identity; `association`: the one association `(namespace, service account)` this
    /// path is for.
    PodIdentity {
        association: Option<(String, String)>,
    },
    Service(String),
    /// An AWS principal as the statement names it (ARN, account id, `:root`).
    Aws(String),
    /// `"*"` (or `NotPrincipal`): any principal.
    Any,
}

/// What admits a path's identity: the role's trust policy, and the Allow statement this path
/// comes from (narrowed to the one `sub` value it shows).
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub policy: Arc<TrustPolicy>,
    pub statement: Statement,
    pub via: Via,
    pub role_arn: String,
    pub cluster: Option<ClusterFacts>,
    /// Every cluster of the stack: a service account may come from any of them through a
    /// trust of `"*"`.
    pub clusters: Vec<ClusterFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccessModel {
    pub format_version: u32,
    pub paths: Vec<AccessPath>,
    /// What the model cannot see, said plainly.
    #[serde(skip)]
    pub limits: Vec<String>,
    /// What each role of the paths may do in AWS, summarised: `ACTIONS on RESOURCES` per
    /// Allow statement of its inline and customer managed policies, AWS managed ones by name.
    #[serde(skip)]
    pub permissions: BTreeMap<String, Vec<String>>,
}
