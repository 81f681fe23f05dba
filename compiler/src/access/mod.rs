//! The access model (`eksfed access`): every path by which an outside identity reaches a role,
//! and a role reaches a cluster, joined across the four places that decide it: IAM trust
//! policies (identity → role, with the admitting pattern kept), `aws-auth` and access entries
//! (role → Kubernetes username and groups; an access entry wins over `aws-auth` for the same
//! principal, as EKS does), and RBAC bindings and access policies (username and groups →
//! grants). Cluster admin is `system:masters`, a ClusterRoleBinding to `cluster-admin`, or
//! `AmazonEKSClusterAdminPolicy` at cluster scope.
//!
//! The model is built from pieces in the render shape ([`RenderedKind`]), so one builder serves
//! the stack alone ([`from_desired`]) and the stack plus a live snapshot ([`from_live`]); each
//! piece says whether the stack owns it, and a path is `managed` only when every object on it
//! is. The model is plain data, so two models can be compared (the plan security review).

mod draw;
mod model;
mod trust;

pub use draw::{json, mermaid, text};
pub use model::{
    AccessModel, AccessPath, ClusterInfo, Grant, GrantKind, Piece, CLUSTER_ADMIN_POLICY,
    FORMAT_VERSION,
};

use crate::live::LiveState;
use crate::model::{AccessMode, DesiredState, ResourceKind};
use crate::render::{node_identity, strip_role_path, RenderedKind};
use std::collections::{BTreeMap, BTreeSet};

/// The clusters of a stack.
pub fn clusters(desired: &DesiredState) -> Vec<ClusterInfo> {
    desired
        .resources
        .iter()
        .filter_map(|r| match &r.kind {
            ResourceKind::Cluster(c) => Some(ClusterInfo {
                label: crate::render::cluster_key(&r.address),
                name: c.name.clone(),
                issuer: c
                    .oidc_issuer_url
                    .as_deref()
                    .map(|i| i.trim_start_matches("https://").to_string()),
                access_mode: c.access_mode,
            }),
            _ => None,
        })
        .collect()
}

/// The model of the stack alone: every piece it renders, all managed.
pub fn from_desired(desired: &DesiredState) -> AccessModel {
    let pieces: Vec<Piece> = crate::render::render(desired)
        .resources
        .into_iter()
        .map(|r| Piece {
            kind: r.kind,
            managed: true,
        })
        .collect();
    let mut m = build(&clusters(desired), &pieces);
    m.limits.push(
        "offline: only what the stack declares; `--live` adds what is live, owned or not"
            .to_string(),
    );
    m
}

/// The model of the live systems plus what the stack declares and is not live yet. A live
/// object is managed when it carries this stack's mark.
pub fn from_live(desired: &DesiredState, live: &LiveState) -> AccessModel {
    let stack = &desired.stack.name;
    let mut seen = BTreeSet::new();
    let mut pieces = vec![];
    for o in &live.objects {
        seen.insert(o.key.clone());
        pieces.push(Piece {
            kind: o.piece.clone(),
            managed: o.owner.as_deref() == Some(stack.as_str()),
        });
    }
    for r in crate::render::render(desired).resources {
        let keys = crate::live::keys(&r.kind);
        if keys.iter().any(|k| seen.contains(k)) {
            continue;
        }
        pieces.push(Piece {
            kind: r.kind,
            managed: true,
        });
    }
    build(&clusters(desired), &pieces)
}

/// A role (or user) mapped into one cluster.
#[derive(Debug, Clone)]
struct Mapping {
    username: String,
    groups: Vec<String>,
    policies: Vec<Grant>,
    managed: bool,
    by: &'static str,
}

/// An RBAC binding as the model reads it (the security review reads bindings through it too).
#[derive(Debug, Clone)]
pub struct Binding {
    /// `KIND/NAMESPACE/NAME` of the binding object itself.
    pub key: String,
    pub role_kind: GrantKind,
    pub role_name: String,
    /// `None`: a ClusterRoleBinding.
    pub namespace: Option<String>,
    /// `(kind, name, namespace)` of each subject.
    pub subjects: Vec<(String, String, Option<String>)>,
    pub managed: bool,
}

