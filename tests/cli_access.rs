//! `eksfed access` end to end: offline from the stack alone, and `--live` over moto (IAM), the
//! Kubernetes test server (aws-auth, bindings) and the EKS test server (access entries), with
//! objects the stack does not own put there by hand the way people do. The Mermaid output is
//! checked by Mermaid's own parser (tests/mermaid, installed by tests/run.sh).
#![allow(clippy::unwrap_used)]

mod support;
use serde_json::{json, Value};
use support::{text, KubeApi, World};

/// ClusterRoles a real API server's bootstrap policy binds to every authenticated user and
/// to service accounts (the test server has no bootstrap policy).
const BOOTSTRAP_GRANTS: [&str; 5] = [
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
    "system:service-account-issuer-discovery",
    "system:cluster-trust-bundle-discovery",
];

/// A path's grants less those of the bootstrap policy (which also binds cluster-admin to
/// `system:masters`).
fn grants(p: &Value) -> Value {
    let masters = p["groups"].to_string().contains("\"system:masters\"");
    let kept: Vec<Value> = p["grants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| !(masters && g["kind"] == "ClusterRole" && g["name"] == "cluster-admin"))
        .filter(|g| {
            g["kind"] != "ClusterRole" || !BOOTSTRAP_GRANTS.contains(&g["name"].as_str().unwrap())
        })
        .cloned()
        .collect();
    Value::Array(kept)
}

/// The paths only a real API server's bootstrap policy makes: its controllers (service
/// accounts of `kube-system`) and `system:masters` bound to cluster-admin. The test server has
/// none.
fn built_in(p: &Value) -> bool {
    p["role"].is_null()
        && p["managed"] == false
        && p["identity"].as_str().is_some_and(|i| {
            i.starts_with("system:serviceaccount:kube-system:")
                || i == "kubernetes:group:system:masters"
        })
}

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn json_out(o: &std::process::Output) -> Value {
    assert_eq!(code(o), 0, "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn paths(v: &Value) -> Vec<Value> {
    assert_eq!(v["format_version"], 1, "{v}");
    v["paths"].as_array().unwrap().clone()
}

fn offline(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn example(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
        .display()
        .to_string()
}

const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB";
const HOST: &str = "oidc.eks.us-east-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB";

/// A stack with its own way to cluster admin (a group bound to `cluster-admin`), a viewer
/// group, and an IRSA app role for `apps:web`.
fn stack(mode: &str) -> String {
    format!(
        r#"
stack "access-review" {{}}
cluster "prod" {{
  name            = "prod"
  oidc_issuer_url = "{ISSUER}"
  kube_context    = "prod"
  access_mode     = "{mode}"
}}
oidc_provider "prod" {{
  url = cluster.prod.oidc_issuer_url
}}
role "platform" {{
  name = "platform-admins"
  path = "/people/"
  trust_aws {{ principals = ["arn:aws:iam::ACCOUNT:root"] }}
}}
access "platform" {{
  cluster  = cluster.prod
  role     = role.platform
  username = "admin:{{{{SessionName}}}}"
  groups   = ["platform:admins"]
}}
rbac_binding "platform" {{
  cluster      = cluster.prod
  subjects     = [{{ kind = "Group", name = "platform:admins" }}]
  cluster_role = "cluster-admin"
}}
role "web" {{
  name = "web"
  trust_service_account {{
    cluster   = cluster.prod
    namespace = "apps"
    names     = ["web"]
  }}
}}
service_account "web" {{
  cluster          = cluster.prod
  namespace        = "apps"
  name             = "web"
  role             = role.web
  create_namespace = true
}}
"#
    )
}

#[test]
fn offline_answers_from_the_stack_alone() {
    let d = example("saml-admins");
    let all = paths(&json_out(&offline(&["access", &d, "--format", "json"])));
    assert_eq!(all.len(), 2, "{all:?}");
    let admins = all
        .iter()
        .find(|p| p["role"] == "arn:aws:iam::123456789012:role/people/platform-admins")
        .unwrap();
    assert_eq!(
        admins["identity"],
        "saml:arn:aws:iam::123456789012:saml-provider/okta"
    );
    assert_eq!(admins["cluster"], "prod");
    assert_eq!(admins["username"], "admin:{{SessionName}}");
    assert_eq!(admins["groups"], json!(["platform:admins"]));
    assert_eq!(
        admins["grants"],
        json!([{"kind": "ClusterRole", "name": "admin", "namespaces": ["apps", "monitoring"]}])
    );
    assert_eq!(admins["cluster_admin"], false);
    assert_eq!(admins["managed"], true);

    // --who-can group:NAME keeps the paths into that group; nobody reaches cluster admin.
    let g = paths(&json_out(&offline(&[
        "access",
        &d,
        "--format",
        "json",
        "--who-can",
        "group:platform:viewers",
    ])));
    assert_eq!(g.len(), 1);
    assert_eq!(
        g[0]["role"],
        "arn:aws:iam::123456789012:role/people/engineers"
    );
    let none = paths(&json_out(&offline(&[
        "access",
        &d,
        "--format",
        "json",
        "--who-can",
        "cluster-admin",
    ])));
    assert!(none.is_empty(), "{none:?}");

    // --identity matches a service account against the trust; other service accounts are not
    // admitted.
    let q = example("quickstart");
    let sa = paths(&json_out(&offline(&[
        "access",
        &q,
        "--format",
        "json",
        "--identity",
        "system:serviceaccount:reports:reader",
    ])));
    assert_eq!(sa.len(), 1, "{sa:?}");
    assert_eq!(
        sa[0]["role"],
        "arn:aws:iam::123456789012:role/reports-reader"
    );
    assert_eq!(sa[0]["cluster"], "demo");
    let other = paths(&json_out(&offline(&[
        "access",
        &q,
        "--format",
        "json",
        "--identity",
        "system:serviceaccount:reports:writer",
    ])));
    assert!(other.is_empty(), "{other:?}");

    // The text table names the honest limits.
    let t = offline(&["access", &d]);
    assert_eq!(code(&t), 0, "{}", text(&t));
    let out = String::from_utf8_lossy(&t.stdout);
    assert!(out.contains("IDENTITY"), "{out}");
    assert!(
        out.contains("ClusterRole admin in apps,monitoring"),
        "{out}"
    );
    assert!(
        out.contains("cluster creator's system:masters is invisible"),
        "{out}"
    );
    assert!(out.contains("decided in the IdP"), "{out}");

    // What each role may do in AWS, summarised from its policies.
    let t = offline(&["access", &example("multi-team")]);
    assert_eq!(code(&t), 0, "{}", text(&t));
    let out = String::from_utf8_lossy(&t.stdout);
    assert!(out.contains("What the roles may do in AWS:"), "{out}");
    assert!(
        out.contains("prod-payments: ssm:GetParameter on arn:aws:ssm:us-east-1:123456789012:parameter/prod/payments/*"),
        "{out}"
    );
    assert!(!out.contains("prod-payments: ssm:GetParameter on arn:aws:ssm:us-east-1:123456789012:parameter/prod/search/*"), "{out}");

    // Bad questions are refused.
    let bad = offline(&["access", &d, "--who-can", "root"]);
    assert_eq!(code(&bad), 1, "{}", text(&bad));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cluster-admin"));
    let bad = offline(&["access", &d, "--cluster", "nope"]);
    assert_eq!(code(&bad), 1, "{}", text(&bad));
}

#[test]
fn live_who_can_cluster_admin_finds_foreign_masters_and_break_glass() {
    live_who_can_cluster_admin_finds_foreign_masters_and_break_glass_on(World::new("access-admin"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn live_who_can_cluster_admin_finds_foreign_masters_and_break_glass_on_a_real_api_server() {
    live_who_can_cluster_admin_finds_foreign_masters_and_break_glass_on(World::real(
        "access-admin-real",
    ));
}

fn live_who_can_cluster_admin_finds_foreign_masters_and_break_glass_on<K: KubeApi>(w: World<K>) {
    // By hand, before the stack: a legacy admin role mapped to system:masters in aws-auth next
    // to the node group, and a role whose trust admits every service account of `apps`.
    w.boto3(&format!("iam.create_role(RoleName='legacy-admin', AssumeRolePolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'AWS':'arn:aws:iam::{}:root'}},'Action':'sts:AssumeRole'}}]}}))\nprint('{{}}')", w.account));
    w.boto3(&format!("iam.create_role(RoleName='apps-wildcard', AssumeRolePolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'Federated':'arn:aws:iam::{acct}:oidc-provider/{HOST}'}},'Action':'sts:AssumeRoleWithWebIdentity','Condition':{{'StringLike':{{'{HOST}:sub':'system:serviceaccount:apps:*'}},'StringEquals':{{'{HOST}:aud':'sts.amazonaws.com'}}}}}}]}}))\nprint('{{}}')", acct = w.account));
    let seeded = format!(
        "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::{0}:role/eks-node-group\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n- groups:\n  - system:masters\n  rolearn: arn:aws:iam::{0}:role/legacy-admin\n  username: legacy\n",
        w.account
    );
    w.kube.seed_aws_auth(&seeded);
    w.kube.create(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "break-glass"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oncall:break-glass"}]}),
    );
    let dir = w.write_stack("access-admin", &[("main.hcl", &stack("aws_auth"))]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let before = w.kube.aws_auth();

    // Offline, only the stack's own way in.
    let off = paths(&json_out(&w.eksfed(&[
        "access",
        d,
        "--format",
        "json",
        "--who-can",
        "cluster-admin",
    ])));
    assert_eq!(off.len(), 1, "{off:?}");

    let out = w.eksfed(&[
        "access",
        d,
        "--live",
        "--format",
        "json",
        "--who-can",
        "cluster-admin",
    ]);
    let (servers_own, admins): (Vec<Value>, Vec<Value>) =
        paths(&json_out(&out)).into_iter().partition(built_in);
    // A real cluster's system:masters, and its controller that may escalate ClusterRoles.
    for c in &servers_own {
        assert!(
            c["cluster_admin"] == true || c["notes"].to_string().contains("may bind or escalate"),
            "{c}"
        );
    }
    assert!(
        admins.iter().all(|p| p["cluster_admin"] == true),
        "{:#?}",
        admins
            .iter()
            .filter(|p| p["cluster_admin"] != true)
            .collect::<Vec<_>>()
    );
    let own = admins
        .iter()
        .find(|p| p["role"] == format!("arn:aws:iam::{}:role/people/platform-admins", w.account))
        .unwrap_or_else(|| panic!("the stack's own admin path: {admins:?}"));
    assert_eq!(own["managed"], true, "{own}");
    assert_eq!(own["cluster"], "prod");
    assert_eq!(own["username"], "admin:{{SessionName}}");
    assert_eq!(
        own["identity"],
        format!("aws:arn:aws:iam::{}:root", w.account)
    );
    assert!(own["grants"]
        .as_array()
        .unwrap()
        .contains(&json!({"kind": "ClusterRole", "name": "cluster-admin", "namespaces": []})));

    let legacy = admins
        .iter()
        .find(|p| p["role"] == format!("arn:aws:iam::{}:role/legacy-admin", w.account))
        .unwrap_or_else(|| panic!("the hand-added system:masters entry: {admins:?}"));
    assert_eq!(legacy["managed"], false, "{legacy}");
    assert_eq!(legacy["username"], "legacy");
    assert_eq!(legacy["groups"], json!(["system:masters"]));
    assert_eq!(
        grants(legacy),
        json!([{"kind": "Group", "name": "system:masters", "namespaces": []}])
    );
    assert_eq!(
        legacy["identity"],
        format!("aws:arn:aws:iam::{}:root", w.account)
    );

    let glass = admins
        .iter()
        .find(|p| p["identity"] == "kubernetes:group:oncall:break-glass")
        .unwrap_or_else(|| panic!("the break-glass binding: {admins:?}"));
    assert_eq!(glass["managed"], false, "{glass}");
    assert_eq!(glass["role"], Value::Null);
    assert_eq!(
        grants(glass),
        json!([{"kind": "ClusterRole", "name": "cluster-admin", "namespaces": []}])
    );
    assert_eq!(admins.len(), 3, "{admins:?}");
    // The node group is not an admin.
    assert!(!admins
        .iter()
        .any(|p| p["role"].as_str().unwrap_or("").ends_with("eks-node-group")));

    // What a service account reaches: its own role, and the foreign role whose trust admits
    // it by wildcard; not for a service account of another namespace.
    let sa = paths(&json_out(&w.eksfed(&[
        "access",
        d,
        "--live",
        "--format",
        "json",
        "--identity",
        "system:serviceaccount:apps:web",
    ])));
    let web = sa
        .iter()
        .find(|p| p["role"] == format!("arn:aws:iam::{}:role/web", w.account))
        .unwrap_or_else(|| panic!("{sa:?}"));
    assert_eq!(web["managed"], true);
    assert_eq!(web["identity"], "system:serviceaccount:apps:web");
    let wild = sa
        .iter()
        .find(|p| p["role"] == format!("arn:aws:iam::{}:role/apps-wildcard", w.account))
        .unwrap_or_else(|| panic!("the wildcard trust: {sa:?}"));
    assert_eq!(wild["identity"], "system:serviceaccount:apps:*");
    assert_eq!(wild["managed"], false);
    assert_eq!(wild["cluster"], "prod");
    let other = paths(&json_out(&w.eksfed(&[
        "access",
        d,
        "--live",
        "--format",
        "json",
        "--identity",
        "system:serviceaccount:ops:web",
    ])));
    assert!(other.is_empty(), "{other:?}");

    // The table says who is foreign, and access changed nothing.
    let t = w.eksfed(&["access", d, "--live", "--who-can", "cluster-admin"]);
    assert_eq!(code(&t), 0, "{}", text(&t));
    let table = String::from_utf8_lossy(&t.stdout).to_string();
    // (A real API server adds its own paths, all foreign: see `built_in`.)
    let count = |what: &str| servers_own.iter().filter(|p| p[what] == true).count();
    let maybe = match count("may_be_cluster_admin") {
        0 => String::new(),
        n => format!(" ({n} more may be)"),
    };
    let summary = format!(
        "{} path(s), {} to cluster admin{maybe}, {} through objects this stack does not own.",
        3 + servers_own.len(),
        3 + count("cluster_admin"),
        2 + servers_own.len()
    );
    assert!(table.contains(&summary), "{summary}\n{table}");
    assert_eq!(w.kube.aws_auth(), before);
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
}

#[test]
fn live_access_entries_win_over_aws_auth_and_cluster_admin_policy_counts() {
    live_access_entries_win_over_aws_auth_and_cluster_admin_policy_counts_on(
        World::new("access-entries").with_eks(&[("prod", ISSUER)]),
    );
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn live_access_entries_win_over_aws_auth_and_cluster_admin_policy_counts_on_a_real_api_server() {
    live_access_entries_win_over_aws_auth_and_cluster_admin_policy_counts_on(
        World::real("access-entries-real").with_eks(&[("prod", ISSUER)]),
    );
}

fn live_access_entries_win_over_aws_auth_and_cluster_admin_policy_counts_on<K: KubeApi>(
    w: World<K>,
) {
    let dir = w.write_stack("access-entries", &[("main.hcl", &stack("both"))]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    // By hand: an access entry with the cluster admin policy for a role nobody declared.
    let eks = w.eks.as_ref().unwrap();
    let arn = format!("arn:aws:iam::{}:role/ci-deployer", w.account);
    w.boto3("iam.create_role(RoleName='ci-deployer', AssumeRolePolicyDocument=json.dumps({'Version':'2012-10-17','Statement':[{'Effect':'Allow','Principal':{'Service':'codebuild.amazonaws.com'},'Action':'sts:AssumeRole'}]}))\nprint('{}')");
    let (c, b) = eks.http(
        "POST",
        "/clusters/prod/access-entries",
        Some(&json!({"principalArn": arn}).to_string()),
        "application/json",
    );
    assert!(c == 200 || c == 201, "{c} {b}");
    let (c, b) = eks.http(
        "POST",
        &format!("/clusters/prod/access-entries/{}/access-policies", urlencode(&arn)),
        Some(&json!({"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "accessScope": {"type": "cluster"}}).to_string()),
        "application/json",
    );
    assert!(c == 200 || c == 201, "{c} {b}");

    let admins: Vec<Value> = paths(&json_out(&w.eksfed(&[
        "access",
        d,
        "--live",
        "--format",
        "json",
        "--who-can",
        "cluster-admin",
        "--cluster",
        "prod",
    ])))
    .into_iter()
    .filter(|p| !built_in(p))
    .collect();
    let ci = admins
        .iter()
        .find(|p| p["role"] == arn)
        .unwrap_or_else(|| panic!("{admins:?}"));
    assert_eq!(ci["managed"], false);
    assert_eq!(ci["identity"], "aws:codebuild.amazonaws.com");
    assert_eq!(
        ci["username"],
        format!(
            "arn:aws:sts::{}:assumed-role/ci-deployer/{{{{SessionName}}}}",
            w.account
        )
    );
    assert_eq!(
        grants(ci),
        json!([{"kind": "AccessPolicy", "name": "AmazonEKSClusterAdminPolicy", "namespaces": []}])
    );
    // The stack's role is mapped both ways; the access entry (path kept) is the one shown.
    let own = admins
        .iter()
        .find(|p| p["role"] == format!("arn:aws:iam::{}:role/people/platform-admins", w.account))
        .unwrap_or_else(|| panic!("{admins:?}"));
    assert_eq!(own["managed"], true, "{own}");
    assert_eq!(admins.len(), 2, "{admins:?}");
}

/// Issue 24, items 2 and 4 end to end: live RBAC expanded from the ClusterRoles the cluster
/// has (a `*`/`*` ClusterRole under another name is admin), `system:authenticated` applied to
/// every mapped role, an `aws-auth` rolearn written with the role's path never matching, and a
/// negated `sub` read the right way round.
#[test]
fn live_rbac_roles_groups_paths_and_negated_trusts() {
    live_rbac_roles_groups_paths_and_negated_trusts_on(World::new("access-rbac"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn live_rbac_roles_groups_paths_and_negated_trusts_on_a_real_api_server() {
    live_rbac_roles_groups_paths_and_negated_trusts_on(World::real("access-rbac-real"));
}

fn live_rbac_roles_groups_paths_and_negated_trusts_on<K: KubeApi>(w: World<K>) {
    let acct = w.account.clone();
    let root = format!("{{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'AWS':'arn:aws:iam::{acct}:root'}},'Action':'sts:AssumeRole'}}]}}");
    w.boto3(&format!("iam.create_role(RoleName='ops', AssumeRolePolicyDocument=json.dumps({root}))\nprint('{{}}')"));
    w.boto3(&format!("iam.create_role(RoleName='dev', AssumeRolePolicyDocument=json.dumps({root}))\nprint('{{}}')"));
    w.boto3(&format!("iam.create_role(RoleName='pathed', Path='/team/', AssumeRolePolicyDocument=json.dumps({root}))\nprint('{{}}')"));
    w.boto3(&format!("iam.create_role(RoleName='everyone-but-blocked', AssumeRolePolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'Federated':'arn:aws:iam::{acct}:oidc-provider/{HOST}'}},'Action':'sts:AssumeRoleWithWebIdentity','Condition':{{'StringNotEquals':{{'{HOST}:sub':'system:serviceaccount:kube-system:blocked'}},'StringEquals':{{'{HOST}:aud':'sts.amazonaws.com'}}}}}}]}}))\nprint('{{}}')"));
    w.kube.seed_aws_auth(&format!(
        "- groups:\n  - ops\n  rolearn: arn:aws:iam::{acct}:role/ops\n  username: ops\n- groups:\n  - developers\n  rolearn: arn:aws:iam::{acct}:role/dev\n  username: dev\n- groups:\n  - system:masters\n  rolearn: arn:aws:iam::{acct}:role/team/pathed\n  username: pathed\n"
    ));
    let rbac = "/apis/rbac.authorization.k8s.io/v1";
    w.kube.create(
        &format!("{rbac}/clusterroles"),
        &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "superuser"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
    );
    let crb = |name: &str, role: &str, group: &str| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}]})
    };
    w.kube.create(
        &format!("{rbac}/clusterrolebindings"),
        &crb("ops-super", "superuser", "ops"),
    );
    w.kube.create(
        &format!("{rbac}/clusterrolebindings"),
        &crb("everyone-views", "view", "system:authenticated"),
    );
    let dir = w.write_stack("access-rbac", &[("main.hcl", &stack("aws_auth"))]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));

    let all = paths(&json_out(
        &w.eksfed(&["access", d, "--live", "--format", "json"]),
    ));
    let of = |role: &str| {
        all.iter()
            .find(|p| p["role"] == format!("arn:aws:iam::{acct}:role/{role}"))
            .unwrap_or_else(|| panic!("{role}: {all:?}"))
            .clone()
    };
    // superuser allows everything: cluster admin, whatever its name.
    let ops = of("ops");
    assert_eq!(ops["cluster_admin"], true, "{ops}");
    assert!(ops["grants"]
        .as_array()
        .unwrap()
        .contains(&json!({"kind": "ClusterRole", "name": "superuser", "namespaces": []})));
    // system:authenticated's binding reaches every mapped role.
    let dev = of("dev");
    assert_eq!(dev["cluster_admin"], false, "{dev}");
    assert!(
        dev["grants"]
            .as_array()
            .unwrap()
            .contains(&json!({"kind": "ClusterRole", "name": "view", "namespaces": []})),
        "{dev}"
    );
    // A rolearn with the role's path never matches: no mapping, and the path says why.
    let pathed = of("team/pathed");
    assert_eq!(pathed["cluster_admin"], false, "{pathed}");
    assert_eq!(pathed["groups"], json!([]), "{pathed}");
    assert!(
        pathed["notes"][0]
            .as_str()
            .unwrap()
            .contains("aws-iam-authenticator#268"),
        "{pathed}"
    );
    let admins = paths(&json_out(&w.eksfed(&[
        "access",
        d,
        "--live",
        "--format",
        "json",
        "--who-can",
        "cluster-admin",
    ])));
    let roles: Vec<&str> = admins.iter().filter_map(|p| p["role"].as_str()).collect();
    assert!(
        roles.contains(&format!("arn:aws:iam::{acct}:role/ops").as_str()),
        "{roles:?}"
    );
    assert!(!roles.iter().any(|r| r.ends_with("/pathed")), "{roles:?}");
    assert!(!roles.iter().any(|r| r.ends_with("/dev")), "{roles:?}");

    // "Every service account but kube-system:blocked": the blocked one is not admitted.
    let neg = of("everyone-but-blocked");
    assert_eq!(
        neg["identity"],
        "system:serviceaccount:*:* sub!=system:serviceaccount:kube-system:blocked"
    );
    let who = |sa: &str| {
        paths(&json_out(&w.eksfed(&[
            "access",
            d,
            "--live",
            "--format",
            "json",
            "--identity",
            sa,
        ])))
        .iter()
        .filter_map(|p| p["role"].as_str().map(String::from))
        .collect::<Vec<_>>()
    };
    let blocked = who("system:serviceaccount:kube-system:blocked");
    assert!(
        !blocked.iter().any(|r| r.ends_with("/everyone-but-blocked")),
        "{blocked:?}"
    );
    let web = who("system:serviceaccount:apps:web");
    assert!(
        web.iter().any(|r| r.ends_with("/everyone-but-blocked")),
        "{web:?}"
    );

    // The table says why on the path, under Notes.
    let t = w.eksfed(&["access", d, "--live"]);
    assert_eq!(code(&t), 0, "{}", text(&t));
    let table = String::from_utf8_lossy(&t.stdout).to_string();
    assert!(table.contains("\nNotes:\n"), "{table}");
    assert!(table.contains("pathed in prod: aws-auth maps"), "{table}");
}

#[test]
fn mermaid_output_parses_with_mermaid() {
    let checker = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mermaid");
    assert!(
        checker.join("node_modules/mermaid").exists(),
        "tests/mermaid/node_modules is missing: run `npm ci --prefix tests/mermaid` (tests/run.sh does)"
    );
    // The examples, and the stack of the live tests (a path to cluster admin, drawn red).
    let own = std::env::temp_dir().join(format!("eksfed-access-mermaid-{}", std::process::id()));
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join("main.hcl"), stack("both")).unwrap();
    let mut dirs: Vec<String> = [
        "saml-admins",
        "quickstart",
        "multi-team",
        "github-actions",
        "migration/2-both",
    ]
    .iter()
    .map(|e| example(e))
    .collect();
    dirs.push(own.display().to_string());
    for ex in &dirs {
        let o = offline(&["access", ex, "--format", "mermaid"]);
        assert_eq!(code(&o), 0, "{}", text(&o));
        let chart = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(chart.starts_with("flowchart LR\n"), "{chart}");
        let mut child = std::process::Command::new("node")
            .arg(checker.join("check.mjs"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("node");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(chart.as_bytes())
            .unwrap();
        let r = child.wait_with_output().unwrap();
        assert!(
            r.status.success(),
            "{ex}: mermaid rejects\n{chart}\n{}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(
            String::from_utf8_lossy(&r.stdout).contains("flowchart"),
            "{}",
            String::from_utf8_lossy(&r.stdout)
        );
    }
    // The checker does reject a broken chart (so passing means something).
    let mut child = std::process::Command::new("node")
        .arg(checker.join("check.mjs"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"flowchart LR\n  a[[[ -->\n")
        .unwrap();
    assert!(!child.wait().unwrap().success());
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
