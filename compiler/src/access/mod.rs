//! The access model (`eksfed access`): every path by which an outside identity reaches a role,
//! and a role reaches a cluster, joined across the four places that decide it: IAM trust
//! policies (identity → role, evaluated as IAM does: `trust.rs`, `policy.rs`, `condition.rs`,
//! `subject.rs`), `aws-auth` and access entries (role → Kubernetes username and groups; an
//! access entry wins over `aws-auth` for the same principal, as EKS does; an `aws-auth`
//! `rolearn` written with the role's path never matches), and RBAC bindings and access
//! policies (username and groups, with the groups every user is in → grants). Cluster admin is
//! `system:masters`, a ClusterRoleBinding to a ClusterRole that allows everything
//! (`cluster-admin`, or any other whose rules do: `rbac.rs`), or `AmazonEKSClusterAdminPolicy`
//! at cluster scope.
//!
//! The model is built from pieces in the render shape ([`RenderedKind`]), so one builder serves
//! the stack alone ([`from_desired`]) and the stack plus a live snapshot ([`from_live`]); each
//! piece says whether the stack owns it, and a path is `managed` only when every object on it
//! is. The model is plain data, so two models can be compared (the plan security review).

mod condition;
mod draw;
mod model;
mod policy;
mod rbac;
mod subject;
mod trust;

pub use condition::{Answer, Verdict};
pub use draw::{json, mermaid, text};
pub use model::{
    AccessModel, AccessPath, ClusterInfo, Grant, GrantKind, Piece, CLUSTER_ADMIN_POLICY,
    FORMAT_VERSION,
};
pub use rbac::{rbac_role, RbacRole};

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
                arn: Some(c.arn.clone()).filter(|a| {
                    a.split(':').nth(4).is_some_and(|acct| {
                        acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())
                    })
                }),
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
    let mut m = build(&clusters(desired), &pieces, &BTreeMap::new());
    m.limits.push(
        "offline: only what the stack declares; `--live` adds what is live, owned or not"
            .to_string(),
    );
    m
}

