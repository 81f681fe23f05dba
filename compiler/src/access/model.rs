//! The access model's data: what `build` (in `access/mod.rs`) produces and `draw.rs` reads. A
//! leaf, so `draw.rs` does not import `access/mod.rs`.

use crate::model::AccessMode;
use crate::render::RenderedKind;
use serde::Serialize;
use std::collections::BTreeMap;

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
