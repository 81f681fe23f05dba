//! The joins of the access model: identities (from trust policies) → mappings (`aws-auth`,
//! access entries) → grants, into paths; and the Kubernetes subjects no IAM path reaches.

use super::grants::{grants_of, Binding};
use super::mapping::{aws_auth_mapping, template_glob, Mapping};
use super::model::{AccessPath, ClusterInfo};
use super::{rbac, trust};
use crate::desired::model::AccessMode;
use std::collections::{BTreeMap, BTreeSet};

/// The clusters of the stack, by stack label and by EKS name.
pub(super) struct Names<'a> {
    clusters: &'a [ClusterInfo],
    by_label: BTreeMap<&'a str, &'a ClusterInfo>,
}

impl<'a> Names<'a> {
    pub(super) fn new(clusters: &'a [ClusterInfo]) -> Self {
        Names {
            clusters,
            by_label: clusters.iter().map(|c| (c.label.as_str(), c)).collect(),
        }
    }

    /// The EKS name of the cluster with a label (the label itself when unknown).
    pub(super) fn name_of(&self, label: &str) -> String {
        self.by_label
            .get(label)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| label.to_string())
    }

    /// The label of the cluster with an EKS name (the name itself when unknown).
    pub(super) fn label_of(&self, name: &str) -> String {
        self.clusters
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| name.to_string())
    }

    pub(super) fn mode_of(&self, label: &str) -> Option<AccessMode> {
        self.by_label.get(label).map(|c| c.access_mode)
    }
}

/// What the pieces say, by system.
#[derive(Default)]
pub(super) struct Joined<'a> {
    /// Role ARN -> (trust policy, managed).
    pub(super) roles: BTreeMap<String, (&'a serde_json::Value, bool)>,
    /// Role ARN -> what its permission policies allow.
    pub(super) permissions: BTreeMap<String, Vec<String>>,
    // cluster label -> principal ARN -> (mapping by access entry, mapping by aws-auth)
    pub(super) entries: BTreeMap<String, BTreeMap<String, Mapping>>,
    pub(super) aws_auth: BTreeMap<String, BTreeMap<String, Mapping>>,
    pub(super) bindings: BTreeMap<String, Vec<Binding>>,
    // role ARN -> [(cluster name, ns, sa, managed)]
    pub(super) pod_ids: BTreeMap<String, Vec<trust::PodAssociation>>,
}

/// What the joins find: the paths, the limits met on the way, and the Kubernetes subjects
/// reached from IAM, per cluster: (usernames as patterns, groups).
#[derive(Default)]
pub(super) struct Found {
    pub(super) paths: Vec<AccessPath>,
    pub(super) limits: Vec<String>,
    pub(super) reached: BTreeMap<String, (Vec<String>, BTreeSet<String>)>,
}

/// Everything the joins read.
pub(super) struct Walk<'a> {
    pub(super) clusters: &'a [ClusterInfo],
    pub(super) names: Names<'a>,
    pub(super) read: rbac::Read<'a>,
    pub(super) joined: Joined<'a>,
    pub(super) labels: BTreeSet<String>,
}

