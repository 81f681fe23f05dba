//! Least privilege for eksfed itself, judged by a real kube-apiserver's RBAC authorizer: eksfed
//! runs as client-certificate users bound to exactly the roles of
//! examples/ci/kubernetes-rbac.yaml (plan: read-only; apply), and to less than that.
#![allow(clippy::unwrap_used)]

mod support;
use support::real_kube::RealKube;
use support::{text, KubeApi, World};

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// The documents of examples/ci/kubernetes-rbac.yaml, as JSON.
fn example_rbac() -> Vec<serde_json::Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/ci/kubernetes-rbac.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    text.split("\n---\n")
        .map(|doc| serde_yaml::from_str::<serde_json::Value>(doc).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

/// A world whose cluster has the example roles, and aws-auth with a node group's entry.
fn world(name: &str) -> World<RealKube> {
    let w = World::real(name);
    w.kube.create_rbac(&example_rbac());
    w.kube.seed_aws_auth("- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n");
    w
}

const STACK: &str = r#"
stack "ci" {}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
role "reader" {
  name = "ci-reader"
  trust_aws { principals = ["arn:aws:iam::ACCOUNT:root"] }
}
service_account "reader" {
  cluster          = cluster.demo
  namespace        = "reports"
  name             = "reader"
  create_namespace = true
}
access "reader" {
  cluster  = cluster.demo
  role     = role.reader
  username = "reader"
  groups   = ["reports:viewers"]
}
rbac_binding "viewers" {
  cluster      = cluster.demo
  subjects     = [{ kind = "Group", name = "reports:viewers" }]
  cluster_role = "view"
  namespaces   = ["reports"]
  depends_on   = [service_account.reader]
}
"#;

#[test]
fn plan_and_apply_work_with_exactly_the_example_roles_and_plan_cannot_write() {
    let w = world("least");
    let planner = w.kube.kubeconfig("ci-plan", &["eksfed:plan"], &["demo"]);
    let applier = w.kube.kubeconfig("ci-apply", &["eksfed:apply"], &["demo"]);
    let dir = w.write_stack("least", &[("main.hcl", STACK)]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed_with(&planner, &["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "the read-only role plans: {}", text(&p));
    // The read-only role cannot apply: the first write (the stack's Lease) is refused, and the
    // error names the verb, the resource and the user.
    let a = w.eksfed_with(&planner, &["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 1, "{}", text(&a));
    let err = text(&a);
    assert!(
        err.contains(
            r#"User "ci-plan" cannot get resource "leases" in API group "coordination.k8s.io""#
        ),
        "{err}"
    );
    // One line from the server's message, not a dump of the client's Status value.
    assert!(
        !err.contains("Status {") && err.contains("(Forbidden, 403)"),
        "{err}"
    );
    assert!(err.contains("examples/ci/kubernetes-rbac.yaml"), "{err}");
    let a = w.eksfed_with(&applier, &["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "the apply role applies: {}", text(&a));
    let (c, rb) = w.kube.get_json(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/reports/rolebindings/eksfed-viewers",
    );
    assert_eq!(c, 200, "{rb}");
    let p = w.eksfed_with(&planner, &["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let l = w.eksfed_with(&planner, &["access", d, "--live", "--format", "json"]);
    assert_eq!(
        code(&l),
        0,
        "the read-only role reads for access --live: {}",
        text(&l)
    );
    let x = w.eksfed_with(&applier, &["destroy", d, "--auto-approve"]);
    assert_eq!(code(&x), 0, "{}", text(&x));
    let cm = w.kube.aws_auth();
    assert!(
        cm["data"]["mapRoles"]
            .as_str()
            .unwrap()
            .contains("role/nodes")
            && !cm["data"]["mapRoles"]
                .as_str()
                .unwrap()
                .contains("ci-reader"),
        "{cm}"
    );
}

/// The example's apply ClusterRole with its rules edited by `edit`, named `name`, bound (with
/// the example's kube-system apply Role) to group `group`.
fn apply_role_variant(
    w: &World<RealKube>,
    name: &str,
    group: &str,
    edit: impl Fn(&mut Vec<serde_json::Value>),
) {
    let mut role = example_rbac()
        .into_iter()
        .find(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == "eksfed-apply")
        .unwrap();
    role["metadata"]["name"] = name.into();
    edit(role["rules"].as_array_mut().unwrap());
    let subjects = serde_json::json!([{"kind": "Group", "name": group, "apiGroup": "rbac.authorization.k8s.io"}]);
    let crb = serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": subjects});
    let rb = serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": "kube-system"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "eksfed-apply"},
        "subjects": subjects});
    w.kube.create_rbac(&[role, crb, rb]);
}

#[test]
fn a_missing_permission_names_its_verb_and_resource() {
    let w = world("missing");
    // The apply role without `delete` on serviceaccounts: destroy stops there.
    apply_role_variant(&w, "eksfed-apply-nodelete", "eksfed:nodelete", |rules| {
        for r in rules
            .iter_mut()
            .filter(|r| r["resources"] == serde_json::json!(["serviceaccounts"]))
        {
            r["verbs"] = serde_json::json!(["create", "patch", "update"]);
        }
    });
    let user = w.kube.kubeconfig(
        "ci-nodelete",
        &["eksfed:nodelete", "eksfed:plan"],
        &["demo"],
    );
    let dir = w.write_stack("missing", &[("main.hcl", STACK)]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed_with(&user, &["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let x = w.eksfed_with(&user, &["destroy", d, "--auto-approve"]);
    assert_eq!(code(&x), 1, "{}", text(&x));
    let err = text(&x);
    assert!(
        err.contains(r#"User "ci-nodelete" cannot delete resource "serviceaccounts""#)
            && err.contains("reports/reader"),
        "{err}"
    );
}

#[test]
fn granting_a_role_the_caller_does_not_hold_is_refused_naming_bind_and_escalate() {
    let w = world("escalate");
    // The apply role without `bind`: a binding of cluster-admin is an escalation.
    apply_role_variant(&w, "eksfed-apply-nobind", "eksfed:nobind", |rules| {
        rules.retain(|r| r["verbs"] != serde_json::json!(["bind"]));
    });
    let user = w
        .kube
        .kubeconfig("ci-nobind", &["eksfed:nobind", "eksfed:plan"], &["demo"]);
    let stack = r#"
stack "esc" {}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
rbac_binding "admins" {
  cluster      = cluster.demo
  subjects     = [{ kind = "Group", name = "platform:admins" }]
  cluster_role = "cluster-admin"
}
"#;
    let dir = w.write_stack("esc", &[("main.hcl", stack)]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed_with(&user, &["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 1, "{}", text(&a));
    let err = text(&a);
    assert!(
        err.contains("attempting to grant RBAC permissions not currently held"),
        "{err}"
    );
    assert!(
        err.contains("escalation refused")
            && err.contains("`bind` verb on clusterroles/cluster-admin")
            && err.contains("`escalate`"),
        "{err}"
    );
    let (c, _) = w
        .kube
        .get_json("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/eksfed-admins");
    assert_eq!(c, 404, "nothing was granted");
    // With the example's apply role (which has `bind`), the same apply works.
    let applier = w.kube.kubeconfig("ci-apply", &["eksfed:apply"], &["demo"]);
    let a = w.eksfed_with(&applier, &["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
}
