//! End-to-end with EKS access entries and pod identity associations (the EKS test server),
//! IAM in moto, Kubernetes in the Kubernetes test server.
#![allow(clippy::unwrap_used)]

mod support;
use support::{text, KubeApi, World};

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB";

fn stack(path: &str) -> String {
    format!(
        r#"
stack "entries" {{}}
cluster "prod" {{
  name            = "prod"
  oidc_issuer_url = "{ISSUER}"
  kube_context    = "prod"
  access_mode     = "access_entries"
}}
role "admins" {{
  name = "platform-admins"
  path = "{path}"
  trust_aws {{ principals = ["arn:aws:iam::ACCOUNT:root"] }}
}}
access "admins" {{
  cluster  = cluster.prod
  role     = role.admins
  username = "admin:{{{{SessionName}}}}"
  groups   = ["platform:admins"]
  access_policies = [
    {{ policy = "AmazonEKSViewPolicy", scope = "namespace", namespaces = ["apps"] }},
    {{ policy = "AmazonEKSEditPolicy" }},
  ]
}}
role "app" {{
  name = "app"
  trust_pod_identity {{}}
}}
service_account "app" {{
  cluster          = cluster.prod
  namespace        = "apps"
  name             = "app"
  role             = role.app
  mode             = "pod_identity"
  create_namespace = true
}}
"#
    )
}

fn eks_json<K>(w: &World<K>, path: &str) -> serde_json::Value {
    w.eks.as_ref().unwrap().get_json(path).1
}

#[test]
fn access_entries_and_pod_identity_converge_and_replacement_cascades() {
    let w = World::new("entries").with_eks(&[("prod", ISSUER)]);
    let dir = w.write_stack("entries", &[("main.hcl", &stack("/"))]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let arn = format!("arn:aws:iam::{}:role/platform-admins", w.account);
    let entry = eks_json(
        &w,
        &format!("/clusters/prod/access-entries/{}", urlencode(&arn)),
    );
    assert_eq!(
        entry["accessEntry"]["username"], "admin:{{SessionName}}",
        "{entry}"
    );
    assert_eq!(entry["accessEntry"]["tags"]["eksfed:stack"], "entries");
    let pols = eks_json(
        &w,
        &format!(
            "/clusters/prod/access-entries/{}/access-policies",
            urlencode(&arn)
        ),
    );
    assert_eq!(
        pols["associatedAccessPolicies"].as_array().unwrap().len(),
        2,
        "{pols}"
    );
    let assoc = eks_json(
        &w,
        "/clusters/prod/pod-identity-associations?namespace=apps&serviceAccount=app",
    );
    assert_eq!(
        assoc["associations"].as_array().unwrap().len(),
        1,
        "{assoc}"
    );
    // pod identity mode: no role annotation on the ServiceAccount
    let (c, sa) = w
        .kube
        .get_json("/api/v1/namespaces/apps/serviceaccounts/app");
    assert_eq!(c, 200);
    assert!(
        sa["metadata"]["annotations"]
            .get("eks.amazonaws.com/role-arn")
            .is_none(),
        "{sa}"
    );
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "second plan is empty: {}", text(&p));

    // A role recreated under a new path is a new principal: its access entry is replaced too.
    let dir = w.write_stack("entries", &[("main.hcl", &stack("/people/"))]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d]);
    let out = String::from_utf8_lossy(&p.stdout).to_string();
    assert!(
        out.contains("# role.admins must be replaced (path changed from / to /people/)"),
        "{out}"
    );
    assert!(out.contains("# access.admins must be replaced"), "{out}");
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let arn2 = format!("arn:aws:iam::{}:role/people/platform-admins", w.account);
    let entry = eks_json(
        &w,
        &format!("/clusters/prod/access-entries/{}", urlencode(&arn2)),
    );
    assert_eq!(entry["accessEntry"]["principalArn"], arn2, "{entry}");
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
}

