//! The rendered shape of desired objects — [`Rendered`], [`RenderedResource`] and
//! [`RenderedKind`] with the AWS and Kubernetes records they hold — and the small pure helpers
//! the kind files render with (ownership labels and tag, Kubernetes names, cluster labels,
//! the text of the files `eksfed render --out` writes). `render --format json` prints
//! [`Rendered`]; plan's before/after and live pieces have the same shape. A leaf: the kind
//! files and the stages import it; `render.rs` re-exports it.

use crate::kinds::id::KindId;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const STACK_LABEL: &str = "eksfed.io/stack";
pub const STACK_TAG: &str = "eksfed:stack";
pub const ROLE_ARN_ANNOTATION: &str = "eks.amazonaws.com/role-arn";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Rendered {
    pub format_version: u32,
    pub stack: String,
    pub resources: Vec<RenderedResource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RenderedResource {
    pub address: String,
    #[serde(flatten)]
    pub kind: RenderedKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AwsAuthEntry {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rolearn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub userarn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub username: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

impl AwsAuthEntry {
    pub fn arn(&self) -> &str {
        self.rolearn
            .as_deref()
            .or(self.userarn.as_deref())
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccessScope {
    #[serde(rename = "type")]
    pub scope_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccessPolicyAssociation {
    pub policy_arn: String,
    pub access_scope: AccessScope,
}

/// The `aws-auth` identity of a node role, by access entry type: what EKS assigns an access
/// entry of that type, written the ConfigMap's way (EKS user guide, `manage-access`).
pub fn node_identity(entry_type: &str) -> Option<(&'static str, &'static [&'static str])> {
    const NODES: &[&str] = &["system:bootstrappers", "system:nodes"];
    match entry_type {
        "EC2" | "EC2_LINUX" => Some(("system:node:{{EC2PrivateDNSName}}", NODES)),
        "HYBRID_LINUX" => Some(("system:node:{{SessionName}}", NODES)),
        "EC2_WINDOWS" => Some((
            "system:node:{{EC2PrivateDNSName}}",
            &[
                "system:bootstrappers",
                "system:nodes",
                "eks:kube-proxy-windows",
            ],
        )),
        "FARGATE_LINUX" => Some((
            "system:node:{{SessionName}}",
            &[
                "system:bootstrappers",
                "system:nodes",
                "system:node-proxier",
            ],
        )),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccessEntry {
    pub principal_arn: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub username: Option<String>,
    pub kubernetes_groups: Vec<String>,
    #[serde(rename = "type")]
    pub entry_type: String,
    pub access_policies: Vec<AccessPolicyAssociation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PodIdentityAssociation {
    pub cluster_name: String,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RenderedKind {
    OidcProvider {
        arn: String,
        url: String,
        client_ids: Vec<String>,
        /// Absent when the stack does not specify thumbprints (then they are not compared).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        thumbprints: Option<Vec<String>>,
        tags: IndexMap<String, String>,
    },
    SamlProvider {
        arn: String,
        name: String,
        metadata: String,
        tags: IndexMap<String, String>,
    },
    Policy {
        name: String,
        path: String,
        description: String,
        arn: String,
        document: Json,
        tags: IndexMap<String, String>,
    },
    Role {
        name: String,
        path: String,
        description: String,
        arn: String,
        max_session_duration: i64,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        permissions_boundary: Option<String>,
        tags: IndexMap<String, String>,
        trust_policy: Json,
        policies: Vec<String>,
        inline_policies: IndexMap<String, Json>,
    },
    ServiceAccount {
        cluster: String,
        manifest: Json,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pod_identity_association: Option<PodIdentityAssociation>,
    },
    Access {
        cluster: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        aws_auth: Option<AwsAuthEntry>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        access_entry: Option<AccessEntry>,
    },
    RbacBinding {
        cluster: String,
        manifests: Vec<Json>,
    },
}

impl RenderedKind {
    /// The piece's kind.
    pub fn id(&self) -> KindId {
        match self {
            RenderedKind::OidcProvider { .. } => KindId::OidcProvider,
            RenderedKind::SamlProvider { .. } => KindId::SamlProvider,
            RenderedKind::Policy { .. } => KindId::Policy,
            RenderedKind::Role { .. } => KindId::Role,
            RenderedKind::ServiceAccount { .. } => KindId::ServiceAccount,
            RenderedKind::Access { .. } => KindId::Access,
            RenderedKind::RbacBinding { .. } => KindId::RbacBinding,
        }
    }
    pub fn type_name(&self) -> &'static str {
        self.id().name()
    }
    /// The cluster label for Kubernetes/EKS-side objects.
    pub fn cluster(&self) -> Option<&str> {
        match self {
            RenderedKind::ServiceAccount { cluster, .. }
            | RenderedKind::Access { cluster, .. }
            | RenderedKind::RbacBinding { cluster, .. } => Some(cluster),
            RenderedKind::OidcProvider { .. }
            | RenderedKind::SamlProvider { .. }
            | RenderedKind::Policy { .. }
            | RenderedKind::Role { .. } => None,
        }
    }
}

/// `arn:aws:iam::1:role/a/b/name` -> `arn:aws:iam::1:role/name` (aws-iam-authenticator does
/// not match ARNs with paths).
pub fn strip_role_path(arn: &str) -> String {
    match arn.split_once(":role/") {
        Some((head, rest)) => format!("{head}:role/{}", rest.rsplit('/').next().unwrap_or(rest)),
        None => arn.to_string(),
    }
}

/// Kubernetes object names: lower case, `-` for what DNS-1123 does not allow.
pub fn k8s_name(s: &str) -> String {
    let n: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    n.trim_matches('-').to_string()
}

pub fn ownership_labels(stack: &str) -> IndexMap<String, String> {
    IndexMap::from([
        (MANAGED_BY_LABEL.to_string(), "eksfed".to_string()),
        (STACK_LABEL.to_string(), stack.to_string()),
    ])
}

/// The cluster label used in rendered objects and plans (`prod`, or `prod["key"]`).
pub fn cluster_key(a: &crate::language::value::Address) -> String {
    match &a.key {
        Some(k) => format!("{}[\"{k}\"]", a.label),
        None => a.label.clone(),
    }
}

/// The IAM tags of an owned object: the user's, plus the ownership mark.
pub fn with_stack_tag(tags: &IndexMap<String, String>, stack: &str) -> IndexMap<String, String> {
    let mut t = tags.clone();
    t.insert(STACK_TAG.to_string(), stack.to_string());
    t
}

/// A file `eksfed render --out` writes: its path (relative to the output directory) and text.
pub type RenderFile = (String, String);

/// A JSON file `eksfed render --out` writes: pretty-printed, ending with a newline.
pub fn json_file(v: &Json) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

/// A YAML file `eksfed render --out` writes.
pub fn yaml_file(v: &Json) -> String {
    serde_yaml::to_string(v).unwrap_or_default()
}

/// The file of an IAM provider (OIDC or SAML) under `iam/providers/`, named by its address:
/// the rendered record without the SAML metadata document.
pub fn provider_file(res: &RenderedResource) -> RenderFile {
    let mut v = serde_json::to_value(&res.kind).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
    }
    let file = res.address.replace(['"', '[', ']'], "_");
    (format!("iam/providers/{file}.json"), json_file(&v))
}
