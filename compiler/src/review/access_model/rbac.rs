//! RBAC roles, expanded: what a ClusterRole bound cluster-wide amounts to, read from its rules
//! (live, with aggregation followed) or, when it was not read, from what Kubernetes ships
//! (`cluster-admin` is admin; `admin`, `edit`, `view` and the `system:` roles are not). Any
//! ClusterRole whose rules allow `*` verbs on `*` resources in `*` API groups is cluster
//! admin, whatever its name; one that may bind or escalate ClusterRoles or impersonate users
//! and groups may make itself admin, and a ClusterRole nobody read cannot be ruled out.
//! A Role, or a ClusterRole bound by a RoleBinding, stays in its namespace: never cluster admin.

use super::model::GrantKind;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// A ClusterRole or Role as read from its manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct RbacRole {
    /// The cluster's label in the stack.
    pub cluster: String,
    pub kind: GrantKind,
    pub namespace: Option<String>,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
    /// `aggregationRule.clusterRoleSelectors` (their `matchLabels`); `Err` when a selector
    /// uses `matchExpressions`, which the model does not follow.
    pub aggregation: Option<Result<Vec<BTreeMap<String, String>>, ()>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
}

/// Reads a ClusterRole or Role manifest; `None` for anything else.
pub fn rbac_role(cluster: &str, m: &Json) -> Option<RbacRole> {
    let kind = match m["kind"].as_str()? {
        "ClusterRole" => GrantKind::ClusterRole,
        "Role" => GrantKind::Role,
        _ => return None,
    };
    let list = |v: &Json| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let labels_of = |v: &Json| -> BTreeMap<String, String> {
        v.as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let rules = m["rules"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| Rule {
                    api_groups: list(&r["apiGroups"]),
                    resources: list(&r["resources"]),
                    verbs: list(&r["verbs"]),
                    resource_names: list(&r["resourceNames"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let aggregation = m["aggregationRule"]["clusterRoleSelectors"]
        .as_array()
        .map(|sels| {
            sels.iter()
                .map(|s| {
                    if s.get("matchExpressions").is_some_and(|e| !e.is_null()) {
                        Err(())
                    } else {
                        Ok(labels_of(&s["matchLabels"]))
                    }
                })
                .collect::<Result<Vec<_>, ()>>()
        });
    Some(RbacRole {
        cluster: cluster.to_string(),
        kind,
        namespace: m["metadata"]["namespace"].as_str().map(String::from),
        name: m["metadata"]["name"].as_str()?.to_string(),
        labels: labels_of(&m["metadata"]["labels"]),
        rules,
        aggregation,
    })
}

/// What a ClusterRole bound cluster-wide amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Power {
    Admin,
    /// Cannot be ruled out: why.
    MayBeAdmin(String),
    NotAdmin,
}

fn has(list: &[String], x: &str) -> bool {
    list.iter().any(|v| v == "*" || v == x)
}

/// The power of a set of rules.
fn power_of(name: &str, rules: &[Rule]) -> Power {
    let all = |l: &[String]| l.iter().any(|v| v == "*");
    if rules.iter().any(|r| {
        all(&r.api_groups) && all(&r.resources) && all(&r.verbs) && r.resource_names.is_empty()
    }) {
        return Power::Admin;
    }
    for r in rules {
        let core = has(&r.api_groups, "");
        let rbac = has(&r.api_groups, "rbac.authorization.k8s.io");
        if core
            && (has(&r.verbs, "impersonate"))
            && (has(&r.resources, "users") || has(&r.resources, "groups"))
            && r.resource_names.is_empty()
        {
            return Power::MayBeAdmin(format!(
                "ClusterRole {name} may impersonate any user or group (system:masters included)"
            ));
        }
        if rbac
            && (has(&r.verbs, "escalate") || has(&r.verbs, "bind"))
            && has(&r.resources, "clusterroles")
        {
            return Power::MayBeAdmin(format!(
                "ClusterRole {name} may bind or escalate ClusterRoles"
            ));
        }
    }
    Power::NotAdmin
}

/// The ClusterRoles of each cluster that were read (by label); a cluster absent from the map
/// was not read.
pub type Read<'a> = BTreeMap<&'a str, Vec<&'a RbacRole>>;

/// What ClusterRole `name` of cluster `label` amounts to when bound cluster-wide.
pub fn cluster_role_power(read: &Read<'_>, label: &str, name: &str) -> Power {
    let roles = read.get(label);
    let found = roles.and_then(|rs| {
        rs.iter()
            .find(|r| r.kind == GrantKind::ClusterRole && r.name == name)
    });
    match found {
        Some(r) => {
            let mut rules = r.rules.clone();
            match &r.aggregation {
                Some(Err(())) => {
                    return Power::MayBeAdmin(format!(
                        "ClusterRole {name} aggregates by matchExpressions, which eksfed does not follow"
                    ))
                }
                Some(Ok(selectors)) => {
                    for other in roles.into_iter().flatten() {
                        if other.kind == GrantKind::ClusterRole
                            && other.name != r.name
                            && selectors.iter().any(|s| {
                                s.iter().all(|(k, v)| other.labels.get(k) == Some(v))
                            })
                        {
                            rules.extend(other.rules.iter().cloned());
                        }
                    }
                }
                None => {}
            }
            power_of(name, &rules)
        }
        None => match name {
            "cluster-admin" => Power::Admin,
            "admin" | "edit" | "view" => Power::NotAdmin,
            n if n.starts_with("system:") => Power::NotAdmin,
            // Read, and not there: the binding grants nothing.
            _ if roles.is_some() => Power::NotAdmin,
            _ => Power::MayBeAdmin(format!(
                "ClusterRole {name} was not read (its rules are unknown)"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards_escalation_aggregation_and_unread_roles() {
        let roles: Vec<RbacRole> = [
            json!({"kind": "ClusterRole", "metadata": {"name": "superuser"},
                   "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
            json!({"kind": "ClusterRole", "metadata": {"name": "named-only"},
                   "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"], "resourceNames": ["x"]}]}),
            json!({"kind": "ClusterRole", "metadata": {"name": "pod-reader"},
                   "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}),
            json!({"kind": "ClusterRole", "metadata": {"name": "impersonator"},
                   "rules": [{"apiGroups": [""], "resources": ["groups"], "verbs": ["impersonate"]}]}),
            json!({"kind": "ClusterRole", "metadata": {"name": "binder"},
                   "rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]}]}),
            json!({"kind": "ClusterRole", "metadata": {"name": "agg"},
                   "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-agg": "true"}}]}, "rules": []}),
            json!({"kind": "ClusterRole", "metadata": {"name": "part", "labels": {"to-agg": "true"}},
                   "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
        ]
        .iter()
        .filter_map(|m| rbac_role("prod", m))
        .collect();
        let read: Read<'_> = [("prod", roles.iter().collect())].into_iter().collect();
        let p = |n: &str| cluster_role_power(&read, "prod", n);
        assert_eq!(p("superuser"), Power::Admin);
        // Everything on one named object: not admin, but `escalate` on a ClusterRole of that
        // name may grant itself the rest.
        assert!(matches!(p("named-only"), Power::MayBeAdmin(_)));
        assert_eq!(p("pod-reader"), Power::NotAdmin);
        assert!(matches!(p("impersonator"), Power::MayBeAdmin(_)));
        assert!(matches!(p("binder"), Power::MayBeAdmin(_)));
        assert_eq!(p("agg"), Power::Admin);
        assert_eq!(p("cluster-admin"), Power::Admin);
        assert_eq!(p("edit"), Power::NotAdmin);
        assert_eq!(p("dangling"), Power::NotAdmin);
        let unread = Read::new();
        assert!(matches!(
            cluster_role_power(&unread, "prod", "custom"),
            Power::MayBeAdmin(_)
        ));
        assert_eq!(
            cluster_role_power(&unread, "prod", "cluster-admin"),
            Power::Admin
        );
    }
}
