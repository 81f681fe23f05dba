//! The typed desired state: what the stack declares, every value resolved. Produced by
//! `compile`, read by checks, render, graph and diff.

use crate::diag::Span;
use crate::language::evblock::EvBlock;
use crate::language::value::Address;
use indexmap::IndexMap;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Stack {
    pub name: String,
    pub account_id: Option<String>,
    pub partition: String,
    pub trust_policy_limit: usize,
    pub managed_policies_per_role: usize,
    pub allow_lints: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccessMode {
    AwsAuth,
    AccessEntries,
    Both,
}

impl AccessMode {
    pub fn uses_aws_auth(self) -> bool {
        matches!(self, AccessMode::AwsAuth | AccessMode::Both)
    }
    pub fn uses_access_entries(self) -> bool {
        matches!(self, AccessMode::AccessEntries | AccessMode::Both)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub name: String,
    pub region: Option<String>,
    /// `None` when it is to be read with DescribeCluster at plan time.
    pub oidc_issuer_url: Option<String>,
    pub kube_context: Option<String>,
    pub access_mode: AccessMode,
    pub arn: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OidcProvider {
    pub url: String,
    pub client_ids: Vec<String>,
    /// `None` when the user did not give any: then they are not diffed.
    pub thumbprints: Option<Vec<String>>,
    pub tags: IndexMap<String, String>,
    pub arn: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SamlProvider {
    pub name: String,
    pub metadata: String,
    pub tags: IndexMap<String, String>,
    pub arn: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    pub name: String,
    pub path: String,
    pub description: String,
    /// Canonical IAM JSON document.
    pub document: serde_json::Value,
    pub tags: IndexMap<String, String>,
    pub arn: String,
}

#[derive(Debug, Clone, Serialize)]
pub enum Trust {
    ServiceAccount {
        /// The cluster whose issuer it names, when given by cluster.
        cluster: Option<Address>,
        provider: Option<Address>,
        /// Issuer without `https://`.
        issuer: String,
        provider_arn: String,
        namespace: String,
        names: Vec<String>,
        allow_wildcard: bool,
    },
    PodIdentity {
        conditions: IndexMap<String, Vec<String>>,
    },
    Saml {
        provider: Address,
        provider_arn: String,
    },
    Oidc {
        provider: Address,
        provider_arn: String,
        /// The provider URL without `https://`.
        issuer: String,
        conditions: IndexMap<String, Vec<String>>,
    },
    Aws {
        principals: Vec<String>,
        conditions: IndexMap<String, Vec<String>>,
    },
    /// `trust_statement`: one statement written as is.
    Raw { statement: serde_json::Value },
}

#[derive(Debug, Clone, Serialize)]
pub struct TrustBlock {
    pub trust: Trust,
    /// Span of the block and of its attributes, for diagnostics.
    #[serde(skip)]
    pub spans: IndexMap<String, Span>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub description: String,
    pub max_session_duration: i64,
    pub permissions_boundary: Option<String>,
    pub tags: IndexMap<String, String>,
    pub trusts: Vec<TrustBlock>,
    pub policies: Vec<String>,
    pub inline_policies: IndexMap<String, serde_json::Value>,
    pub trust_policy: serde_json::Value,
    pub arn: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceAccountMode {
    Irsa,
    PodIdentity,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceAccount {
    pub cluster: Address,
    pub namespace: String,
    pub name: String,
    pub role: Option<Address>,
    pub role_arn: Option<String>,
    pub mode: ServiceAccountMode,
    pub labels: IndexMap<String, String>,
    pub annotations: IndexMap<String, String>,
    pub create_namespace: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PrincipalKind {
    Role,
    User,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccessPolicy {
    pub policy_arn: String,
    pub scope: String,
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub cluster: Address,
    pub role: Option<Address>,
    pub principal_kind: PrincipalKind,
    /// As IAM writes it (path kept).
    pub principal_arn: String,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub access_policies: Vec<AccessPolicy>,
    pub entry_type: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RbacBinding {
    pub cluster: Address,
    /// The Kubernetes name; `eksfed-LABEL` when not given.
    pub name: Option<String>,
    pub subjects: Vec<Subject>,
    pub cluster_role: Option<String>,
    pub role: Option<String>,
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResourceKind {
    Cluster(Cluster),
    OidcProvider(OidcProvider),
    SamlProvider(SamlProvider),
    Policy(Policy),
    Role(Role),
    ServiceAccount(ServiceAccount),
    Access(Access),
    RbacBinding(RbacBinding),
}

/// One resource instance of the stack.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub address: Address,
    pub kind: ResourceKind,
    pub depends_on: Vec<Address>,
    pub prevent_destroy: bool,
    pub allow_lints: Vec<String>,
    /// The evaluated block, kept for the spans of its attributes.
    #[serde(skip)]
    pub block: EvBlock,
}

impl Resource {
    pub fn arn(&self) -> Option<&str> {
        match &self.kind {
            ResourceKind::Cluster(c) => Some(&c.arn),
            ResourceKind::OidcProvider(p) => Some(&p.arn),
            ResourceKind::SamlProvider(p) => Some(&p.arn),
            ResourceKind::Policy(p) => Some(&p.arn),
            ResourceKind::Role(r) => Some(&r.arn),
            ResourceKind::ServiceAccount(_)
            | ResourceKind::Access(_)
            | ResourceKind::RbacBinding(_) => None,
        }
    }
    /// `existing = true`: made and owned elsewhere, only read (see `adopt.rs`).
    pub fn is_existing(&self) -> bool {
        crate::desired::existing::is_existing(&self.block)
    }
    /// The cluster a Kubernetes- or EKS-side resource lives in.
    pub fn cluster(&self) -> Option<&Address> {
        match &self.kind {
            ResourceKind::ServiceAccount(s) => Some(&s.cluster),
            ResourceKind::Access(a) => Some(&a.cluster),
            ResourceKind::RbacBinding(r) => Some(&r.cluster),
            ResourceKind::Cluster(_)
            | ResourceKind::OidcProvider(_)
            | ResourceKind::SamlProvider(_)
            | ResourceKind::Policy(_)
            | ResourceKind::Role(_) => None,
        }
    }
}

/// Everything `compile` produces.
#[derive(Debug, Clone)]
pub struct DesiredState {
    pub stack: Stack,
    pub aws: AwsSettings,
    pub resources: Vec<Resource>,
    /// `import` blocks, in source order.
    pub imports: Vec<crate::desired::existing::Import>,
    index: std::collections::HashMap<Address, usize>,
}

impl DesiredState {
    pub fn new(stack: Stack, aws: AwsSettings, resources: Vec<Resource>) -> Self {
        let index = resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.address.clone(), i))
            .collect();
        DesiredState {
            stack,
            aws,
            resources,
            imports: vec![],
            index,
        }
    }

    pub fn get(&self, addr: &Address) -> Option<&Resource> {
        self.index.get(addr).and_then(|i| self.resources.get(*i))
    }
    pub fn cluster(&self, addr: &Address) -> Option<&Cluster> {
        match self.get(addr).map(|r| &r.kind) {
            Some(ResourceKind::Cluster(c)) => Some(c),
            _ => None,
        }
    }
}
