//! End-to-end against a real Kubernetes API server: the eksfed binary against moto (IAM/STS)
//! and etcd + kube-apiserver built from their Go modules (tests/support/real_kube.rs), with
//! the API server's own validation, defaulting, admission, field managers and RBAC. Read back
//! with curl as the cluster admin.
#![allow(clippy::unwrap_used)]

mod support;
use support::real_kube::RealKube;
use support::{text, KubeApi, World};

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

const NODES: &str = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/eks-node-group\n  username: system:node:{{EC2PrivateDNSName}}\n- rolearn:   \"arn:aws:iam::111122223333:role/fargate\"   # another tool's spacing\n  username: system:node:{{SessionName}}\n  groups: [system:bootstrappers, system:nodes, system:node-proxier]\n";

const CLUSTER: &str = r#"
stack "real" {}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
oidc_provider "demo" {
  url = cluster.demo.oidc_issuer_url
}
"#;

/// A service account with its role, an `aws-auth` mapping of a role with a path, and a
/// binding of `cluster_role` in one namespace.
fn stack(cluster_role: &str) -> String {
    format!(
        r#"{CLUSTER}
role "reader" {{
  name = "reports-reader"
  trust_service_account {{
    cluster   = cluster.demo
    namespace = "reports"
    names     = ["reader"]
  }}
}}
service_account "reader" {{
  cluster          = cluster.demo
  namespace        = "reports"
  name             = "reader"
  role             = role.reader
  create_namespace = true
}}
role "admins" {{
  name = "admins"
  path = "/people/"
  trust_aws {{ principals = ["arn:aws:iam::ACCOUNT:root"] }}
}}
access "admins" {{
  cluster  = cluster.demo
  role     = role.admins
  username = "admin:{{{{SessionName}}}}"
  groups   = ["platform:admins"]
}}
rbac_binding "admins" {{
  cluster      = cluster.demo
  subjects     = [{{ kind = "Group", name = "platform:admins" }}]
  cluster_role = "{cluster_role}"
  namespaces   = ["reports"]
  depends_on   = [service_account.reader]
}}
rbac_binding "auditors" {{
  cluster      = cluster.demo
  subjects     = [{{ kind = "User", name = "auditor" }}]
  cluster_role = "view"
}}
"#
    )
}

fn apply_ok(w: &World<RealKube>, d: &str) {
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
}

fn plan_is_empty(w: &World<RealKube>, d: &str) {
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "the plan must be empty: {}", text(&p));
    assert!(stdout(&p).contains("No changes."), "{}", text(&p));
}

const RB: &str = "/apis/rbac.authorization.k8s.io/v1/namespaces/reports/rolebindings/eksfed-admins";
const SA: &str = "/api/v1/namespaces/reports/serviceaccounts/reader";

