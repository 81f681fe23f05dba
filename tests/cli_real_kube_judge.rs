//! The access model judged by the component that decides: every path of `eksfed access --live
//! --format json` is put to a real kube-apiserver's RBAC authorizer as a SubjectAccessReview
//! (its username and groups, plus `system:authenticated`), both ways round:
//! - a path marked `cluster_admin` is allowed `*` on `*`; one not marked is not;
//! - every ClusterRole or Role listed in its grants is allowed (one of its rules) where listed;
//! - every marker role (a rule nobody else grants) the authorizer allows it, in a namespace or
//!   cluster-wide, is among its grants there.
#![allow(clippy::unwrap_used)]

mod support;
use serde_json::{json, Value};
use support::real_kube::RealKube;
use support::{text, KubeApi, World};

const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";
const MARKER_GROUP: &str = "judge.eksfed.test";
const NAMESPACES: [&str; 2] = ["apps", "other"];

const STACK: &str = r#"
stack "judge" {}
cluster "prod" {
  name            = "prod"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB"
  kube_context    = "prod"
  access_mode     = "aws_auth"
}
role "platform" {
  name = "platform-admins"
  path = "/people/"
  trust_aws { principals = ["arn:aws:iam::ACCOUNT:root"] }
}
access "platform" {
  cluster  = cluster.prod
  role     = role.platform
  username = "admin:{{SessionName}}"
  groups   = ["platform:admins"]
}
rbac_binding "platform" {
  cluster      = cluster.prod
  subjects     = [{ kind = "Group", name = "platform:admins" }]
  cluster_role = "cluster-admin"
}
role "viewers" {
  name = "viewers"
  trust_aws { principals = ["arn:aws:iam::ACCOUNT:root"] }
}
access "viewers" {
  cluster  = cluster.prod
  role     = role.viewers
  username = "viewer:{{SessionName}}"
  groups   = ["viewers"]
}
rbac_binding "viewers" {
  cluster      = cluster.prod
  subjects     = [{ kind = "Group", name = "viewers" }]
  cluster_role = "marker-a"
  namespaces   = ["apps"]
}
rbac_binding "viewers_wide" {
  cluster      = cluster.prod
  subjects     = [{ kind = "Group", name = "viewers" }]
  cluster_role = "view"
}
"#;

fn rule(resource: &str) -> Value {
    json!({"apiGroups": [MARKER_GROUP], "resources": [resource], "verbs": ["get"]})
}

/// The cluster as others left it: aws-auth mappings (a node group, `system:masters`, groups),
/// custom ClusterRoles (one `*` on `*` not named cluster-admin), marker roles, a Role in a
/// namespace, and hand-made bindings eksfed does not own.
fn seed(w: &World<RealKube>) {
    let acct = &w.account;
    w.kube.seed_aws_auth(&format!(
        "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::{acct}:role/nodes\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n- groups:\n  - system:masters\n  rolearn: arn:aws:iam::{acct}:role/legacy\n  username: legacy\n- groups:\n  - ops\n  rolearn: arn:aws:iam::{acct}:role/ops\n  username: ops\n- groups:\n  - developers\n  rolearn: arn:aws:iam::{acct}:role/dev\n  username: dev:{{{{SessionName}}}}\n"
    ));
    for n in ["legacy", "ops", "dev", "nodes"] {
        w.boto3(&format!("iam.create_role(RoleName='{n}', AssumeRolePolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'AWS':'arn:aws:iam::{acct}:root'}},'Action':'sts:AssumeRole'}}]}}))\nprint('{{}}')"));
    }
    for ns in NAMESPACES {
        w.kube.create_namespace(ns);
    }
    let cr = |name: &str, rules: Value| json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules});
    w.kube.create(
        &format!("{RBAC}/clusterroles"),
        &cr(
            "superuser",
            json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
        ),
    );
    for m in ["marker-a", "marker-b", "marker-c"] {
        w.kube
            .create(&format!("{RBAC}/clusterroles"), &cr(m, json!([rule(m)])));
    }
    w.kube.create(
        &format!("{RBAC}/namespaces/apps/roles"),
        &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "marker-role", "namespace": "apps"}, "rules": [rule("marker-role")]}),
    );
    let subject = |kind: &str, name: &str| json!({"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name});
    let crb = |name: &str, role: &str, s: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": name}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": [s]})
    };
    for (name, role, s) in [
        ("ops-super", "superuser", subject("Group", "ops")),
        ("devs-b", "marker-b", subject("Group", "developers")),
        ("auditor-c", "marker-c", subject("User", "auditor")),
    ] {
        w.kube
            .create(&format!("{RBAC}/clusterrolebindings"), &crb(name, role, s));
    }
    w.kube.create(
        &format!("{RBAC}/namespaces/apps/rolebindings"),
        &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "devs-role", "namespace": "apps"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "marker-role"},
            "subjects": [subject("Group", "developers")]}),
    );
}

