//! End-to-end: the eksfed binary against moto (IAM/STS), the Kubernetes test server and the
//! EKS test server, read back with other clients (boto3, raw Kubernetes HTTP).
#![allow(clippy::unwrap_used)]

mod support;
use support::{text, KubeApi, World};

const QUICKSTART: &str = r#"
stack "qs" {}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
oidc_provider "demo" {
  url = cluster.demo.oidc_issuer_url
}
policy "reports_read" {
  name = "reports-read"
  statement {
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
  }
}
role "reader" {
  name = "reports-reader"
  trust_service_account {
    cluster   = cluster.demo
    namespace = "reports"
    names     = ["reader"]
  }
  policies = [policy.reports_read.arn]
  inline_policy "extra" {
    statement {
      actions   = ["sqs:SendMessage"]
      resources = ["arn:aws:sqs:us-east-1:111122223333:reports"]
    }
  }
}
service_account "reader" {
  cluster          = cluster.demo
  namespace        = "reports"
  name             = "reader"
  role             = role.reader
  create_namespace = true
}
"#;

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn quickstart_applies_reads_back_and_converges() {
    quickstart_applies_reads_back_and_converges_on(World::new("qs"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn quickstart_applies_reads_back_and_converges_on_a_real_api_server() {
    quickstart_applies_reads_back_and_converges_on(World::real("qs-real"));
}

fn quickstart_applies_reads_back_and_converges_on<K: KubeApi>(w: World<K>) {
    let dir = w.write_stack("qs", &[("main.hcl", QUICKSTART)]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "{}", text(&p));
    assert!(
        String::from_utf8_lossy(&p.stdout)
            .contains("Plan: 4 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{}",
        text(&p)
    );
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    // Read back with boto3: trust policy as the EKS guide writes it, attachments, inline policy, tag.
    let role = w.boto3("r = iam.get_role(RoleName='reports-reader')['Role']\nd = r['AssumeRolePolicyDocument']\nprint(json.dumps({'doc': d if isinstance(d, dict) else json.loads(d), 'tags': r.get('Tags', []), 'att': [p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName='reports-reader')['AttachedPolicies']], 'inline': iam.list_role_policies(RoleName='reports-reader')['PolicyNames']}))");
    let st = &role["doc"]["Statement"][0];
    let issuer = "oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB";
    assert_eq!(st["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        st["Principal"]["Federated"],
        format!("arn:aws:iam::{}:oidc-provider/{issuer}", w.account)
    );
    assert_eq!(
        st["Condition"]["StringEquals"][format!("{issuer}:sub")],
        "system:serviceaccount:reports:reader"
    );
    assert_eq!(
        role["att"],
        serde_json::json!([format!("arn:aws:iam::{}:policy/reports-read", w.account)])
    );
    assert_eq!(role["inline"], serde_json::json!(["extra"]));
    assert!(role["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["Key"] == "eksfed:stack" && t["Value"] == "qs"));
    // Read back the ServiceAccount with the Kubernetes API.
    let (c, sa) = w
        .kube
        .get_json("/api/v1/namespaces/reports/serviceaccounts/reader");
    assert_eq!(c, 200, "{sa}");
    assert_eq!(
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        format!("arn:aws:iam::{}:role/reports-reader", w.account)
    );
    assert_eq!(sa["metadata"]["labels"]["eksfed.io/stack"], "qs");
    // A second plan is empty.
    let p2 = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p2), 0, "{}", text(&p2));
    assert!(String::from_utf8_lossy(&p2.stdout).contains("No changes."));
}

#[test]
fn console_drift_is_repaired_and_saved_plans_go_stale() {
    console_drift_is_repaired_and_saved_plans_go_stale_on(World::new("drift"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn console_drift_is_repaired_and_saved_plans_go_stale_on_a_real_api_server() {
    console_drift_is_repaired_and_saved_plans_go_stale_on(World::real("drift-real"));
}

fn console_drift_is_repaired_and_saved_plans_go_stale_on<K: KubeApi>(w: World<K>) {
    let dir = w.write_stack("drift", &[("main.hcl", QUICKSTART)]);
    let d = dir.to_str().unwrap();
    assert_eq!(code(&w.eksfed(&["apply", d, "--auto-approve"])), 0);
    // Drift made in "the console": an extra attached policy and a widened trust policy.
    w.boto3("iam.attach_role_policy(RoleName='reports-reader', PolicyArn='arn:aws:iam::aws:policy/AdministratorAccess')\nd = iam.get_role(RoleName='reports-reader')['Role']['AssumeRolePolicyDocument']\nd = d if isinstance(d, dict) else json.loads(d)\nfor k in list(d['Statement'][0]['Condition']['StringEquals']):\n    if k.endswith(':sub'): del d['Statement'][0]['Condition']['StringEquals'][k]\niam.update_assume_role_policy(RoleName='reports-reader', PolicyDocument=json.dumps(d))\nprint('{}')");
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "{}", text(&p));
    let out = String::from_utf8_lossy(&p.stdout);
    assert!(
        out.contains("# role.reader will be updated in-place"),
        "{out}"
    );
    assert!(out.contains("AdministratorAccess"), "{out}");
    // Save a plan, then change the live object again: the saved plan is refused, nothing changes.
    let planfile = w.dir.join("plan.json");
    assert_eq!(
        code(&w.eksfed(&["plan", d, "--out", planfile.to_str().unwrap()])),
        0
    );
    w.boto3("iam.tag_role(RoleName='reports-reader', Tags=[{'Key': 'touched', 'Value': 'yes'}])\nprint('{}')");
    let stale = w.eksfed(&["apply", planfile.to_str().unwrap()]);
    assert_eq!(code(&stale), 1, "{}", text(&stale));
    assert!(
        String::from_utf8_lossy(&stale.stderr).contains("stale"),
        "{}",
        text(&stale)
    );
    let att = w.boto3("print(json.dumps([p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName='reports-reader')['AttachedPolicies']]))");
    assert!(
        att.to_string().contains("AdministratorAccess"),
        "a refused plan changed nothing"
    );
    // Apply repairs the drift; the next plan is empty.
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let att = w.boto3("print(json.dumps([p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName='reports-reader')['AttachedPolicies']]))");
    assert!(!att.to_string().contains("AdministratorAccess"), "{att}");
    let p2 = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p2), 0, "{}", text(&p2));
}

#[test]
fn removals_delete_destroy_deletes_all_foreign_objects_survive() {
    removals_delete_destroy_deletes_all_foreign_objects_survive_on(World::new("del"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn removals_delete_destroy_deletes_all_foreign_objects_survive_on_a_real_api_server() {
    removals_delete_destroy_deletes_all_foreign_objects_survive_on(World::real("del-real"));
}

fn removals_delete_destroy_deletes_all_foreign_objects_survive_on<K: KubeApi>(w: World<K>) {
    // Foreign objects: a role with no mark, and node-group entries in aws-auth.
    w.boto3("iam.create_role(RoleName='someone-elses', AssumeRolePolicyDocument=json.dumps({'Version':'2012-10-17','Statement':[{'Effect':'Allow','Principal':{'Service':'ec2.amazonaws.com'},'Action':'sts:AssumeRole'}]}))\nprint('{}')");
    let node_entries = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/eks-node-group\n  username: system:node:{{EC2PrivateDNSName}}\n";
    w.kube.seed_aws_auth(node_entries);
    let stack = format!(
        "{QUICKSTART}\nrole \"admins\" {{\n  name = \"admins\"\n  path = \"/people/\"\n  trust_aws {{ principals = [\"arn:aws:iam::ACCOUNT:root\"] }}\n}}\naccess \"admins\" {{\n  cluster  = cluster.demo\n  role     = role.admins\n  username = \"admin:{{{{SessionName}}}}\"\n  groups   = [\"platform:admins\"]\n}}\nrbac_binding \"admins\" {{\n  cluster      = cluster.demo\n  subjects     = [{{ kind = \"Group\", name = \"platform:admins\" }}]\n  cluster_role = \"view\"\n  namespaces   = [\"reports\"]\n  depends_on   = [service_account.reader]\n}}\n"
    );
    let dir = w.write_stack("del", &[("main.hcl", &stack)]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let cm = w.kube.aws_auth();
    let map_roles = cm["data"]["mapRoles"].as_str().unwrap().to_string();
    assert!(
        map_roles.contains(&format!("arn:aws:iam::{}:role/admins", w.account)),
        "path stripped: {map_roles}"
    );
    assert!(!map_roles.contains("role/people/admins"));
    assert!(
        map_roles.contains("rolearn: arn:aws:iam::111122223333:role/eks-node-group"),
        "{map_roles}"
    );
    let (c, _) = w.kube.get_json(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/reports/rolebindings/eksfed-admins",
    );
    assert_eq!(c, 200);
    assert_eq!(code(&w.eksfed(&["plan", d, "--detailed-exitcode"])), 0);
    // Remove the access and the binding from the config: they are deleted, nothing else is.
    let dir = w.write_stack("del", &[("main.hcl", QUICKSTART)]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d]);
    let out = String::from_utf8_lossy(&p.stdout).to_string();
    assert!(out.contains("will be deleted"), "{}", text(&p));
    assert!(
        !out.contains("someone-elses") && !out.contains("eks-node-group"),
        "{out}"
    );
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let (c, _) = w.kube.get_json(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/reports/rolebindings/eksfed-admins",
    );
    assert_eq!(c, 404);
    let cm = w.kube.aws_auth();
    let after = cm["data"]["mapRoles"].as_str().unwrap_or("").to_string();
    assert!(!after.contains("role/admins"), "{after}");
    assert!(
        after.contains(node_entries.trim_end()),
        "node-group entries survive byte for byte: {after:?}"
    );
    assert_eq!(code(&w.eksfed(&["plan", d, "--detailed-exitcode"])), 0);
    // destroy: everything the stack owns goes; the foreign role and node entries stay.
    let x = w.eksfed(&["destroy", d, "--auto-approve"]);
    assert_eq!(code(&x), 0, "{}", text(&x));
    assert!(
        String::from_utf8_lossy(&x.stdout).contains("Destroy complete! Resources: 0 added"),
        "{}",
        text(&x)
    );
    let roles = w.boto3("print(json.dumps([r['RoleName'] for r in iam.list_roles()['Roles']]))");
    assert!(roles.to_string().contains("someone-elses"));
    assert!(!roles.to_string().contains("reports-reader"), "{roles}");
    let pols = w.boto3("print(json.dumps([p['PolicyName'] for p in iam.list_policies(Scope='Local')['Policies']]))");
    assert!(!pols.to_string().contains("reports-read"), "{pols}");
    let (c, _) = w
        .kube
        .get_json("/api/v1/namespaces/reports/serviceaccounts/reader");
    assert_eq!(c, 404);
    let cm = w.kube.aws_auth();
    assert!(cm["data"]["mapRoles"]
        .as_str()
        .unwrap_or("")
        .contains("eks-node-group"));
}

#[test]
fn an_unowned_object_is_an_error_until_imported() {
    an_unowned_object_is_an_error_until_imported_on(World::new("imp"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn an_unowned_object_is_an_error_until_imported_on_a_real_api_server() {
    an_unowned_object_is_an_error_until_imported_on(World::real("imp-real"));
}

fn an_unowned_object_is_an_error_until_imported_on<K: KubeApi>(w: World<K>) {
    w.boto3("iam.create_role(RoleName='reports-reader', AssumeRolePolicyDocument=json.dumps({'Version':'2012-10-17','Statement':[{'Effect':'Allow','Principal':{'Service':'ec2.amazonaws.com'},'Action':'sts:AssumeRole'}]}))\nprint('{}')");
    let dir = w.write_stack("imp", &[("main.hcl", QUICKSTART)]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d]);
    assert_eq!(code(&p), 1, "{}", text(&p));
    let err = String::from_utf8_lossy(&p.stderr);
    assert!(
        err.contains("E0701") && err.contains("eksfed import role.reader reports-reader"),
        "{err}"
    );
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 1);
    let i = w.eksfed(&["import", d, "role.reader", "reports-reader"]);
    assert_eq!(code(&i), 0, "{}", text(&i));
    let p = w.eksfed(&["plan", d]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    assert!(
        String::from_utf8_lossy(&p.stdout).contains("# role.reader will be updated in-place"),
        "{}",
        text(&p)
    );
}

/// The DSL.md full stack: OIDC + SAML providers, policies (statements and a template), IRSA,
/// SAML, GitHub OIDC and cross-account roles, service accounts (IRSA and pod identity),
/// aws-auth access and RBAC. Applied, read back with other clients, planned again: empty.
#[test]
fn full_dsl_stack_applies_and_converges() {
    full_dsl_stack_applies_and_converges_on(World::new("full").with_eks(&[(
        "prod-eks",
        "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E",
    )]));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn full_dsl_stack_applies_and_converges_on_a_real_api_server() {
    full_dsl_stack_applies_and_converges_on(World::real("full-real").with_eks(&[(
        "prod-eks",
        "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E",
    )]));
}

fn full_dsl_stack_applies_and_converges_on<K: KubeApi>(w: World<K>) {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dsl_full");
    let read = |f: &str| {
        std::fs::read_to_string(src.join(f))
            .unwrap()
            .replace("111122223333", &w.account)
    };
    let (main, md, tmpl) = (
        read("main.hcl"),
        read("okta-metadata.xml"),
        read("queue-policy.json.j2"),
    );
    let dir = w.write_stack(
        "full",
        &[
            ("main.hcl", &main),
            ("okta-metadata.xml", &md),
            ("queue-policy.json.j2", &tmpl),
        ],
    );
    w.kube.create_namespace("reports");
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    assert!(
        String::from_utf8_lossy(&a.stdout).contains("Apply complete! Resources: 14 added"),
        "{}",
        text(&a)
    );
    // IAM, read with boto3
    let got = w.boto3(
        "out = {}\n\
         out['saml'] = [p['Arn'] for p in iam.list_saml_providers()['SAMLProviderList']]\n\
         out['saml_tags'] = iam.get_saml_provider(SAMLProviderArn=out['saml'][0]).get('Tags', [])\n\
         out['oidc'] = sorted(p['Arn'] for p in iam.list_open_id_connect_providers()['OpenIDConnectProviderList'])\n\
         out['roles'] = sorted(r['RoleName'] for r in iam.list_roles()['Roles'])\n\
         r = iam.get_role(RoleName='deploy')['Role']['AssumeRolePolicyDocument']\n\
         out['deploy'] = r if isinstance(r, dict) else json.loads(r)\n\
         out['pols'] = sorted(p['PolicyName'] for p in iam.list_policies(Scope='Local')['Policies'])\n\
         print(json.dumps(out))",
    );
    assert_eq!(
        got["saml"][0],
        format!("arn:aws:iam::{}:saml-provider/okta", w.account)
    );
    assert!(
        got["saml_tags"].to_string().contains("platform-prod"),
        "{got}"
    );
    assert_eq!(got["oidc"].as_array().unwrap().len(), 2);
    for r in [
        "app-payments",
        "app-search",
        "deploy",
        "platform_admins",
        "reports-reader",
    ] {
        assert!(got["roles"].to_string().contains(r), "{r}: {got}");
    }
    assert_eq!(
        got["pols"],
        serde_json::json!(["reports-read", "templated"])
    );
    assert_eq!(
        got["deploy"]["Statement"][0]["Condition"]["StringEquals"]
            ["token.actions.githubusercontent.com:sub"],
        "repo:acme/deploy:ref:refs/heads/main"
    );
    // Kubernetes
    let (c, sa) = w
        .kube
        .get_json("/api/v1/namespaces/reports/serviceaccounts/reader");
    assert_eq!(c, 200);
    assert_eq!(
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        format!("arn:aws:iam::{}:role/reports-reader", w.account)
    );
    let cm = w.kube.aws_auth();
    assert!(
        cm["data"]["mapRoles"]
            .as_str()
            .unwrap()
            .contains(&format!("arn:aws:iam::{}:role/platform_admins", w.account)),
        "{cm}"
    );
    let (c, _) = w.kube.get_json(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/reports/rolebindings/eksfed-admins",
    );
    assert_eq!(c, 200);
    // EKS pod identity
    let (_, assoc) = w.eks.as_ref().unwrap().get_json(
        "/clusters/prod-eks/pod-identity-associations?namespace=reports&serviceAccount=reader-pi",
    );
    assert_eq!(
        assoc["associations"].as_array().map(Vec::len),
        Some(1),
        "{assoc}"
    );
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
}

fn many_roles(n: usize) -> String {
    let mut s = String::from(QUICKSTART);
    s.push_str("locals {\n  apps = toset([");
    s.push_str(
        &(0..n)
            .map(|i| format!("\"app{i:02}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    s.push_str("])\n}\nrole \"app\" {\n  for_each = local.apps\n  name     = \"app-${each.key}\"\n  trust_service_account {\n    cluster   = cluster.demo\n    namespace = \"apps\"\n    names     = [each.key]\n  }\n  policies = [policy.reports_read.arn]\n}\nservice_account \"app\" {\n  for_each         = local.apps\n  cluster          = cluster.demo\n  namespace        = \"apps\"\n  name             = each.key\n  role             = role.app[each.key]\n  create_namespace = true\n}\n");
    s
}

/// An apply killed (SIGKILL) halfway, then run again, converges; its lock expires; nothing
/// foreign is touched.
#[test]
fn killed_apply_then_rerun_converges() {
    killed_apply_then_rerun_converges_on(World::new("kill"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn killed_apply_then_rerun_converges_on_a_real_api_server() {
    killed_apply_then_rerun_converges_on(World::real("kill-real"));
}

fn killed_apply_then_rerun_converges_on<K: KubeApi>(w: World<K>) {
    use std::io::BufRead;
    w.boto3("iam.create_role(RoleName='foreign', AssumeRolePolicyDocument=json.dumps({'Version':'2012-10-17','Statement':[{'Effect':'Allow','Principal':{'Service':'ec2.amazonaws.com'},'Action':'sts:AssumeRole'}]}))\nprint('{}')");
    let dir = w.write_stack("kill", &[("main.hcl", &many_roles(30))]);
    let d = dir.to_str().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(["apply", d, "--auto-approve", "--parallelism", "2"])
        .envs(w.envs())
        .env("EKSFED_LOCK_TTL_SECS", "2")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut done = 0;
    while let Some(Ok(l)) = lines.next() {
        if l.contains(": created") {
            done += 1;
            if done == 12 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(done, 12, "the apply was killed halfway");
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "work remains after the kill: {}", text(&p));
    // Re-run: the dead process's lock expires (2 s), the apply finishes the rest.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"));
    let a = cmd
        .args(["apply", d, "--auto-approve"])
        .envs(w.envs())
        .env("EKSFED_LOCK_TTL_SECS", "2")
        .output()
        .unwrap();
    assert_eq!(code(&a), 0, "{}", text(&a));
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let roles = w.boto3("print(json.dumps([r['RoleName'] for r in iam.list_roles()['Roles']]))");
    assert!(roles.to_string().contains("foreign"));
    let t = w.boto3("print(json.dumps(iam.list_role_tags(RoleName='foreign')['Tags']))");
    assert_eq!(t, serde_json::json!([]), "the foreign role was not marked");
}

/// Two applies of one stack at once: the second waits for the Lease, or fails clearly when it
/// may not wait; they never interleave.
#[test]
fn concurrent_applies_are_serialised_by_the_lease() {
    concurrent_applies_are_serialised_by_the_lease_on(World::new("lock"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn concurrent_applies_are_serialised_by_the_lease_on_a_real_api_server() {
    concurrent_applies_are_serialised_by_the_lease_on(World::real("lock-real"));
}

fn concurrent_applies_are_serialised_by_the_lease_on<K: KubeApi>(w: World<K>) {
    let dir = w.write_stack("lock", &[("main.hcl", &many_roles(20))]);
    let d = dir.to_str().unwrap().to_string();
    let envs = w.envs();
    let first = {
        let (d, envs) = (d.clone(), envs.clone());
        std::thread::spawn(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
                .args(["apply", &d, "--auto-approve", "--parallelism", "1"])
                .envs(envs)
                .output()
                .unwrap()
        })
    };
    // Wait until the first holds the lock.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while w
        .kube
        .get_json("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eksfed-lock-qs")
        .0
        != 200
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the first apply never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = w.eksfed(&["apply", &d, "--auto-approve", "--lock-timeout", "0s"]);
    assert_eq!(code(&second), 1, "{}", text(&second));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("is locked by"),
        "{}",
        text(&second)
    );
    let third = std::thread::spawn({
        let (d, envs) = (d.clone(), envs.clone());
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
                .args(["apply", &d, "--auto-approve", "--lock-timeout", "120s"])
                .envs(envs)
                .output()
                .unwrap()
        }
    });
    let first = first.join().unwrap();
    assert_eq!(code(&first), 0, "{}", text(&first));
    let third = third.join().unwrap();
    assert_eq!(
        code(&third),
        0,
        "the waiting apply proceeds after the first: {}",
        text(&third)
    );
    let (c, _) = w
        .kube
        .get_json("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eksfed-lock-qs");
    assert_eq!(c, 404, "the lock is released");
    assert_eq!(code(&w.eksfed(&["plan", &d, "--detailed-exitcode"])), 0);
}

/// Ctrl-C during apply: no new changes start, the ones in flight finish, the lock is released,
/// and the summary says what was and was not done. A re-run finishes the rest.
#[test]
fn interrupt_stops_cleanly_and_releases_the_lock() {
    interrupt_stops_cleanly_and_releases_the_lock_on(World::new("int"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn interrupt_stops_cleanly_and_releases_the_lock_on_a_real_api_server() {
    interrupt_stops_cleanly_and_releases_the_lock_on(World::real("int-real"));
}

fn interrupt_stops_cleanly_and_releases_the_lock_on<K: KubeApi>(w: World<K>) {
    use std::io::BufRead;
    let dir = w.write_stack("int", &[("main.hcl", &many_roles(30))]);
    let d = dir.to_str().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(["apply", d, "--auto-approve", "--parallelism", "1"])
        .envs(w.envs())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let mut created = 0;
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if line.contains(": created") {
            created += 1;
            if created == 8 {
                break;
            }
        }
        line.clear();
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let code_ = child.wait().unwrap().code();
    seen.push_str(&rest);
    assert_eq!(code_, Some(1), "{seen}");
    assert!(seen.contains("Apply incomplete"), "{seen}");
    assert!(seen.contains("not attempted"), "{seen}");
    let (c, _) = w
        .kube
        .get_json("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eksfed-lock-qs");
    assert_eq!(c, 404, "the lock is released on interrupt");
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    assert_eq!(code(&w.eksfed(&["plan", d, "--detailed-exitcode"])), 0);
}

/// Another client (say eksctl adding node groups) writes `aws-auth` thirty times, every few
/// milliseconds, while eksfed applies twelve entries to it: every write is a read-modify-write guarded by
/// resourceVersion (eksfed's own take turns), so when both are done every entry of both is
/// there, the node group's first among them.
#[test]
fn aws_auth_with_a_concurrent_writer_keeps_every_entry() {
    aws_auth_with_a_concurrent_writer_keeps_every_entry_on(World::new("race"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn aws_auth_with_a_concurrent_writer_keeps_every_entry_on_a_real_api_server() {
    aws_auth_with_a_concurrent_writer_keeps_every_entry_on(World::real("race-real"));
}

fn aws_auth_with_a_concurrent_writer_keeps_every_entry_on<K: KubeApi + Sync>(w: World<K>) {
    let node = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/eks-node-group\n  username: system:node:{{EC2PrivateDNSName}}\n";
    w.kube.seed_aws_auth(node);
    let teams: Vec<String> = (0..12).map(|i| format!("\"t{i:02}\"")).collect();
    let stack = format!(
        r#"
stack "race" {{}}
cluster "demo" {{
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}}
access "team" {{
  for_each = toset([{}])
  cluster  = cluster.demo
  role_arn = "arn:aws:iam::{}:role/${{each.key}}"
  username = "${{each.key}}:{{{{SessionName}}}}"
  groups   = ["team:${{each.key}}"]
}}
"#,
        teams.join(", "),
        w.account
    );
    let dir = w.write_stack("race", &[("main.hcl", &stack)]);
    let d = dir.to_str().unwrap().to_string();
    // The other client starts when eksfed's first entry lands (so the two overlap) and then
    // adds 30 entries, one every few milliseconds, retrying its own conflicts at once.
    const OTHERS: usize = 30;
    let kube = &w.kube;
    let (a, (written, conflicts)) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let path = "/api/v1/namespaces/kube-system/configmaps/aws-auth";
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while !kube.get_json(path).1["data"]["mapRoles"]
                .as_str()
                .unwrap_or("")
                .contains(":role/t")
            {
                assert!(
                    std::time::Instant::now() < deadline,
                    "eksfed never wrote aws-auth"
                );
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            let (mut written, mut conflicts) = (0usize, 0usize);
            while written < OTHERS {
                let (_, mut cm) = kube.get_json(path);
                let roles = cm["data"]["mapRoles"].as_str().unwrap_or("").to_string();
                cm["data"]["mapRoles"] = serde_json::Value::String(format!("{roles}- groups:\n  - other\n  rolearn: arn:aws:iam::111122223333:role/other-{written:03}\n  username: other-{written:03}\n"));
                let (c, b) =
                    kube.request("PUT", path, Some(&cm.to_string()));
                match c {
                    200 => {
                        written += 1;
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    409 => conflicts += 1,
                    _ => panic!("{c} {b}"),
                }
            }
            (written, conflicts)
        });
        let a = w.eksfed(&["apply", &d, "--auto-approve"]);
        (a, writer.join().unwrap())
    });
    assert_eq!(code(&a), 0, "{}", text(&a));
    eprintln!("the other writer wrote {written} entries and met {conflicts} conflicts");
    let cm = w.kube.aws_auth();
    let roles = cm["data"]["mapRoles"].as_str().unwrap();
    assert!(
        roles.starts_with(node),
        "the node group's entry first, byte for byte:\n{roles}"
    );
    for i in 0..written {
        assert!(
            roles.contains(&format!("role/other-{i:03}\n")),
            "other-{i:03} lost:\n{roles}"
        );
    }
    for i in 0..12 {
        assert!(
            roles.contains(&format!("arn:aws:iam::{}:role/t{i:02}", w.account)),
            "t{i:02} lost:\n{roles}"
        );
    }
    let p = w.eksfed(&["plan", &d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
}

/// A service account into a namespace that is not there, without `create_namespace`: the
/// plan warns (W0703, at the file and line of `namespace`) and still plans; once the
/// namespace exists the warning is gone and the apply succeeds.
#[test]
fn a_missing_namespace_is_warned_at_plan_time() {
    a_missing_namespace_is_warned_at_plan_time_on(World::new("nsw"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn a_missing_namespace_is_warned_at_plan_time_on_a_real_api_server() {
    a_missing_namespace_is_warned_at_plan_time_on(World::real("nsw-real"));
}

fn a_missing_namespace_is_warned_at_plan_time_on<K: KubeApi>(w: World<K>) {
    let stack = QUICKSTART.replace("  create_namespace = true\n", "");
    let dir = w.write_stack("nsw", &[("main.hcl", &stack)]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let err = String::from_utf8_lossy(&p.stderr).to_string();
    let line = stack
        .lines()
        .position(|l| l.contains("namespace        = \"reports\""))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("main.hcl:{line}:"))
            && err.contains("warning[W0703]: namespace `reports` does not exist in cluster `demo`"),
        "{err}"
    );
    w.kube.create_namespace("reports");
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    assert!(
        !String::from_utf8_lossy(&a.stderr).contains("W0703"),
        "{}",
        text(&a)
    );
}