#[test]
fn apply_plan_drift_destroy_keep_foreign_aws_auth_entries_byte_for_byte() {
    let w = World::real("cycle");
    w.kube.seed_aws_auth(NODES);
    let dir = w.write_stack("cycle", &[("main.hcl", &stack("view"))]);
    let d = dir.to_str().unwrap();
    apply_ok(&w, d);
    // Read back: the service account, the bindings, and aws-auth with the node entries first
    // and unchanged, eksfed's entry written without the role's path.
    let (c, sa) = w.kube.get_json(SA);
    assert_eq!(c, 200, "{sa}");
    assert_eq!(
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        format!("arn:aws:iam::{}:role/reports-reader", w.account)
    );
    let managers: Vec<&str> = sa["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert_eq!(managers, ["eksfed"], "server-side apply as eksfed: {sa}");
    let (c, rb) = w.kube.get_json(RB);
    assert_eq!(c, 200, "{rb}");
    assert_eq!(rb["roleRef"]["name"], "view");
    let (c, crb) = w
        .kube
        .get_json("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/eksfed-auditors");
    assert_eq!(c, 200, "{crb}");
    let map_roles = w.kube.aws_auth()["data"]["mapRoles"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(map_roles.starts_with(NODES), "{map_roles}");
    assert!(
        map_roles.contains(&format!("arn:aws:iam::{}:role/admins", w.account)),
        "{map_roles}"
    );
    assert!(!map_roles.contains("role/people/admins"), "{map_roles}");
    plan_is_empty(&w, d);
    // Drift made with another client: the service account's annotation and the binding's
    // subjects. The plan shows both; apply repairs them; the plan is empty again.
    let (c, b) = w.kube.request(
        "PATCH",
        SA,
        Some(r#"{"metadata":{"annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::999999999999:role/x"}}}"#),
    );
    assert_eq!(c, 200, "{b}");
    let (c, b) = w.kube.request(
        "PATCH",
        RB,
        Some(r#"{"subjects":[{"kind":"Group","name":"everyone","apiGroup":"rbac.authorization.k8s.io"}]}"#),
    );
    assert_eq!(c, 200, "{b}");
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "{}", text(&p));
    let out = stdout(&p);
    assert!(out.contains("service_account.reader"), "{out}");
    assert!(out.contains("rbac_binding.admins"), "{out}");
    assert!(out.contains("999999999999"), "{out}");
    apply_ok(&w, d);
    assert_eq!(
        w.kube.get_json(RB).1["subjects"][0]["name"],
        "platform:admins"
    );
    plan_is_empty(&w, d);
    // Destroy: eksfed's objects are gone, the node entries are exactly what they were.
    let x = w.eksfed(&["destroy", d, "--auto-approve"]);
    assert_eq!(code(&x), 0, "{}", text(&x));
    assert_eq!(w.kube.get_json(SA).0, 404);
    assert_eq!(w.kube.get_json(RB).0, 404);
    assert_eq!(w.kube.aws_auth()["data"]["mapRoles"], NODES);
    let left = w.kube.aws_auth()["metadata"]["annotations"].clone();
    assert!(
        left.as_object()
            .is_none_or(|a| !a.keys().any(|k| k.starts_with("eksfed.io/"))),
        "{left}"
    );
}

#[test]
fn a_binding_whose_role_ref_changes_is_replaced() {
    let w = World::real("roleref");
    let dir = w.write_stack("roleref", &[("main.hcl", &stack("view"))]);
    let d = dir.to_str().unwrap();
    apply_ok(&w, d);
    let uid = w.kube.get_json(RB).1["metadata"]["uid"].clone();
    // The real API server refuses a roleRef change in place.
    let (c, b) = w.kube.request(
        "PATCH",
        RB,
        Some(r#"{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"}}"#),
    );
    assert_eq!(c, 422, "{b}");
    assert!(
        b.contains("roleRef") && b.contains("field is immutable"),
        "{b}"
    );
    let dir = w.write_stack("roleref", &[("main.hcl", &stack("edit"))]);
    let p = w.eksfed(&["plan", d]);
    assert!(stdout(&p).contains("rbac_binding.admins"), "{}", text(&p));
    apply_ok(&w, dir.to_str().unwrap());
    let rb = w.kube.get_json(RB).1;
    assert_eq!(rb["roleRef"]["name"], "edit", "{rb}");
    assert_ne!(rb["metadata"]["uid"], uid, "deleted and created: {rb}");
    plan_is_empty(&w, d);
}

#[test]
fn concurrent_applies_take_turns_through_the_lease() {
    let w = World::real("lease");
    w.kube.seed_aws_auth(NODES);
    let dir = w.write_stack("lease", &[("main.hcl", &stack("view"))]);
    let d = dir.to_str().unwrap().to_string();
    // Another holder's live Lease: the apply waits for it, then says who holds it.
    let now = "2099-01-01T00:00:00.000000Z";
    let lease = serde_json::json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "eksfed-lock-real", "namespace": "kube-system"},
        "spec": {"holderIdentity": "someone-else", "leaseDurationSeconds": 3600,
                 "acquireTime": now, "renewTime": now}});
    w.kube.create(
        "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
        &lease,
    );
    let a = w.eksfed(&["apply", &d, "--auto-approve", "--lock-timeout", "2s"]);
    assert_eq!(code(&a), 1, "{}", text(&a));
    let err = String::from_utf8_lossy(&a.stderr);
    assert!(
        err.contains("locked by someone-else") && err.contains("eksfed-lock-real"),
        "{err}"
    );
    let (c, _) = w.kube.request(
        "DELETE",
        "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eksfed-lock-real",
        None,
    );
    assert_eq!(c, 200);
    // Two applies at once: both succeed, one after the other; the lock is released.
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"));
            cmd.args(["apply", &d, "--auto-approve", "--lock-timeout", "60s"])
                .envs(w.envs())
                .env_remove("AWS_PROFILE");
            cmd.spawn().unwrap()
        })
        .collect();
    for r in runs {
        let o = r.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    let (c, _) = w
        .kube
        .get_json("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eksfed-lock-real");
    assert_eq!(c, 404, "the lock is released");
    assert!(w.kube.aws_auth()["data"]["mapRoles"]
        .as_str()
        .unwrap()
        .starts_with(NODES));
    plan_is_empty(&w, &d);
}

#[test]
fn fields_another_manager_added_are_left_alone() {
    let w = World::real("foreign");
    let dir = w.write_stack("foreign", &[("main.hcl", &stack("view"))]);
    let d = dir.to_str().unwrap();
    apply_ok(&w, d);
    let (c, b) = w.kube.request(
        "PATCH",
        SA,
        Some(
            r#"{"metadata":{"annotations":{"example.com/owner":"team-a"},"labels":{"team":"a"}}}"#,
        ),
    );
    assert_eq!(c, 200, "{b}");
    // Fields another manager owns are not drift, and applying again keeps them: server-side
    // apply removes only what eksfed's field manager owns.
    plan_is_empty(&w, d);
    let (c, b) = w.kube.request(
        "PATCH",
        SA,
        Some(r#"{"metadata":{"annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::999999999999:role/x"}}}"#),
    );
    assert_eq!(c, 200, "{b}");
    apply_ok(&w, d);
    let sa = w.kube.get_json(SA).1;
    assert_eq!(
        sa["metadata"]["annotations"]["example.com/owner"], "team-a",
        "{sa}"
    );
    assert_eq!(sa["metadata"]["labels"]["team"], "a", "{sa}");
    assert_eq!(
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        format!("arn:aws:iam::{}:role/reports-reader", w.account)
    );
    plan_is_empty(&w, d);
}