/// A request: `(namespace, resource attributes or non-resource attributes)`.
type Request = (Option<String>, Value);

/// The authorizer's answer for `user` in `groups`.
fn allowed(k: &RealKube, user: &str, groups: &[String], (ns, attrs): &Request) -> bool {
    let mut spec = json!({"user": user, "groups": groups});
    if attrs.get("path").is_some() {
        spec["nonResourceAttributes"] = attrs.clone();
    } else {
        let mut a = attrs.clone();
        if let Some(ns) = ns {
            a["namespace"] = json!(ns);
        }
        spec["resourceAttributes"] = a;
    }
    let review = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec});
    let (c, b) = k.request(
        "POST",
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        Some(&review.to_string()),
    );
    assert_eq!(c, 201, "{b}");
    serde_json::from_str::<Value>(&b).unwrap()["status"]["allowed"] == true
}

/// The rules of a granted role: a Role is one object per namespace (the model merges Roles of
/// one name across namespaces into one grant).
fn rules_of(k: &RealKube, kind: &str, name: &str, ns: Option<&str>) -> Vec<Value> {
    let path = match (kind, ns) {
        ("Role", Some(ns)) => format!("{RBAC}/namespaces/{ns}/roles/{name}"),
        _ => format!("{RBAC}/clusterroles/{name}"),
    };
    let (c, role) = k.get_json(&path);
    assert_eq!(c, 200, "{path}: {role}");
    role["rules"].as_array().cloned().unwrap_or_default()
}

/// One request a role's first rule allows; `None` for a role with no rules (view, edit and
/// admin aggregate theirs by a controller, and no controller manager runs here).
fn request_of(rules: &[Value]) -> Option<Value> {
    let r = rules.first()?;
    if let Some(url) = r["nonResourceURLs"][0].as_str() {
        return Some(json!({"path": url.trim_end_matches('*'), "verb": r["verbs"][0]}));
    }
    let mut a =
        json!({"verb": r["verbs"][0], "group": r["apiGroups"][0], "resource": r["resources"][0]});
    if let Some(n) = r["resourceNames"][0].as_str() {
        a["name"] = json!(n);
    }
    Some(a)
}

/// Whether one of `rules` allows `get` on the marker resource `m`.
fn covers(rules: &[Value], m: &str) -> bool {
    let has = |v: &Value, x: &str| {
        v.as_array()
            .is_some_and(|a| a.iter().any(|e| e == "*" || e == x))
    };
    rules.iter().any(|r| {
        has(&r["apiGroups"], MARKER_GROUP)
            && has(&r["resources"], m)
            && has(&r["verbs"], "get")
            && r.get("resourceNames").is_none()
    })
}