/// The model of the live systems plus what the stack declares and is not live yet. A live
/// object is managed when it carries this stack's mark. `rbac` holds the ClusterRoles and
/// Roles read from each cluster (by label; a cluster that is not a key was not read).
pub fn from_live(
    desired: &DesiredState,
    live: &LiveState,
    rbac: &BTreeMap<String, Vec<RbacRole>>,
) -> AccessModel {
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
    build(&clusters(desired), &pieces, rbac)
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

/// The built-in order of strength of a grant (Kubernetes' user-facing roles): ClusterRoles view ⊂ edit ⊂ admin
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

/// Builds the model from pieces and the RBAC roles read from each cluster (by label; a
/// cluster that is not a key was not read). Pure; the order of the paths is stable.
pub fn build(
    clusters: &[ClusterInfo],
    pieces: &[Piece],
    rbac: &BTreeMap<String, Vec<RbacRole>>,
) -> AccessModel {
    let label_name: BTreeMap<&str, &ClusterInfo> =
        clusters.iter().map(|c| (c.label.as_str(), c)).collect();
    let name_of = |label: &str| -> String {
        label_name
            .get(label)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| label.to_string())
    };
    let label_of = |name: &str| -> String {
        clusters
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| name.to_string())
    };
    let mode_of = |label: &str| label_name.get(label).map(|c| c.access_mode);
    let read: rbac::Read<'_> = rbac
        .iter()
        .map(|(label, roles)| (label.as_str(), roles.iter().collect()))
        .collect();

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
    let mut pod_ids: BTreeMap<String, Vec<trust::PodAssociation>> = BTreeMap::new();

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

    let no_bindings = vec![];
    let power = |label: &str, name: &str| rbac::cluster_role_power(&read, label, name);
    let mut paths = vec![];
    let mut limits_found: Vec<String> = vec![];
    // Kubernetes subjects reached from IAM, per cluster: (usernames as patterns, groups).
    let mut reached: BTreeMap<String, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
    for arn in &principals {
        let role = roles.get(arn);
        let is_user = arn.contains(":user/");
        let idents: Vec<trust::Identity> = match role {
            Some((doc, _)) => {
                let (ids, found) =
                    trust::identities(arn, doc, clusters, pod_ids.get(arn).map(Vec::as_slice));
                limits_found.extend(found);
                ids
            }
            None if is_user => vec![trust::Identity::literal(format!("aws:{arn}"))],
            None => vec![trust::Identity::literal(
                "unknown (role not found in IAM)".to_string(),
            )],
        };
        let role_managed = role.map(|(_, m)| *m).unwrap_or(true);
        let mut mapped = false;
        for label in &labels {
            let (m, note) = match entries.get(label).and_then(|e| e.get(arn)) {
                Some(m) => (Some(m), None),
                None => aws_auth_mapping(aws_auth.get(label), arn),
            };
            if let Some(note) = note {
                // An entry that never matches: the role reaches this cluster by nothing.
                mapped = true;
                for id in &idents {
                    let mut p = unmapped_path(id, arn, role_managed);
                    p.cluster = Some(name_of(label));
                    p.notes.push(note.clone());
                    paths.push(p);
                }
                continue;
            }
            let Some(m) = m else { continue };
            mapped = true;
            let bs = bindings.get(label).unwrap_or(&no_bindings);
            let user_pattern = template_glob(&m.username);
            let r = reached.entry(label.clone()).or_default();
            r.0.push(user_pattern.clone());
            r.1.extend(m.groups.iter().cloned());
            for id in &idents {
                // Every authenticated user is in system:authenticated; a service account the
                // path starts from is also in system:serviceaccounts in its own cluster.
                let mut implicit = vec![AUTHENTICATED.to_string()];
                if id.cluster.as_deref() == Some(name_of(label).as_str()) {
                    implicit.extend(service_account_groups(id));
                }
                let g = grants_of(
                    |s| match s {
                        ("User", name, _) => glob(&user_pattern, name),
                        ("Group", name, _) => {
                            m.groups.iter().any(|g| g == name)
                                || implicit.iter().any(|g| glob(g, name))
                        }
                        _ => false,
                    },
                    &m.groups,
                    &m.policies,
                    bs,
                    &|n: &str| power(label, n),
                );
                let mut p = unmapped_path(id, arn, role_managed && m.managed);
                p.cluster = Some(name_of(label));
                p.username = Some(m.username.clone());
                p.groups = m.groups.clone();
                p.mapped_by = Some(m.by.to_string());
                p.implicit_groups = implicit;
                g.apply(&mut p);
                paths.push(p);
            }
        }
        if !mapped {
            for id in &idents {
                let mut p = unmapped_path(id, arn, role_managed);
                // The service account itself, in its own cluster.
                if let Some(c) = &id.cluster {
                    let label = label_of(c);
                    let implicit = service_account_groups(id);
                    if !implicit.is_empty() {
                        let bs = bindings.get(&label).unwrap_or(&no_bindings);
                        let mut all = implicit.clone();
                        all.push(AUTHENTICATED.to_string());
                        let g = grants_of(
                            |s| match s {
                                ("Group", name, _) => all.iter().any(|g| glob(g, name)),
                                _ => false,
                            },
                            &[],
                            &[],
                            bs,
                            &|n: &str| power(&label, n),
                        );
                        p.implicit_groups = all;
                        g.apply(&mut p);
                    }
                }
                paths.push(p);
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
            let g = grants_of(
                |s| match s {
                    ("ServiceAccount", n, sns) => {
                        kind == "ServiceAccount"
                            && n == name
                            && sns.unwrap_or("default") == ns.as_deref().unwrap_or("default")
                    }
                    ("User", n, _) => username.as_deref() == Some(n),
                    ("Group", n, _) => sgroups.iter().any(|g| g == n) || n == AUTHENTICATED,
                    _ => false,
                },
                &sgroups,
                &[],
                bs,
                &|n: &str| power(label, n),
            );
            let mut p = AccessPath {
                identity,
                role: None,
                cluster: Some(name_of(label)),
                username,
                groups: sgroups,
                grants: vec![],
                cluster_admin: false,
                managed: true,
                pattern: false,
                mapped_by: None,
                gate: None,
                may_admit: false,
                may_be_cluster_admin: false,
                notes: vec![],
                implicit_groups: vec![AUTHENTICATED.to_string()],
            };
            g.apply(&mut p);
            paths.push(p);
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
    let mut limits = limits(clusters, &paths, &read);
    limits_found.sort();
    limits_found.dedup();
    limits.extend(limits_found);
    permissions.retain(|arn, _| paths.iter().any(|p| p.role.as_deref() == Some(arn)));
    AccessModel {
        format_version: FORMAT_VERSION,
        paths,
        limits,
        permissions,
    }
}

/// The group every authenticated Kubernetes user is in.
const AUTHENTICATED: &str = "system:authenticated";

/// The groups of the service account an identity is (patterns kept): `system:serviceaccounts`
/// and `system:serviceaccounts:NS`; none for other identities.
fn service_account_groups(id: &trust::Identity) -> Vec<String> {
    match &id.service_account {
        Some((ns, _)) => vec![
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{ns}"),
        ],
        None => vec![],
    }
}

/// A path of a role no cluster maps.
fn unmapped_path(id: &trust::Identity, arn: &str, role_managed: bool) -> AccessPath {
    AccessPath {
        identity: id.text.clone(),
        role: Some(arn.to_string()),
        cluster: id.cluster.clone(),
        username: None,
        groups: vec![],
        grants: vec![],
        cluster_admin: false,
        managed: role_managed && id.managed,
        pattern: id.pattern,
        mapped_by: None,
        gate: id.gate.clone(),
        may_admit: id.may_admit,
        may_be_cluster_admin: false,
        notes: id.notes.clone(),
        implicit_groups: vec![],
    }
}

/// The `aws-auth` entry that maps a principal, as aws-iam-authenticator finds it: by the
/// role's ARN without its path, ignoring case. An entry written with the path never matches
/// (aws-iam-authenticator#268): then no mapping, and a note saying so.
fn aws_auth_mapping<'a>(
    entries: Option<&'a BTreeMap<String, Mapping>>,
    arn: &str,
) -> (Option<&'a Mapping>, Option<String>) {
    let Some(entries) = entries else {
        return (None, None);
    };
    let canonical = strip_role_path(arn);
    let found = entries
        .iter()
        .filter(|(k, _)| strip_role_path(k) == **k)
        .find(|(k, _)| k.eq_ignore_ascii_case(&canonical))
        .map(|(_, m)| m);
    if found.is_some() {
        return (found, None);
    }
    if canonical != arn && entries.contains_key(arn) {
        return (
            None,
            Some(format!(
                "aws-auth maps {arn} with the role's path: EKS compares the role ARN without its path, so this entry never matches (aws-iam-authenticator#268); write {canonical}"
            )),
        );
    }
    (None, None)
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
fn limits(clusters: &[ClusterInfo], paths: &[AccessPath], read: &rbac::Read<'_>) -> Vec<String> {
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
    let label_of = |name: &str| {
        clusters
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.label.as_str())
            .unwrap_or(name)
            .to_string()
    };
    let mut custom = BTreeSet::new();
    for p in paths {
        let label = p.cluster.as_deref().map(label_of).unwrap_or_default();
        if read.contains_key(label.as_str()) {
            continue;
        }
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
            "custom RBAC roles are named, not expanded (their rules are read with --live): {}",
            custom.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

/// What a subject's bindings, groups and access policies give it.
struct Grants {
    grants: Vec<Grant>,
    admin: bool,
    /// Why cluster admin cannot be ruled out (when it is not certain).
    may: Vec<String>,
}

impl Grants {
    /// Puts the grants on a path: a path is managed only when every grant on it is; "may be"
    /// cluster admin, with why, only when it is not admin for certain.
    fn apply(self, p: &mut AccessPath) {
        p.managed &= self.grants.iter().all(|g| g.managed);
        p.grants = self.grants;
        p.cluster_admin = self.admin;
        p.may_be_cluster_admin = !self.admin && !self.may.is_empty();
        if !self.admin {
            p.notes.extend(self.may);
        }
    }
}

/// The grants given to a subject (by `matches` over binding subjects `(kind, name, ns)`), its
/// `system:masters` group and its access policies; whether they amount to cluster admin
/// (`power` says what a ClusterRole bound cluster-wide amounts to), or may.
fn grants_of(
    matches: impl Fn((&str, &str, Option<&str>)) -> bool,
    groups: &[String],
    policies: &[Grant],
    bindings: &[Binding],
    power: &dyn Fn(&str) -> rbac::Power,
) -> Grants {
    let mut out: Vec<Grant> = vec![];
    let mut admin = false;
    let mut may = vec![];
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
        if b.namespace.is_none() && b.role_kind == GrantKind::ClusterRole {
            match power(&b.role_name) {
                rbac::Power::Admin => admin = true,
                rbac::Power::MayBeAdmin(why) => {
                    let n = format!("may be cluster admin: {why}");
                    if !may.contains(&n) {
                        may.push(n);
                    }
                }
                rbac::Power::NotAdmin => {}
            }
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
    Grants {
        grants: out,
        admin,
        may,
    }
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
    crate::pattern::matches(pattern, s, false)
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
    let subject = match query {
        Query::Identity(s) => subject::parse(s),
        _ => None,
    };
    let paths: Vec<AccessPath> = model
        .paths
        .iter()
        .filter(|p| match &cluster_name {
            Some(c) => p.cluster.as_deref() == Some(c.as_str()),
            None => true,
        })
        .filter_map(|p| match query {
            Query::All => Some(p.clone()),
            Query::ClusterAdmin => (p.cluster_admin || p.may_be_cluster_admin).then(|| p.clone()),
            Query::Group(g) => (p.groups.iter().any(|x| x == g)
                || p.implicit_groups.iter().any(|x| glob(x, g)))
            .then(|| p.clone()),
            Query::Identity(s) => {
                let v = match &subject {
                    Some(subject) => admission_of(p, s, subject),
                    None => Verdict::of(p.identity == *s),
                };
                answered(p, v)
            }
        })
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

/// The path as the answer to `--identity`: kept when it admits the subject or may; "may
/// admit" then says why for this subject.
fn answered(p: &AccessPath, v: Verdict) -> Option<AccessPath> {
    let mut p = p.clone();
    p.notes.retain(|n| !n.starts_with(MAY_ADMIT));
    match v.answer {
        Answer::No => return None,
        Answer::Yes => p.may_admit = false,
        Answer::Maybe => {
            p.may_admit = true;
            p.notes.insert(
                0,
                format!("{MAY_ADMIT}{}", v.why.unwrap_or_else(|| "undecided".into())),
            );
        }
    }
    Some(p)
}

const MAY_ADMIT: &str = "may admit: ";

/// Whether a path's identity admits `subject` (`--identity`): yes, no, or may (undecided).
/// A path read from a trust policy evaluates the policy as IAM does for the requests the
/// subject makes; one mapped without a trust (an IAM user) admits that principal, or an
/// account's.
pub fn admission(p: &AccessPath, subject: &str) -> Verdict {
    match subject::parse(subject) {
        Some(s) => admission_of(p, subject, &s),
        None => Verdict::of(p.identity == subject),
    }
}

fn admission_of(p: &AccessPath, text: &str, s: &subject::Subject) -> Verdict {
    if let Some(g) = &p.gate {
        return subject::admits(g, s);
    }
    if p.identity == text {
        return Verdict::yes();
    }
    let (Some(iarn), subject::Who::Aws { arn }) = (p.identity.strip_prefix("aws:"), &s.who) else {
        return Verdict::no();
    };
    let account = policy::account_of(arn).unwrap_or("");
    Verdict::of(
        iarn == arn
            || (!account.is_empty()
                && (iarn == account || iarn.ends_with(&format!("::{account}:root")))),
    )
}

/// Whether a path's identity admits `subject`, or may.
pub fn admits(p: &AccessPath, subject: &str) -> bool {
    admission(p, subject).answer != Answer::No
}

#[cfg(test)]
mod tests;
