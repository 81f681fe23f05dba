//! `access`: a principal's way into a cluster — an `aws-auth` entry and/or an EKS access entry
//! (with its access policies), by the cluster's access mode.
//!
//! In this file, in order: the front half — the `access` block, its lowering (principal,
//! access policies, entry type), exports (its `impl Lower`); its render (`impl Render`: the
//! typed model into the piece AWS or Kubernetes holds); its `Kind` impl (the diff side, the
//! ids an `import` block names it by, and the files `eksfed render --out` writes).

use super::declared::{Lower, Render};
use super::id::KindId;
use super::kind::{sorted, Kind, ObjectKey, Parts};
use crate::desired::model::{
    Access, AccessMode, AccessPolicy, DesiredState, PrincipalKind, Resource, ResourceKind,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::lowering::{
    attr_str, cluster_ref, enum_value, resource_ref, string_exports, Ctx, E_ENUM, E_SEMANTIC,
};
use crate::language::evblock::EvBlock;
use crate::language::schema::types::{opt, req, Attr, BlockSchema, Ty};
use crate::language::value::{Address, Value};
use crate::plan::rendered::{
    cluster_key, json_file, k8s_name, node_identity, strip_role_path, yaml_file, AccessEntry,
    AccessPolicyAssociation, AccessScope, AwsAuthEntry, RenderFile, RenderedKind, RenderedResource,
};
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

// ---- Schema

pub const ACCESS_POLICY_ATTRS: &[Attr] = &[
    req(
        "policy",
        Ty::String,
        "EKS cluster access policy name or ARN",
    ),
    opt("scope", Ty::String, "cluster | namespace"),
    opt(
        "namespaces",
        Ty::ListString,
        "namespaces for namespace scope",
    ),
];

/// The `access` block: its labels, attributes and nested blocks.
pub const SCHEMA: BlockSchema = BlockSchema {
    name: "access",
    labels: &["label"],
    attrs: &[
        req("cluster", Ty::Ref(&["cluster"]), "the cluster"),
        opt("role", Ty::Ref(&["role"]), "a role of the stack"),
        opt("role_arn", Ty::String, "or a role ARN"),
        opt("user_arn", Ty::String, "or a user ARN"),
        opt(
            "username",
            Ty::String,
            "Kubernetes user name (aws-iam-authenticator templates allowed)",
        ),
        opt("groups", Ty::ListString, "Kubernetes groups"),
        opt(
            "access_policies",
            Ty::ListObject(ACCESS_POLICY_ATTRS),
            "EKS access policy associations",
        ),
        opt("type", Ty::String, "access entry type: STANDARD (default), or a node type EC2, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX (EKS assigns the username and groups)"),
    ],
    blocks: &[],
    open: false,
    doc: "a person-facing IAM role or user mapped into a cluster",
};

// ---- Lowering

/// EKS cluster access policies (`ListAccessPolicies`), for `access_policies`.
pub const EKS_ACCESS_POLICIES: &[&str] = &[
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
];

/// Access entry types (CreateAccessEntry `type`); all but STANDARD are for nodes.
const ENTRY_TYPES: &[&str] = &[
    "STANDARD",
    "EC2",
    "EC2_LINUX",
    "EC2_WINDOWS",
    "FARGATE_LINUX",
    "HYBRID_LINUX",
];

/// A node entry (any type but STANDARD) gets its username and groups from EKS, which refuses
/// them in CreateAccessEntry; its principal must be a role, and only Auto Mode's `EC2` type
/// takes access policies.
fn check_node_entry(
    b: &EvBlock,
    entry_type: &str,
    principal: &PrincipalKind,
    has_policies: bool,
    d: &mut Diagnostics,
) {
    if entry_type == "STANDARD" {
        return;
    }
    let refuse = |attr: &str, d: &mut Diagnostics| {
        d.push(
            Diagnostic::error(
                E_SEMANTIC,
                format!("an access entry of type {entry_type} cannot set `{attr}`"),
            )
            .at(Some(b.span_of(attr)))
            .help("EKS assigns the username and groups of node entries; remove the attribute or use type STANDARD"),
        );
    };
    for attr in ["username", "groups"] {
        if b.get(attr).is_some() && (attr != "groups" || !b.list(attr).is_empty()) {
            refuse(attr, d);
        }
    }
    if has_policies && entry_type != "EC2" {
        refuse("access_policies", d);
    }
    if *principal == PrincipalKind::User {
        d.push(
            Diagnostic::error(
                E_SEMANTIC,
                format!("an access entry of type {entry_type} must be for a role, not a user"),
            )
            .at(Some(b.span_of("user_arn"))),
        );
    }
}

/// The `access` kind: its lowering, render and diff side.
pub struct AccessKind;

impl Lower for AccessKind {
    type Model = Access;
    const ID: KindId = KindId::Access;
    const SCHEMA: &'static BlockSchema = &SCHEMA;

    /// Lowers an `access` block: exactly one principal, its access policies (known EKS policies,
    /// scopes) and its entry type.
    fn lower(_addr: &Address, b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> Access {
        let role = resource_ref(b, "role");
        let given = [
            b.get("role").is_some(),
            b.get("role_arn").is_some(),
            b.get("user_arn").is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            d.push(
                Diagnostic::error(
                    E_SEMANTIC,
                    "`access` needs exactly one of `role`, `role_arn` or `user_arn`",
                )
                .at(Some(b.span.clone())),
            );
        }
        let (principal_kind, principal_arn) = match (&role, b.str("role_arn"), b.str("user_arn")) {
            (Some((_, attrs)), _, _) => (PrincipalKind::Role, attr_str(attrs, "arn")),
            (None, Some(r), _) => (PrincipalKind::Role, r),
            (None, None, Some(u)) => (PrincipalKind::User, u),
            _ => (PrincipalKind::Role, String::new()),
        };
        let mut access_policies = vec![];
        if let Some(Value::List(items)) = b.get("access_policies") {
            for item in items {
                let Value::Map(m) = item else { continue };
                let policy = m
                    .get("policy")
                    .and_then(Value::as_string)
                    .unwrap_or_default();
                let scope = m
                    .get("scope")
                    .and_then(Value::as_string)
                    .unwrap_or_else(|| "cluster".into());
                if scope != "cluster" && scope != "namespace" {
                    d.push(Diagnostic::error(E_ENUM, format!("access policy scope must be \"cluster\" or \"namespace\", got \"{scope}\"")).at(Some(b.span_of("access_policies"))));
                }
                let namespaces = match m.get("namespaces") {
                    Some(Value::List(l)) => l.iter().filter_map(Value::as_string).collect(),
                    _ => vec![],
                };
                if scope == "namespace" && namespaces.is_empty() {
                    d.push(
                        Diagnostic::error(
                            E_SEMANTIC,
                            format!(
                                "access policy `{policy}` has namespace scope but no `namespaces`"
                            ),
                        )
                        .at(Some(b.span_of("access_policies"))),
                    );
                }
                let short = policy.rsplit('/').next().unwrap_or(&policy).to_string();
                if !EKS_ACCESS_POLICIES.contains(&short.as_str()) {
                    let hint =
                        crate::language::call::suggest(&short, EKS_ACCESS_POLICIES.iter().copied())
                            .map(|s| format!("did you mean `{s}`? "))
                            .unwrap_or_default();
                    d.push(
                        Diagnostic::error(
                            E_ENUM,
                            format!("`{policy}` is not an EKS cluster access policy"),
                        )
                        .at(Some(b.span_of("access_policies")))
                        .help(format!(
                            "{hint}known policies: {}",
                            EKS_ACCESS_POLICIES.join(", ")
                        )),
                    );
                }
                let policy_arn = if policy.starts_with("arn:") {
                    policy
                } else {
                    format!(
                        "arn:{}:eks::aws:cluster-access-policy/{policy}",
                        ctx.partition
                    )
                };
                access_policies.push(AccessPolicy {
                    policy_arn,
                    scope,
                    namespaces,
                });
            }
        }
        let entry_type = enum_value(b, "type", ENTRY_TYPES, "STANDARD", d);
        check_node_entry(
            b,
            &entry_type,
            &principal_kind,
            !access_policies.is_empty(),
            d,
        );
        Access {
            cluster: cluster_ref(b),
            role: role.map(|r| r.0),
            principal_kind,
            principal_arn,
            username: b.str("username"),
            groups: b.list("groups"),
            access_policies,
            entry_type,
        }
    }

    /// What other blocks may read of an access: `access.LABEL.ATTR`.
    fn exports(a: &Access, _ctx: &Ctx<'_>) -> IndexMap<String, Value> {
        string_exports(&[("principal_arn", &a.principal_arn)])
    }
}

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

impl Render for AccessKind {
    /// By the cluster's access mode, the `aws-auth` entry (role path stripped; a node role's
    /// identity as EKS assigns it) and/or the EKS access entry with its access policies.
    fn render(a: &Access, _r: &Resource, desired: &DesiredState) -> RenderedKind {
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
            cluster: cluster_key(&a.cluster),
            aws_auth,
            access_entry,
        }
    }
}

// ---- Diff

/// Kubernetes groups in their normal form: a set (EKS and `aws-auth` keep no order). The
/// plan compares them so and the runtime decides on an update so.
pub fn normal_groups(g: &[String]) -> Vec<String> {
    sorted(g)
}

/// An access scope's namespaces in their normal form: a set.
pub fn normal_namespaces(n: &[String]) -> Vec<String> {
    sorted(n)
}

pub fn key_aws_auth(cluster: &str, arn: &str) -> ObjectKey {
    format!("k8s:{cluster}:aws-auth:{arn}")
}
pub fn key_access_entry(cluster: &str, principal_arn: &str) -> ObjectKey {
    format!("eks:{cluster}:access-entry:{principal_arn}")
}

impl Kind for AccessKind {
    fn type_name(&self) -> &'static str {
        KindId::Access.name()
    }
    fn keys(&self, piece: &RenderedKind) -> Vec<ObjectKey> {
        let RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } = piece
        else {
            return vec![];
        };
        let mut v = vec![];
        if let Some(a) = aws_auth {
            v.push(key_aws_auth(cluster, a.arn()));
        }
        if let Some(e) = access_entry {
            v.push(key_access_entry(cluster, &e.principal_arn));
        }
        v
    }
    /// Both pieces, whatever the cluster's mode: an `aws-auth` entry after a switch to
    /// access entries (or back).
    fn other_mode_keys(&self, desired: &RenderedKind) -> Vec<ObjectKey> {
        let RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } = desired
        else {
            return vec![];
        };
        let arn = access_entry
            .as_ref()
            .map(|e| e.principal_arn.clone())
            .or_else(|| aws_auth.as_ref().map(|a| a.arn().to_string()))
            .unwrap_or_default();
        vec![
            key_aws_auth(cluster, &strip_role_path(&arn)),
            key_access_entry(cluster, &arn),
        ]
    }
    fn merge(&self, desired: &RenderedKind, pieces: &[&RenderedKind]) -> RenderedKind {
        let RenderedKind::Access { cluster, .. } = desired else {
            return pieces[0].clone();
        };
        let (mut aa, mut ae) = (None, None);
        for p in pieces {
            if let RenderedKind::Access {
                aws_auth,
                access_entry,
                ..
            } = p
            {
                aa = aa.or(aws_auth.clone());
                ae = ae.or(access_entry.clone());
            }
        }
        RenderedKind::Access {
            cluster: cluster.clone(),
            aws_auth: aa,
            access_entry: ae,
        }
    }
    /// Groups and policies in any order; the username of an access entry only when the stack
    /// gives one (EKS generates one otherwise).
    fn normalize(&self, piece: &RenderedKind, desired: &RenderedKind) -> Json {
        match (piece, desired) {
            (
                RenderedKind::Access {
                    aws_auth,
                    access_entry,
                    ..
                },
                RenderedKind::Access {
                    access_entry: de, ..
                },
            ) => json!({
                "aws_auth": aws_auth.as_ref().map(|a| json!({ "arn": a.arn(), "username": a.username, "groups": normal_groups(&a.groups) })),
                "access_entry": access_entry.as_ref().map(|e| {
                    let mut pols: Vec<Json> = e.access_policies.iter().map(|p| json!({ "policy_arn": p.policy_arn, "type": p.access_scope.scope_type, "namespaces": normal_namespaces(&p.access_scope.namespaces) })).collect();
                    pols.sort_by_key(|p| p.to_string());
                    // EKS generates a username when none is given: compare only a specified one.
                    let username = if de.as_ref().is_some_and(|d| d.username.is_some()) { json!(e.username) } else { Json::Null };
                    json!({ "principal_arn": e.principal_arn, "username": username, "groups": normal_groups(&e.kubernetes_groups), "type": e.entry_type, "policies": pols })
                }),
            }),
            _ => serde_json::to_value(piece).unwrap_or_default(),
        }
    }
    fn replace_reason(&self, before: &RenderedKind, after: &RenderedKind) -> Option<String> {
        match (before, after) {
            (
                RenderedKind::Access {
                    access_entry: Some(a),
                    ..
                },
                RenderedKind::Access {
                    access_entry: Some(b),
                    ..
                },
            ) if a.entry_type != b.entry_type => Some(format!(
                "access entry type changed from {} to {} (immutable)",
                a.entry_type, b.entry_type
            )),
            _ => None,
        }
    }
    fn delete_tier(&self) -> u8 {
        0
    }
    fn describe(&self, piece: &RenderedKind) -> String {
        let RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } = piece
        else {
            return String::new();
        };
        match (aws_auth, access_entry) {
            (Some(a), _) => format!("the aws-auth entry for {} in cluster {cluster}", a.arn()),
            (_, Some(e)) => format!(
                "the access entry for {} in cluster {cluster}",
                e.principal_arn
            ),
            _ => "an access mapping".into(),
        }
    }
    fn import_id(&self, piece: &RenderedKind) -> String {
        self.orphan_name(piece)
    }
    /// The principal's ARN (the `aws-auth` entry's first).
    fn orphan_name(&self, piece: &RenderedKind) -> String {
        let RenderedKind::Access {
            aws_auth,
            access_entry,
            ..
        } = piece
        else {
            return String::new();
        };
        aws_auth
            .as_ref()
            .map(|a| a.arn().to_string())
            .or_else(|| access_entry.as_ref().map(|e| e.principal_arn.clone()))
            .unwrap_or_default()
    }
    fn parts<'a>(&self, piece: &'a RenderedKind) -> Parts<'a> {
        let RenderedKind::Access {
            aws_auth,
            access_entry,
            ..
        } = piece
        else {
            return Parts::default();
        };
        Parts {
            aws_auth: aws_auth.as_ref(),
            access_entry: access_entry.as_ref(),
            ..Parts::default()
        }
    }
    /// The principal ARN.
    fn import_id_form(&self) -> &'static str {
        "the principal ARN"
    }
    /// The principal ARN as IAM writes it (path kept, from the model), then as its access
    /// entry and `aws-auth` entry write it.
    fn import_ids(&self, model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String> {
        let RenderedKind::Access {
            aws_auth,
            access_entry,
            ..
        } = piece
        else {
            return vec![];
        };
        let mut v = vec![];
        if let Some(ResourceKind::Access(a)) = model {
            v.push(a.principal_arn.clone());
        }
        if let Some(e) = access_entry {
            v.push(e.principal_arn.clone());
            v.push(strip_role_path(&e.principal_arn));
        }
        if let Some(a) = aws_auth {
            v.push(a.arn().to_string());
        }
        v
    }
    /// None of its own: its entries are in the files its cluster's pieces share
    /// ([`Kind::cluster_files`]).
    fn files(&self, _res: &RenderedResource) -> Vec<RenderFile> {
        vec![]
    }
    /// Per cluster, the `aws-auth` entries (`k8s/CLUSTER/kube-system/aws-auth-entries.yaml`:
    /// `mapRoles` and `mapUsers`), then the access entries (`eks/CLUSTER/access-entries.json`).
    fn cluster_files(&self, pieces: &[&RenderedKind]) -> Vec<RenderFile> {
        let mut aws_auth: IndexMap<String, Vec<&AwsAuthEntry>> = IndexMap::new();
        let mut entries: IndexMap<String, Vec<&AccessEntry>> = IndexMap::new();
        for piece in pieces {
            if let RenderedKind::Access {
                cluster,
                aws_auth: a,
                access_entry,
            } = piece
            {
                if let Some(a) = a {
                    aws_auth.entry(cluster.clone()).or_default().push(a);
                }
                if let Some(e) = access_entry {
                    entries.entry(cluster.clone()).or_default().push(e);
                }
            }
        }
        let mut out = vec![];
        for (cluster, list) in aws_auth {
            let roles: Vec<_> = list.iter().filter(|e| e.rolearn.is_some()).collect();
            let users: Vec<_> = list.iter().filter(|e| e.userarn.is_some()).collect();
            let v = json!({ "mapRoles": roles, "mapUsers": users });
            out.push((
                format!(
                    "k8s/{}/kube-system/aws-auth-entries.yaml",
                    k8s_name(&cluster)
                ),
                yaml_file(&v),
            ));
        }
        for (cluster, list) in entries {
            out.push((
                format!("eks/{}/access-entries.json", k8s_name(&cluster)),
                json_file(&json!(list)),
            ));
        }
        out
    }
}