/// The subject the authorizer is asked about: the path's username (templates filled in) and
/// groups, plus the groups every authenticated user has.
fn subject(p: &Value) -> (String, Vec<String>) {
    let user = p["username"]
        .as_str()
        .unwrap_or("judge-nobody")
        .replace("{{SessionName}}", "session")
        .replace("{{EC2PrivateDNSName}}", "ip-10-0-0-1")
        .replace('*', "judge");
    let mut groups: Vec<String> = vec![];
    for g in p["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(p["implicit_groups"].as_array().into_iter().flatten())
    {
        groups.push(g.as_str().unwrap().to_string());
    }
    if !groups.iter().any(|g| g == "system:authenticated") {
        groups.push("system:authenticated".into());
    }
    (user, groups)
}

/// Compares one path with the authorizer; returns the number of cases compared and the
/// disagreements.
fn judge(k: &RealKube, p: &Value, markers: &[&str]) -> (usize, Vec<String>) {
    let (user, groups) = subject(p);
    let mut bad = vec![];
    let mut n = 0;
    let all: Request = (None, json!({"verb": "*", "group": "*", "resource": "*"}));
    let admin = p["cluster_admin"] == true;
    n += 1;
    if allowed(k, &user, &groups, &all) != admin {
        bad.push(format!(
            "cluster_admin={admin} but the authorizer says the opposite for * on *"
        ));
    }
    // Each RBAC grant as (namespace it applies in, or None: cluster-wide; its rules).
    let mut held: Vec<(Option<String>, Vec<Value>, String)> = vec![];
    for g in p["grants"].as_array().unwrap() {
        let kind = g["kind"].as_str().unwrap();
        if kind != "ClusterRole" && kind != "Role" {
            continue;
        }
        let name = g["name"].as_str().unwrap();
        match g["namespaces"].as_array().unwrap().as_slice() {
            [] => held.push((None, rules_of(k, kind, name, None), g.to_string())),
            some => {
                for ns in some.iter().map(|n| n.as_str().unwrap()) {
                    let rules = rules_of(k, kind, name, Some(ns));
                    held.push((Some(ns.to_string()), rules, g.to_string()));
                }
            }
        }
    }
    for (ns, rules, g) in &held {
        let Some(req) = request_of(rules) else {
            continue;
        };
        n += 1;
        if !allowed(k, &user, &groups, &(ns.clone(), req)) {
            bad.push(format!("grant {g} is not allowed in {ns:?}"));
        }
    }
    // The other way round: where the authorizer allows a marker, a listed grant must.
    for m in markers {
        let req = json!({"verb": "get", "group": MARKER_GROUP, "resource": m});
        for ns in [None, Some("apps"), Some("other")] {
            let listed = admin
                || held.iter().any(|(at, rules, _)| {
                    (at.is_none() || at.as_deref() == ns) && covers(rules, m)
                });
            n += 1;
            let said = allowed(k, &user, &groups, &(ns.map(String::from), req.clone()));
            if said != listed {
                bad.push(format!("{m} in {ns:?}: authorizer {said}, grants {listed}"));
            }
        }
    }
    (n, bad)
}

#[test]
fn every_path_of_access_live_agrees_with_the_rbac_authorizer() {
    let w = World::real("judge");
    seed(&w);
    let dir = w.write_stack("judge", &[("main.hcl", STACK)]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    let o = w.eksfed(&["access", d, "--live", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let model: Value = serde_json::from_slice(&o.stdout).unwrap();
    let paths = model["paths"].as_array().unwrap();
    let markers = ["marker-a", "marker-b", "marker-c", "marker-role"];
    let (mut cases, mut bad) = (0, vec![]);
    for p in paths {
        let (n, b) = judge(&w.kube, p, &markers);
        cases += n;
        bad.extend(b.into_iter().map(|b| format!("{}: {b}", p["identity"])));
    }
    eprintln!(
        "the RBAC authorizer judged {} paths in {cases} cases",
        paths.len()
    );
    assert!(
        bad.is_empty(),
        "{} disagreements:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // The cases are not trivial: admins of three kinds, a namespaced grant, foreign bindings.
    let find = |needle: &str| {
        paths
            .iter()
            .find(|p| p.to_string().contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {paths:?}"))
    };
    assert_eq!(find("role/legacy")["cluster_admin"], true);
    assert_eq!(
        find("role/ops")["cluster_admin"],
        true,
        "superuser is admin"
    );
    assert_eq!(find("role/people/platform-admins")["cluster_admin"], true);
    assert_eq!(find("role/viewers")["cluster_admin"], false);
    assert_eq!(find("role/dev")["cluster_admin"], false);
    assert_eq!(find("kubernetes:user:auditor")["cluster_admin"], false);
    assert!(
        paths.len() >= 7 && cases >= 100,
        "{} paths, {cases} cases",
        paths.len()
    );
}