/// The built-in order of strength of a grant (FIELD-NOTES): ClusterRoles view ⊂ edit ⊂ admin
/// ⊂ cluster-admin, access policies AmazonEKSViewPolicy ⊂ Edit ⊂ Admin ⊂ ClusterAdmin;
/// `None` for anything else (a custom role is comparable only with itself).
pub fn strength(kind: GrantKind, name: &str) -> Option<u8> {
    match (kind, name) {
        (GrantKind::ClusterRole, "view") | (GrantKind::AccessPolicy, "AmazonEKSViewPolicy") => {
            Some(1)
        }
        (GrantKind::ClusterRole, "edit") | (GrantKind::AccessPolicy, "AmazonEKSEditPolicy") => {
            Some(2)
        }
        (GrantKind::ClusterRole, "admin") | (GrantKind::AccessPolicy, "AmazonEKSAdminPolicy") => {
            Some(3)
        }
        (GrantKind::ClusterRole, "cluster-admin")
        | (GrantKind::AccessPolicy, CLUSTER_ADMIN_POLICY) => Some(4),
        _ => None,
    }
}

/// Builds the model from pieces. Pure; the order of the paths is stable.
pub fn build(clusters: &[ClusterInfo], pieces: &[Piece]) -> AccessModel {
    let label_name: BTreeMap<&str, &ClusterInfo> =
        clusters.iter().map(|c| (c.label.as_str(), c)).collect();
    let name_of = |label: &str| -> String {
        label_name
            .get(label)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| label.to_string())
    };
    let mode_of = |label: &str| label_name.get(label).map(|c| c.access_mode);

    let mut roles: BTreeMap<String, (&serde_json::Value, bool)> = BTreeMap::new();
    let mut permissions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let documents: BTreeMap<&str, &serde_json::Value> = pieces
        .iter()
        .filter_map(|p| match &p.kind {
            RenderedKind::Policy { arn, document, .. } => Some((arn.as_str(), document)),
            _ => None,
        })
        .collect();
    // cluster label -> principal ARN -> (mapping by access entry, mapping by aws-auth)
    let mut entries: BTreeMap<String, BTreeMap<String, Mapping>> = BTreeMap::new();
    let mut aws_auth: BTreeMap<String, BTreeMap<String, Mapping>> = BTreeMap::new();
    let mut bindings: BTreeMap<String, Vec<Binding>> = BTreeMap::new();
    // role ARN -> [(cluster name, ns, sa, managed)]
    let mut pod_ids: BTreeMap<String, Vec<(String, String, String, bool)>> = BTreeMap::new();

    for p in pieces {
        match &p.kind {
            RenderedKind::Role {
                arn,
                trust_policy,
                policies,
                inline_policies,
                ..
            } => {
                roles.insert(arn.clone(), (trust_policy, p.managed));
                let mut may = vec![];
                for doc in inline_policies.values() {
                    may.extend(summarise(doc));
                }
                for pa in policies {
                    match documents.get(pa.as_str()) {
                        Some(doc) => may.extend(summarise(doc)),
                        None => may.push(format!("policy {pa}")),
                    }
                }
                permissions.insert(arn.clone(), may);
            }
            RenderedKind::Access {
                cluster,
                aws_auth: a,
                access_entry,
            } => {
                let mode = mode_of(cluster);
                if let Some(e) = access_entry {
                    if mode.is_none_or(|m| m.uses_access_entries()) {
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
                                managed: p.managed,
                            })
                            .collect();
                        entries.entry(cluster.clone()).or_default().insert(
                            e.principal_arn.clone(),
                            Mapping {
                                username,
                                groups,
                                policies,
                                managed: p.managed,
                                by: "access entry",
                            },
                        );
                    }
                }
                if let Some(a) = a {
                    if mode.is_none_or(|m| m.uses_aws_auth()) {
                        aws_auth.entry(cluster.clone()).or_default().insert(
                            a.arn().to_string(),
                            Mapping {
                                username: a
                                    .username
                                    .clone()
                                    .unwrap_or_else(|| default_username(a.arn())),
                                groups: a.groups.clone(),
                                policies: vec![],
                                managed: p.managed,
                                by: "aws-auth",
                            },
                        );
                    }
                }
            }
            RenderedKind::RbacBinding { cluster, manifests } => {
                for m in manifests {
                    if let Some(b) = binding(m, p.managed) {
                        bindings.entry(cluster.clone()).or_default().push(b);
                    }
                }
            }
            RenderedKind::ServiceAccount {
                cluster,
                pod_identity_association: Some(a),
                ..
            } => {
                pod_ids.entry(a.role_arn.clone()).or_default().push((
                    name_of(cluster),
                    a.namespace.clone(),
                    a.service_account.clone(),
                    p.managed,
                ));
            }
            _ => {}
        }
    }

    let mut labels: BTreeSet<String> = clusters.iter().map(|c| c.label.clone()).collect();
    labels.extend(entries.keys().cloned());
    labels.extend(aws_auth.keys().cloned());
    labels.extend(bindings.keys().cloned());

    // Every principal some cluster maps: the roles read, plus users and unknown roles.
    let mut principals: BTreeSet<String> = roles.keys().cloned().collect();
    for m in entries.values().chain(aws_auth.values()) {
        for arn in m.keys() {
            if !roles.keys().any(|r| strip_role_path(r) == *arn || r == arn) {
                principals.insert(arn.clone());
            }
        }
    }

    let issuers: BTreeMap<String, String> = clusters
        .iter()
        .filter_map(|c| c.issuer.clone().map(|i| (i, c.name.clone())))
        .collect();
    let no_bindings = vec![];
    let mut paths = vec![];
    // Kubernetes subjects reached from IAM, per cluster: (usernames as patterns, groups).
    let mut reached: BTreeMap<String, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
    for arn in &principals {
        let role = roles.get(arn);
        let is_user = arn.contains(":user/");
        let idents: Vec<trust::Identity> = match role {
            Some((doc, _)) => trust::identities(doc, &issuers, pod_ids.get(arn).map(Vec::as_slice)),
            None if is_user => vec![trust::Identity::literal(format!("aws:{arn}"))],
            None => vec![trust::Identity::literal(
                "unknown (role not found in IAM)".to_string(),
            )],
        };
        let role_managed = role.map(|(_, m)| *m).unwrap_or(true);
        let mut mapped = false;
        for label in &labels {
            let m = entries.get(label).and_then(|e| e.get(arn)).or_else(|| {
                aws_auth
                    .get(label)
                    .and_then(|a| a.get(&strip_role_path(arn)).or_else(|| a.get(arn.as_str())))
            });
            let Some(m) = m else { continue };
            mapped = true;
            let bs = bindings.get(label).unwrap_or(&no_bindings);
            let user_pattern = template_glob(&m.username);
            let (grants, admin) = grants_of(
                |s| match s {
                    ("User", name, _) => glob(&user_pattern, name),
                    ("Group", name, _) => m.groups.iter().any(|g| g == name),
                    _ => false,
                },
                &m.groups,
                &m.policies,
                bs,
            );
            let r = reached.entry(label.clone()).or_default();
            r.0.push(user_pattern);
            r.1.extend(m.groups.iter().cloned());
            let grants_managed = grants.iter().all(|g| g.managed);
            for id in &idents {
                paths.push(AccessPath {
                    identity: id.text.clone(),
                    role: Some(arn.clone()),
                    cluster: Some(name_of(label)),
                    username: Some(m.username.clone()),
                    groups: m.groups.clone(),
                    grants: grants.clone(),
                    cluster_admin: admin,
                    managed: role_managed && m.managed && grants_managed && id.managed,
                    pattern: id.pattern,
                    mapped_by: Some(m.by.to_string()),
                });
            }
        }
        if !mapped {
            for id in &idents {
                paths.push(AccessPath {
                    identity: id.text.clone(),
                    role: Some(arn.clone()),
                    cluster: id.cluster.clone(),
                    username: None,
                    groups: vec![],
                    grants: vec![],
                    cluster_admin: false,
                    managed: role_managed && id.managed,
                    pattern: id.pattern,
                    mapped_by: None,
                });
            }
        }
    }

    // Kubernetes subjects of bindings that no IAM path above reaches: service accounts, and
    // users and groups authenticated some other way (or by nobody).
    for (label, bs) in &bindings {
        let (users, groups) = reached.get(label).cloned().unwrap_or_default();
        let mut subjects: BTreeSet<(String, String, Option<String>)> = BTreeSet::new();
        for b in bs {
            subjects.extend(b.subjects.iter().cloned());
        }
        for (kind, name, ns) in subjects {
            let (identity, username, sgroups) = match kind.as_str() {
                "ServiceAccount" => {
                    let ns = ns.clone().unwrap_or_else(|| "default".to_string());
                    let u = format!("system:serviceaccount:{ns}:{name}");
                    (
                        u.clone(),
                        Some(u),
                        vec![
                            "system:serviceaccounts".to_string(),
                            format!("system:serviceaccounts:{ns}"),
                        ],
                    )
                }
                "User" if !users.iter().any(|p| glob(p, &name)) => (
                    format!("kubernetes:user:{name}"),
                    Some(name.clone()),
                    vec![],
                ),
                "Group" if !groups.contains(&name) => {
                    (format!("kubernetes:group:{name}"), None, vec![name.clone()])
                }
                _ => continue,
            };
            let (grants, admin) = grants_of(
                |s| match s {
                    ("ServiceAccount", n, sns) => {
                        kind == "ServiceAccount"
                            && n == name
                            && sns.unwrap_or("default") == ns.as_deref().unwrap_or("default")
                    }
                    ("User", n, _) => username.as_deref() == Some(n),
                    ("Group", n, _) => sgroups.iter().any(|g| g == n),
                    _ => false,
                },
                &sgroups,
                &[],
                bs,
            );
            paths.push(AccessPath {
                identity,
                role: None,
                cluster: Some(name_of(label)),
                username,
                groups: sgroups,
                managed: grants.iter().all(|g| g.managed),
                grants,
                cluster_admin: admin,
                pattern: false,
                mapped_by: None,
            });
        }
    }
    paths.sort_by(|a, b| {
        (&a.cluster, &a.role, &a.identity, &a.username).cmp(&(
            &b.cluster,
            &b.role,
            &b.identity,
            &b.username,
        ))
    });
    paths.dedup();
    let limits = limits(clusters, &paths);
    permissions.retain(|arn, _| paths.iter().any(|p| p.role.as_deref() == Some(arn)));
    AccessModel {
        format_version: FORMAT_VERSION,
        paths,
        limits,
        permissions,
    }
}

