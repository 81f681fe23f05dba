//! Stage `render`: the desired objects in the forms AWS and Kubernetes use: canonical IAM
//! JSON documents, ServiceAccount / RoleBinding / ClusterRoleBinding objects carrying the
//! ownership labels, `aws-auth` entries (role path stripped) and EKS access-entry records.
//! `render --format json` prints [`Rendered`]; plan's before/after have the same shape.

use crate::model::*;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

pub const FORMAT_VERSION: u32 = 1;
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
    pub fn type_name(&self) -> &'static str {
        match self {
            RenderedKind::OidcProvider { .. } => "oidc_provider",
            RenderedKind::SamlProvider { .. } => "saml_provider",
            RenderedKind::Policy { .. } => "policy",
            RenderedKind::Role { .. } => "role",
            RenderedKind::ServiceAccount { .. } => "service_account",
            RenderedKind::Access { .. } => "access",
            RenderedKind::RbacBinding { .. } => "rbac_binding",
        }
    }
    /// The cluster label for Kubernetes/EKS-side objects.
    pub fn cluster(&self) -> Option<&str> {
        match self {
            RenderedKind::ServiceAccount { cluster, .. }
            | RenderedKind::Access { cluster, .. }
            | RenderedKind::RbacBinding { cluster, .. } => Some(cluster),
            _ => None,
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
pub fn cluster_key(a: &crate::value::Address) -> String {
    cluster_label(a)
}

fn cluster_label(a: &crate::value::Address) -> String {
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

pub fn render(desired: &DesiredState) -> Rendered {
    let stack = &desired.stack.name;
    let mut resources = vec![];
    for r in &desired.resources {
        if r.is_existing() {
            continue; // read, never rendered: see adopt.rs
        }
        let kind = match &r.kind {
            ResourceKind::Cluster(_) => continue,
            ResourceKind::OidcProvider(p) => RenderedKind::OidcProvider {
                arn: p.arn.clone(),
                url: p.url.clone(),
                client_ids: p.client_ids.clone(),
                thumbprints: p.thumbprints.clone(),
                tags: with_stack_tag(&p.tags, stack),
            },
            ResourceKind::SamlProvider(p) => RenderedKind::SamlProvider {
                arn: p.arn.clone(),
                name: p.name.clone(),
                metadata: p.metadata.clone(),
                tags: with_stack_tag(&p.tags, stack),
            },
            ResourceKind::Policy(p) => RenderedKind::Policy {
                name: p.name.clone(),
                path: p.path.clone(),
                description: p.description.clone(),
                arn: p.arn.clone(),
                document: p.document.clone(),
                tags: with_stack_tag(&p.tags, stack),
            },
            ResourceKind::Role(role) => RenderedKind::Role {
                name: role.name.clone(),
                path: role.path.clone(),
                description: role.description.clone(),
                arn: role.arn.clone(),
                max_session_duration: role.max_session_duration,
                permissions_boundary: role.permissions_boundary.clone(),
                tags: with_stack_tag(&role.tags, stack),
                trust_policy: role.trust_policy.clone(),
                policies: role.policies.clone(),
                inline_policies: role.inline_policies.clone(),
            },
            ResourceKind::ServiceAccount(sa) => {
                let mut labels = sa.labels.clone();
                labels.extend(ownership_labels(stack));
                let mut annotations = sa.annotations.clone();
                if let (ServiceAccountMode::Irsa, Some(arn)) = (sa.mode, &sa.role_arn) {
                    annotations.insert(ROLE_ARN_ANNOTATION.to_string(), arn.clone());
                }
                let mut metadata =
                    json!({ "name": sa.name, "namespace": sa.namespace, "labels": labels });
                if !annotations.is_empty() {
                    metadata["annotations"] = json!(annotations);
                }
                let cluster_name = desired
                    .cluster(&sa.cluster)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                RenderedKind::ServiceAccount {
                    cluster: cluster_label(&sa.cluster),
                    manifest: json!({ "apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata }),
                    pod_identity_association: match (sa.mode, &sa.role_arn) {
                        (ServiceAccountMode::PodIdentity, Some(arn)) => {
                            Some(PodIdentityAssociation {
                                cluster_name,
                                namespace: sa.namespace.clone(),
                                service_account: sa.name.clone(),
                                role_arn: arn.clone(),
                            })
                        }
                        _ => None,
                    },
                }
            }
            ResourceKind::Access(a) => {
                let mode = desired
                    .cluster(&a.cluster)
                    .map(|c| c.access_mode)
                    .unwrap_or(AccessMode::AwsAuth);
                let aws_auth = mode.uses_aws_auth().then(|| {
                    let (rolearn, userarn) = match a.principal_kind {
                        PrincipalKind::Role => (Some(strip_role_path(&a.principal_arn)), None),
                        PrincipalKind::User => (None, Some(a.principal_arn.clone())),
                    };
                    let (username, groups) = match node_identity(&a.entry_type) {
                        Some((u, g)) => (
                            Some(u.to_string()),
                            g.iter().map(|s| s.to_string()).collect(),
                        ),
                        None => (a.username.clone(), a.groups.clone()),
                    };
                    AwsAuthEntry {
                        rolearn,
                        userarn,
                        username,
                        groups,
                    }
                });
                let access_entry = mode.uses_access_entries().then(|| AccessEntry {
                    principal_arn: a.principal_arn.clone(),
                    username: a.username.clone(),
                    kubernetes_groups: a.groups.clone(),
                    entry_type: a.entry_type.clone(),
                    access_policies: a
                        .access_policies
                        .iter()
                        .map(|p| AccessPolicyAssociation {
                            policy_arn: p.policy_arn.clone(),
                            access_scope: AccessScope {
                                scope_type: p.scope.clone(),
                                namespaces: p.namespaces.clone(),
                            },
                        })
                        .collect(),
                });
                RenderedKind::Access {
                    cluster: cluster_label(&a.cluster),
                    aws_auth,
                    access_entry,
                }
            }
            ResourceKind::RbacBinding(b) => {
                let name = b.name.clone().unwrap_or_else(|| {
                    k8s_name(&format!(
                        "eksfed-{}{}",
                        r.address.label,
                        r.address
                            .key
                            .as_deref()
                            .map(|k| format!("-{k}"))
                            .unwrap_or_default()
                    ))
                });
                let (role_kind, role_name) = match (&b.cluster_role, &b.role) {
                    (Some(cr), _) => ("ClusterRole", cr.clone()),
                    (None, Some(r)) => ("Role", r.clone()),
                    _ => ("ClusterRole", String::new()),
                };
                let subjects: Vec<Json> = b
                    .subjects
                    .iter()
                    .map(|s| match s.kind.as_str() {
                        "ServiceAccount" => json!({ "kind": "ServiceAccount", "name": s.name, "namespace": s.namespace.clone().unwrap_or_else(|| "default".into()) }),
                        k => json!({ "kind": k, "name": s.name, "apiGroup": "rbac.authorization.k8s.io" }),
                    })
                    .collect();
                let role_ref = json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name });
                let labels = ownership_labels(stack);
                let manifests = if b.namespaces.is_empty() {
                    vec![json!({
                        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                        "metadata": { "name": name, "labels": labels },
                        "roleRef": role_ref, "subjects": subjects,
                    })]
                } else {
                    b.namespaces
                        .iter()
                        .map(|ns| {
                            json!({
                                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                                "metadata": { "name": name, "namespace": ns, "labels": labels },
                                "roleRef": role_ref, "subjects": subjects,
                            })
                        })
                        .collect()
                };
                RenderedKind::RbacBinding {
                    cluster: cluster_label(&b.cluster),
                    manifests,
                }
            }
        };
        resources.push(RenderedResource {
            address: r.address.to_string(),
            kind,
        });
    }
    Rendered {
        format_version: FORMAT_VERSION,
        stack: stack.clone(),
        resources,
    }
}

/// Files for GitOps (`render --out DIR`): one JSON per IAM document, one YAML per Kubernetes
/// object, the `aws-auth` entries and access entries per cluster. Paths are relative.
pub fn files(r: &Rendered) -> Vec<(String, String)> {
    let pretty = |v: &Json| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    let yaml = |v: &Json| serde_yaml::to_string(v).unwrap_or_default();
    let mut out = vec![];
    let mut aws_auth: IndexMap<String, Vec<&AwsAuthEntry>> = IndexMap::new();
    let mut entries: IndexMap<String, Vec<&AccessEntry>> = IndexMap::new();
    let mut pods: IndexMap<String, Vec<&PodIdentityAssociation>> = IndexMap::new();
    for res in &r.resources {
        match &res.kind {
            RenderedKind::Policy { name, document, .. } => {
                out.push((format!("iam/policies/{name}.json"), pretty(document)))
            }
            RenderedKind::Role {
                name,
                trust_policy,
                inline_policies,
                ..
            } => {
                out.push((
                    format!("iam/roles/{name}/trust-policy.json"),
                    pretty(trust_policy),
                ));
                for (p, doc) in inline_policies {
                    out.push((format!("iam/roles/{name}/inline-{p}.json"), pretty(doc)));
                }
            }
            RenderedKind::OidcProvider { .. } | RenderedKind::SamlProvider { .. } => {
                let mut v = serde_json::to_value(&res.kind).unwrap_or_default();
                if let Some(m) = v.as_object_mut() {
                    m.remove("metadata");
                }
                let file = res.address.replace(['"', '[', ']'], "_");
                out.push((format!("iam/providers/{file}.json"), pretty(&v)));
            }
            RenderedKind::ServiceAccount {
                cluster,
                manifest,
                pod_identity_association,
            } => {
                let ns = manifest["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("default");
                let n = manifest["metadata"]["name"].as_str().unwrap_or("sa");
                out.push((
                    format!("k8s/{}/{ns}/serviceaccount-{n}.yaml", k8s_name(cluster)),
                    yaml(manifest),
                ));
                if let Some(p) = pod_identity_association {
                    pods.entry(cluster.clone()).or_default().push(p);
                }
            }
            RenderedKind::RbacBinding { cluster, manifests } => {
                for m in manifests {
                    let kind = m["kind"].as_str().unwrap_or("binding").to_lowercase();
                    let n = m["metadata"]["name"].as_str().unwrap_or("binding");
                    let dir = m["metadata"]["namespace"].as_str().unwrap_or("_cluster");
                    out.push((
                        format!("k8s/{}/{dir}/{kind}-{n}.yaml", k8s_name(cluster)),
                        yaml(m),
                    ));
                }
            }
            RenderedKind::Access {
                cluster,
                aws_auth: a,
                access_entry,
            } => {
                if let Some(a) = a {
                    aws_auth.entry(cluster.clone()).or_default().push(a);
                }
                if let Some(e) = access_entry {
                    entries.entry(cluster.clone()).or_default().push(e);
                }
            }
        }
    }
    for (cluster, list) in aws_auth {
        let roles: Vec<_> = list.iter().filter(|e| e.rolearn.is_some()).collect();
        let users: Vec<_> = list.iter().filter(|e| e.userarn.is_some()).collect();
        let v = json!({ "mapRoles": roles, "mapUsers": users });
        out.push((
            format!(
                "k8s/{}/kube-system/aws-auth-entries.yaml",
                k8s_name(&cluster)
            ),
            yaml(&v),
        ));
    }
    for (cluster, list) in entries {
        out.push((
            format!("eks/{}/access-entries.json", k8s_name(&cluster)),
            pretty(&json!(list)),
        ));
    }
    for (cluster, list) in pods {
        out.push((
            format!("eks/{}/pod-identity-associations.json", k8s_name(&cluster)),
            pretty(&json!(list)),
        ));
    }
    out
}