impl Walk<'_> {
    fn bindings_of(&self, label: &str) -> &[Binding] {
        self.joined
            .bindings
            .get(label)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn power(&self, label: &str, name: &str) -> rbac::Power {
        rbac::cluster_role_power(&self.read, label, name)
    }

    /// The paths of one principal: from each identity its trust admits, in each cluster that
    /// maps it, or unmapped.
    pub(super) fn principal_paths(&self, arn: &str, found: &mut Found) {
        let role = self.joined.roles.get(arn);
        let is_user = arn.contains(":user/");
        let idents: Vec<trust::Identity> = match role {
            Some((doc, _)) => {
                let (ids, limits) = trust::identities(
                    arn,
                    doc,
                    self.clusters,
                    self.joined.pod_ids.get(arn).map(Vec::as_slice),
                );
                found.limits.extend(limits);
                ids
            }
            None if is_user => vec![trust::Identity::literal(format!("aws:{arn}"))],
            None => vec![trust::Identity::literal(
                "unknown (role not found in IAM)".to_string(),
            )],
        };
        let role_managed = role.map(|(_, m)| *m).unwrap_or(true);
        let mut mapped = false;
        for label in &self.labels {
            let (m, note) = match self.joined.entries.get(label).and_then(|e| e.get(arn)) {
                Some(m) => (Some(m), None),
                None => aws_auth_mapping(self.joined.aws_auth.get(label), arn),
            };
            if let Some(note) = note {
                // An entry that never matches: the role reaches this cluster by nothing.
                mapped = true;
                for id in &idents {
                    let mut p = unmapped_path(id, arn, role_managed);
                    p.cluster = Some(self.names.name_of(label));
                    p.notes.push(note.clone());
                    found.paths.push(p);
                }
                continue;
            }
            let Some(m) = m else { continue };
            mapped = true;
            self.mapped_paths(arn, label, m, &idents, role_managed, found);
        }
        if !mapped {
            self.unmapped_paths(arn, &idents, role_managed, &mut found.paths);
        }
    }

    /// The paths of a principal's identities into a cluster whose mapping `m` maps it.
    fn mapped_paths(
        &self,
        arn: &str,
        label: &str,
        m: &Mapping,
        idents: &[trust::Identity],
        role_managed: bool,
        found: &mut Found,
    ) {
        let bs = self.bindings_of(label);
        let user_pattern = template_glob(&m.username);
        let r = found.reached.entry(label.to_string()).or_default();
        r.0.push(user_pattern.clone());
        r.1.extend(m.groups.iter().cloned());
        for id in idents {
            // Every authenticated user is in system:authenticated; a service account the
            // path starts from is also in system:serviceaccounts in its own cluster.
            let mut implicit = vec![AUTHENTICATED.to_string()];
            if id.cluster.as_deref() == Some(self.names.name_of(label).as_str()) {
                implicit.extend(service_account_groups(id));
            }
            let g = grants_of(
                |s| match s {
                    ("User", name, _) => crate::iam::pattern::matches(&user_pattern, name, false),
                    ("Group", name, _) => {
                        m.groups.iter().any(|g| g == name)
                            || implicit
                                .iter()
                                .any(|g| crate::iam::pattern::matches(g, name, false))
                    }
                    _ => false,
                },
                &m.groups,
                &m.policies,
                bs,
                &|n: &str| self.power(label, n),
            );
            let mut p = unmapped_path(id, arn, role_managed && m.managed);
            p.cluster = Some(self.names.name_of(label));
            p.username = Some(m.username.clone());
            p.groups = m.groups.clone();
            p.mapped_by = Some(m.by.to_string());
            p.implicit_groups = implicit;
            g.apply(&mut p);
            found.paths.push(p);
        }
    }

    /// The paths of a principal no cluster maps: a service account still has its own groups
    /// in its own cluster.
    fn unmapped_paths(
        &self,
        arn: &str,
        idents: &[trust::Identity],
        role_managed: bool,
        paths: &mut Vec<AccessPath>,
    ) {
        for id in idents {
            let mut p = unmapped_path(id, arn, role_managed);
            // The service account itself, in its own cluster.
            if let Some(c) = &id.cluster {
                let label = self.names.label_of(c);
                let implicit = service_account_groups(id);
                if !implicit.is_empty() {
                    let bs = self.bindings_of(&label);
                    let mut all = implicit.clone();
                    all.push(AUTHENTICATED.to_string());
                    let g = grants_of(
                        |s| match s {
                            ("Group", name, _) => all
                                .iter()
                                .any(|g| crate::iam::pattern::matches(g, name, false)),
                            _ => false,
                        },
                        &[],
                        &[],
                        bs,
                        &|n: &str| self.power(&label, n),
                    );
                    p.implicit_groups = all;
                    g.apply(&mut p);
                }
            }
            paths.push(p);
        }
    }

    /// The paths of the Kubernetes subjects of bindings that no IAM path reaches (`reached`):
    /// service accounts, and users and groups authenticated some other way (or by nobody).
    pub(super) fn subject_paths(
        &self,
        reached: &BTreeMap<String, (Vec<String>, BTreeSet<String>)>,
        paths: &mut Vec<AccessPath>,
    ) {
        for (label, bs) in &self.joined.bindings {
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
                    "User"
                        if !users
                            .iter()
                            .any(|p| crate::iam::pattern::matches(p, &name, false)) =>
                    {
                        (
                            format!("kubernetes:user:{name}"),
                            Some(name.clone()),
                            vec![],
                        )
                    }
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
                    &|n: &str| self.power(label, n),
                );
                let mut p = AccessPath {
                    identity,
                    role: None,
                    cluster: Some(self.names.name_of(label)),
                    username,
                    groups: sgroups,
                    grants: vec![],
                    cluster_admin: false,
                    // A subject only the bootstrap policy names is the API server's own.
                    managed: bs.iter().any(|b| {
                        !b.bootstrap && b.subjects.iter().any(|(k, n, _)| *k == kind && *n == name)
                    }),
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
    }
}

/// The group every authenticated Kubernetes user is in.
pub(super) const AUTHENTICATED: &str = "system:authenticated";

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