#[test]
fn migration_from_aws_auth_to_access_entries_never_loses_access() {
    migration_from_aws_auth_to_access_entries_never_loses_access_on(
        World::new("migrate").with_eks(&[(
            "prod",
            "https://oidc.eks.us-east-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB",
        )]),
    );
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn migration_from_aws_auth_to_access_entries_never_loses_access_on_a_real_api_server() {
    migration_from_aws_auth_to_access_entries_never_loses_access_on(
        World::real("migrate-real").with_eks(&[(
            "prod",
            "https://oidc.eks.us-east-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB",
        )]),
    );
}

fn migration_from_aws_auth_to_access_entries_never_loses_access_on<K: KubeApi>(w: World<K>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/migration");
    // aws-auth names the role without its path; the access entry with it.
    let arn = format!("arn:aws:iam::{}:role/platform-admins", w.account);
    let full_arn = format!("arn:aws:iam::{}:role/people/platform-admins", w.account);
    for (step, in_aws_auth, in_entries) in [
        ("1-aws-auth", true, false),
        ("2-both", true, true),
        ("3-access-entries", false, true),
    ] {
        let text_hcl = std::fs::read_to_string(root.join(step).join("main.hcl"))
            .unwrap()
            .replace("123456789012", &w.account);
        let text_hcl = text_hcl.replace(
            "  access_mode",
            "  kube_context    = \"prod\"\n  access_mode",
        );
        let dir = w.write_stack("migration", &[("main.hcl", &text_hcl)]);
        let d = dir.to_str().unwrap();
        if step == "1-aws-auth" {
            // the namespace the binding lives in
            w.kube.create_namespace("apps");
        }
        let a = w.eksfed(&["apply", d, "--auto-approve"]);
        assert_eq!(code(&a), 0, "{step}: {}", text(&a));
        let cm = w.kube.aws_auth();
        let mapped = cm["data"]["mapRoles"].as_str().unwrap_or("").contains(&arn);
        let (c, _) = w.eks.as_ref().unwrap().get_json(&format!(
            "/clusters/prod/access-entries/{}",
            urlencode(&full_arn)
        ));
        assert_eq!(mapped, in_aws_auth, "{step}: aws-auth mapping");
        assert_eq!(c == 200, in_entries, "{step}: access entry\n{}", text(&a));
        assert!(
            mapped || c == 200,
            "{step}: the role must always be mapped somewhere"
        );
        let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
        assert_eq!(code(&p), 0, "{step}: {}", text(&p));
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A cluster without `oidc_issuer_url`: plan reads it with EKS DescribeCluster; the trust
/// policy names that issuer.
#[test]
fn issuer_read_with_describe_cluster() {
    let issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/FROMDESCRIBE000000000000000000";
    let w = World::new("describe").with_eks(&[("prod", issuer)]);
    let stack = r#"
stack "describe" {}
cluster "prod" {
  name         = "prod"
  kube_context = "prod"
}
oidc_provider "prod" {
  url = cluster.prod.oidc_issuer_url
}
role "app" {
  trust_service_account {
    cluster   = cluster.prod
    namespace = "apps"
    names     = ["app"]
  }
}
"#;
    let dir = w.write_stack("describe", &[("main.hcl", stack)]);
    let d = dir.to_str().unwrap();
    let out = w.eksfed(&["render", d]);
    assert_eq!(
        code(&out),
        1,
        "render is offline and cannot know the issuer: {}",
        text(&out)
    );
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let doc = w.boto3("r = iam.get_role(RoleName='app')['Role']['AssumeRolePolicyDocument']\nprint(json.dumps(r if isinstance(r, dict) else json.loads(r)))");
    let host = issuer.trim_start_matches("https://");
    assert_eq!(
        doc["Statement"][0]["Principal"]["Federated"],
        format!("arn:aws:iam::{}:oidc-provider/{host}", w.account)
    );
    assert_eq!(
        doc["Statement"][0]["Condition"]["StringEquals"][format!("{host}:sub")],
        "system:serviceaccount:apps:app"
    );
    assert_eq!(code(&w.eksfed(&["plan", d, "--detailed-exitcode"])), 0);
}

/// A node role in `both` mode (the step before a migration to access entries): the aws-auth
/// item carries the node identity, the access entry is of type EC2_LINUX with EKS's own
/// username and groups, and the next plan is empty (EKS's groups are not drift).
#[test]
fn node_role_in_both_modes_converges() {
    node_role_in_both_modes_converges_on(World::new("nodes").with_eks(&[("prod", ISSUER)]));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn node_role_in_both_modes_converges_on_a_real_api_server() {
    node_role_in_both_modes_converges_on(World::real("nodes-real").with_eks(&[("prod", ISSUER)]));
}

fn node_role_in_both_modes_converges_on<K: KubeApi>(w: World<K>) {
    let hcl = format!(
        r#"
stack "nodes" {{}}
cluster "prod" {{
  name            = "prod"
  oidc_issuer_url = "{ISSUER}"
  kube_context    = "prod"
  access_mode     = "both"
}}
role "nodes" {{
  name     = "eks-nodes"
  path     = "/nodes/"
  policies = ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]
  trust_aws {{ principals = ["arn:aws:iam::{account}:root"] }}
}}
access "nodes" {{
  cluster = cluster.prod
  role    = role.nodes
  type    = "EC2_LINUX"
}}
"#,
        account = w.account
    );
    let dir = w.write_stack("nodes", &[("main.hcl", &hcl)]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let cm = w.kube.aws_auth();
    let roles = cm["data"]["mapRoles"].as_str().unwrap_or("");
    let item = format!("rolearn: arn:aws:iam::{}:role/eks-nodes", w.account);
    assert!(roles.contains(&item), "{roles}");
    assert!(
        roles.contains("system:node:{{EC2PrivateDNSName}}")
            && roles.contains("system:bootstrappers")
            && roles.contains("system:nodes"),
        "{roles}"
    );
    let arn = format!("arn:aws:iam::{}:role/nodes/eks-nodes", w.account);
    let entry = eks_json(
        &w,
        &format!("/clusters/prod/access-entries/{}", urlencode(&arn)),
    );
    assert_eq!(entry["accessEntry"]["type"], "EC2_LINUX", "{entry}");
    assert_eq!(
        entry["accessEntry"]["username"], "system:node:{{EC2PrivateDNSName}}",
        "{entry}"
    );
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
}

/// `eksfed import ADDRESS ID` marks what another tool made, in the system each piece lives
/// in: IAM roles, an access entry and a pod identity association on EKS, a ServiceAccount on
/// Kubernetes. Until then the plan refuses them (E0701); after, it adopts them and converges.
#[test]
fn eksfed_import_marks_objects_on_eks_and_kubernetes() {
    eksfed_import_marks_objects_on_eks_and_kubernetes_on(
        World::new("cmdimport").with_eks(&[("prod", ISSUER)]),
    );
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn eksfed_import_marks_objects_on_eks_and_kubernetes_on_a_real_api_server() {
    eksfed_import_marks_objects_on_eks_and_kubernetes_on(
        World::real("cmdimport-real").with_eks(&[("prod", ISSUER)]),
    );
}

fn eksfed_import_marks_objects_on_eks_and_kubernetes_on<K: KubeApi>(w: World<K>) {
    let admins = format!("arn:aws:iam::{}:role/platform-admins", w.account);
    let app = format!("arn:aws:iam::{}:role/app", w.account);
    w.boto3(&format!(
        "iam.create_role(RoleName='platform-admins', AssumeRolePolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'AWS':'arn:aws:iam::{0}:root'}},'Action':'sts:AssumeRole'}}]}}))\n\
iam.create_role(RoleName='app', AssumeRolePolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'Service':'pods.eks.amazonaws.com'}},'Action':['sts:AssumeRole','sts:TagSession']}}]}}))\nprint('{{}}')",
        w.account
    ));
    let eks = w.eks.as_ref().unwrap();
    let post = |path: &str, body: serde_json::Value| {
        let (c, b) = eks.http("POST", path, Some(&body.to_string()), "application/json");
        assert_eq!(c, 200, "POST {path}: {b}");
    };
    post(
        "/clusters/prod/access-entries",
        serde_json::json!({"principalArn": admins, "username": "admin:{{SessionName}}", "kubernetesGroups": ["platform:admins"]}),
    );
    post(
        "/clusters/prod/pod-identity-associations",
        serde_json::json!({"namespace": "apps", "serviceAccount": "app", "roleArn": app}),
    );
    w.kube.create_namespace("apps");
    w.kube.create(
        "/api/v1/namespaces/apps/serviceaccounts",
        &serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": "apps"}}),
    );
    let dir = w.write_stack("cmdimport", &[("main.hcl", &stack("/"))]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d]);
    assert_eq!(code(&p), 1, "{}", text(&p));
    assert!(
        String::from_utf8_lossy(&p.stderr).contains("E0701"),
        "{}",
        text(&p)
    );

    for (addr, id) in [
        ("role.admins", "platform-admins"),
        ("role.app", "app"),
        ("access.admins", admins.as_str()),
        ("service_account.app", "apps/app"),
    ] {
        let i = w.eksfed(&["import", d, addr, id]);
        assert_eq!(code(&i), 0, "import {addr} {id}: {}", text(&i));
    }
    // Each piece carries the mark where it lives.
    let entry = eks_json(
        &w,
        &format!("/clusters/prod/access-entries/{}", urlencode(&admins)),
    );
    assert_eq!(
        entry["accessEntry"]["tags"]["eksfed:stack"], "entries",
        "{entry}"
    );
    let list = eks_json(
        &w,
        "/clusters/prod/pod-identity-associations?namespace=apps&serviceAccount=app",
    );
    let id = list["associations"][0]["associationId"]
        .as_str()
        .unwrap()
        .to_string();
    let assoc = eks_json(
        &w,
        &format!("/clusters/prod/pod-identity-associations/{id}"),
    );
    assert_eq!(
        assoc["association"]["tags"]["eksfed:stack"], "entries",
        "{assoc}"
    );
    let (c, sa) = w
        .kube
        .get_json("/api/v1/namespaces/apps/serviceaccounts/app");
    assert_eq!(c, 200);
    assert_eq!(
        sa["metadata"]["labels"]["eksfed.io/stack"], "entries",
        "{sa}"
    );
    let roles =
        w.boto3("print(json.dumps([t for t in iam.list_role_tags(RoleName='app')['Tags']]))");
    assert!(roles.to_string().contains("eksfed:stack"), "{roles}");

    // Owned now: the plan adopts them, apply brings them to the configuration, then nothing.
    let p = w.eksfed(&["plan", d]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    // Nothing was made twice: still the one association and the one entry.
    let list = eks_json(
        &w,
        "/clusters/prod/pod-identity-associations?namespace=apps&serviceAccount=app",
    );
    assert_eq!(list["associations"].as_array().unwrap().len(), 1, "{list}");
    let entries = eks_json(&w, "/clusters/prod/access-entries");
    assert_eq!(
        entries["accessEntries"].as_array().unwrap().len(),
        1,
        "{entries}"
    );
}