/// `ACTIONS on RESOURCES` for each Allow statement of a policy document.
fn summarise(doc: &serde_json::Value) -> Vec<String> {
    let list = |v: &serde_json::Value| -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        }
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        serde_json::Value::Object(_) => vec![doc["Statement"].clone()],
        _ => vec![],
    };
    statements
        .iter()
        .filter(|st| st["Effect"].as_str() == Some("Allow"))
        .map(|st| {
            let actions = if st.get("NotAction").is_some() {
                format!("all but {}", list(&st["NotAction"]))
            } else {
                list(&st["Action"])
            };
            let resources = if st.get("NotResource").is_some() {
                format!("all but {}", list(&st["NotResource"]))
            } else {
                list(&st["Resource"])
            };
            let cond = if st.get("Condition").is_some() {
                " (with conditions)"
            } else {
                ""
            };
            format!("{actions} on {resources}{cond}")
        })
        .collect()
}

/// What the model cannot know, for the paths it has.
fn limits(clusters: &[ClusterInfo], paths: &[AccessPath]) -> Vec<String> {
    let mut out = vec![];
    for c in clusters {
        if c.access_mode == AccessMode::AwsAuth {
            out.push(format!(
                "cluster {}: in CONFIG_MAP mode the cluster creator's system:masters is invisible (no aws-auth entry or access entry shows it)",
                c.name
            ));
        }
    }
    if paths.iter().any(|p| p.identity.starts_with("saml:")) {
        out.push(
            "SAML: which IdP users and groups may assume a role is decided in the IdP, not shown here"
                .to_string(),
        );
    }
    let mut custom = BTreeSet::new();
    for p in paths {
        for g in &p.grants {
            let builtin = matches!(g.name.as_str(), "cluster-admin" | "admin" | "edit" | "view")
                || g.name.starts_with("system:");
            if matches!(g.kind, GrantKind::ClusterRole | GrantKind::Role) && !builtin {
                custom.insert(format!("{:?} {}", g.kind, g.name));
            }
        }
    }
    if !custom.is_empty() {
        out.push(format!(
            "custom RBAC roles are named, not expanded: {}",
            custom.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

/// The grants given to a subject (by `matches` over binding subjects `(kind, name, ns)`), its
/// `system:masters` group and its access policies; and whether they amount to cluster admin.
fn grants_of(
    matches: impl Fn((&str, &str, Option<&str>)) -> bool,
    groups: &[String],
    policies: &[Grant],
    bindings: &[Binding],
) -> (Vec<Grant>, bool) {
    let mut out: Vec<Grant> = vec![];
    let mut admin = false;
    if groups.iter().any(|g| g == "system:masters") {
        admin = true;
        out.push(Grant {
            kind: GrantKind::Group,
            name: "system:masters".to_string(),
            namespaces: vec![],
            via: vec!["group:system:masters".to_string()],
            managed: true,
        });
    }
    for p in policies {
        if p.name == CLUSTER_ADMIN_POLICY && p.namespaces.is_empty() {
            admin = true;
        }
        merge(&mut out, p.clone());
    }
    for b in bindings {
        let via: Vec<String> = b
            .subjects
            .iter()
            .filter(|(k, n, ns)| matches((k, n, ns.as_deref())))
            .map(|(k, n, ns)| match k.as_str() {
                "User" => format!("user:{n}"),
                "Group" => format!("group:{n}"),
                _ => format!("sa:{}/{n}", ns.as_deref().unwrap_or("default")),
            })
            .collect();
        if via.is_empty() {
            continue;
        }
        if b.namespace.is_none() && b.role_name == "cluster-admin" {
            admin = true;
        }
        merge(
            &mut out,
            Grant {
                kind: b.role_kind,
                name: b.role_name.clone(),
                namespaces: b.namespace.iter().cloned().collect(),
                via,
                managed: b.managed,
            },
        );
    }
    // The group grant is managed when the mapping that gives the group is (checked by the
    // caller through the mapping itself).
    out.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    (out, admin)
}

/// Adds a grant, merging one of the same kind and name: namespaces unite, and a cluster-wide
/// one (no namespaces) stays cluster-wide.
fn merge(out: &mut Vec<Grant>, g: Grant) {
    match out
        .iter_mut()
        .find(|x| x.kind == g.kind && x.name == g.name)
    {
        Some(x) => {
            if x.namespaces.is_empty() || g.namespaces.is_empty() {
                x.namespaces.clear();
            } else {
                for ns in g.namespaces {
                    if !x.namespaces.contains(&ns) {
                        x.namespaces.push(ns);
                    }
                }
                x.namespaces.sort();
            }
            for v in g.via {
                if !x.via.contains(&v) {
                    x.via.push(v);
                }
            }
            x.managed &= g.managed;
        }
        None => out.push(g),
    }
}

/// Reads a RoleBinding or ClusterRoleBinding manifest; `None` for anything else.
pub fn binding(m: &serde_json::Value, managed: bool) -> Option<Binding> {
    let kind = m["kind"].as_str()?;
    let namespace = match kind {
        "RoleBinding" => Some(m["metadata"]["namespace"].as_str()?.to_string()),
        "ClusterRoleBinding" => None,
        _ => return None,
    };
    let role_kind = match m["roleRef"]["kind"].as_str()? {
        "Role" => GrantKind::Role,
        _ => GrantKind::ClusterRole,
    };
    let subjects = m["subjects"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|s| {
                    Some((
                        s["kind"].as_str()?.to_string(),
                        s["name"].as_str()?.to_string(),
                        s["namespace"].as_str().map(String::from),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Binding {
        key: format!(
            "{kind}/{}/{}",
            namespace.as_deref().unwrap_or(""),
            m["metadata"]["name"].as_str().unwrap_or("")
        ),
        role_kind,
        role_name: m["roleRef"]["name"].as_str()?.to_string(),
        namespace,
        subjects,
        managed,
    })
}

/// The username EKS gives a role with none set: its session ARN.
fn default_username(arn: &str) -> String {
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
fn template_glob(username: &str) -> String {
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

/// `StringLike` matching: `*` any run (`/` included), `?` one character.
pub fn glob(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// What `eksfed access` is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    All,
    ClusterAdmin,
    Group(String),
    Identity(String),
}

impl Query {
    /// `--who-can cluster-admin` / `--who-can group:NAME`.
    pub fn who_can(s: &str) -> Result<Query, String> {
        if s == "cluster-admin" {
            return Ok(Query::ClusterAdmin);
        }
        match s.strip_prefix("group:") {
            Some(g) if !g.is_empty() => Ok(Query::Group(g.to_string())),
            _ => Err(format!(
                "--who-can {s}: expected `cluster-admin` or `group:NAME`"
            )),
        }
    }
}

/// The paths that answer a query, in one cluster (by EKS name or stack label) or all.
pub fn select(
    model: &AccessModel,
    clusters: &[ClusterInfo],
    cluster: Option<&str>,
    query: &Query,
) -> AccessModel {
    let cluster_name = cluster.map(|c| {
        clusters
            .iter()
            .find(|x| x.label == c)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| c.to_string())
    });
    let paths: Vec<AccessPath> = model
        .paths
        .iter()
        .filter(|p| match &cluster_name {
            Some(c) => p.cluster.as_deref() == Some(c.as_str()),
            None => true,
        })
        .filter(|p| match query {
            Query::All => true,
            Query::ClusterAdmin => p.cluster_admin,
            Query::Group(g) => p.groups.iter().any(|x| x == g),
            Query::Identity(s) => admits(p, s),
        })
        .cloned()
        .collect();
    let permissions = model
        .permissions
        .iter()
        .filter(|(arn, _)| {
            paths
                .iter()
                .any(|p| p.role.as_deref() == Some(arn.as_str()))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    AccessModel {
        format_version: model.format_version,
        paths,
        limits: model.limits.clone(),
        permissions,
    }
}

/// Whether a path's identity admits `subject` (a wildcard trust admits what it matches).
pub fn admits(p: &AccessPath, subject: &str) -> bool {
    let id = p.identity.as_str();
    if id == subject {
        return true;
    }
    let m = |pat: &str, s: &str| if p.pattern { glob(pat, s) } else { pat == s };
    if subject.starts_with("system:serviceaccount:") {
        if let Some(ns_name) = subject.strip_prefix("system:serviceaccount:") {
            if let Some(pi) = id.strip_prefix("pod-identity:") {
                let want = ns_name.replacen(':', "/", 1);
                return glob(pi, &want);
            }
        }
        return id.starts_with("system:serviceaccount:") && m(id, subject);
    }
    if let Some(want) = subject.strip_prefix("pod-identity:") {
        if let Some(pi) = id.strip_prefix("pod-identity:") {
            return glob(pi, want);
        }
        if let Some((ns, n)) = want.split_once('/') {
            let sa = format!("system:serviceaccount:{ns}:{n}");
            return id.starts_with("system:serviceaccount:") && m(id, &sa);
        }
        return false;
    }
    if let Some(rest) = subject.strip_prefix("oidc:") {
        let (host, conds) = rest.split_once(' ').unwrap_or((rest, ""));
        let Some(irest) = id.strip_prefix("oidc:") else {
            return false;
        };
        let (ihost, iconds) = irest.split_once(' ').unwrap_or((irest, ""));
        if ihost != host {
            return false;
        }
        // Every condition of the identity must admit the subject's value for that key.
        let want: BTreeMap<&str, &str> = conds
            .split_whitespace()
            .filter_map(|c| c.split_once('='))
            .collect();
        return iconds
            .split_whitespace()
            .filter_map(|c| c.split_once('='))
            .all(|(k, v)| want.get(k).is_some_and(|w| m(v, w)));
    }
    if let Some(arn) = subject.strip_prefix("aws:") {
        let Some(iarn) = id.strip_prefix("aws:") else {
            return false;
        };
        let iarn = iarn.split_whitespace().next().unwrap_or(iarn);
        if iarn == "*" || iarn == arn {
            return true;
        }
        // `arn:aws:iam::ACCT:root` (or a bare account id) delegates to the account.
        let account = arn.split(':').nth(4).unwrap_or("");
        return !account.is_empty()
            && (iarn == account || iarn.ends_with(&format!("::{account}:root")));
    }
    false
}

#[cfg(test)]
mod tests;
