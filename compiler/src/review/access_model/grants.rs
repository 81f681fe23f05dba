//! RBAC grants: the bindings a subject is in, its `system:masters` group and its access
//! policies, merged into grants, and whether they amount to cluster admin.

use super::model::{AccessPath, Grant, GrantKind, CLUSTER_ADMIN_POLICY};
use super::rbac;

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
    /// One of the API server's bootstrap policy (labelled `kubernetes.io/bootstrapping:
    /// rbac-defaults`): in every cluster, in no stack.
    pub bootstrap: bool,
}

/// The label kube-apiserver puts on the objects of its RBAC bootstrap policy, and its value.
const BOOTSTRAP_LABEL: (&str, &str) = ("kubernetes.io/bootstrapping", "rbac-defaults");

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
        bootstrap: m["metadata"]["labels"][BOOTSTRAP_LABEL.0] == BOOTSTRAP_LABEL.1,
    })
}

/// What a subject's bindings, groups and access policies give it.
pub(super) struct Grants {
    grants: Vec<Grant>,
    admin: bool,
    /// Why cluster admin cannot be ruled out (when it is not certain).
    may: Vec<String>,
}

impl Grants {
    /// Puts the grants on a path: a path is managed only when every grant on it is, those of
    /// the API server's bootstrap policy aside (every authenticated user has them: they would
    /// make every path of a real cluster foreign); "may be" cluster admin, with why, only when
    /// it is not admin for certain.
    pub(super) fn apply(self, p: &mut AccessPath) {
        p.managed &= self
            .grants
            .iter()
            .filter(|g| !g.bootstrap)
            .all(|g| g.managed);
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
pub(super) fn grants_of(
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
            bootstrap: false,
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
                bootstrap: b.bootstrap,
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
            x.bootstrap &= g.bootstrap;
        }
        None => out.push(g),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn crb(name: &str, bootstrap: bool, managed: bool) -> Binding {
        let labels = if bootstrap {
            serde_json::json!({"kubernetes.io/bootstrapping": "rbac-defaults"})
        } else {
            serde_json::json!({})
        };
        let m = serde_json::json!({"kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "Group", "name": "system:authenticated"}]});
        binding(&m, managed).unwrap()
    }

    fn path(managed: bool) -> AccessPath {
        AccessPath {
            identity: "aws:x".into(),
            role: None,
            cluster: None,
            username: None,
            groups: vec![],
            grants: vec![],
            cluster_admin: false,
            managed,
            pattern: false,
            mapped_by: None,
            gate: None,
            may_admit: false,
            may_be_cluster_admin: false,
            notes: vec![],
            implicit_groups: vec![],
        }
    }

    fn grants(bindings: &[Binding]) -> Grants {
        grants_of(
            |(_, n, _)| n == "system:authenticated",
            &[],
            &[],
            bindings,
            &|_: &str| rbac::Power::NotAdmin,
        )
    }

    #[test]
    fn the_api_servers_bootstrap_bindings_neither_own_nor_disown_a_path() {
        let boot = crb("system:basic-user", true, false);
        assert!(boot.bootstrap && !boot.managed);
        // An owned path stays owned beside the bootstrap grants; a foreign grant disowns it.
        let mut p = path(true);
        grants(&[boot.clone(), crb("view", false, true)]).apply(&mut p);
        assert!(p.managed);
        assert_eq!(p.grants.len(), 2);
        let mut p = path(true);
        grants(&[boot.clone(), crb("edit", false, false)]).apply(&mut p);
        assert!(!p.managed);
    }
}
