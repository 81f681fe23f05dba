//! End-to-end over moto and the Kubernetes test server: `existing = true` objects and
//! `import` blocks (DSL.md "Contract v1 additions"), read back with boto3 and the Kubernetes API.
#![allow(clippy::unwrap_used)]

mod support;
use support::{text, KubeApi, World};

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The line (1-based) of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

const NODE_ENTRIES: &str = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/eks-node-group\n  username: system:node:{{EC2PrivateDNSName}}\n";

const EXISTING: &str = r#"
stack "ex" {}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
oidc_provider "github" {
  url      = "https://token.actions.githubusercontent.com"
  existing = true
}
policy "shared" {
  name     = "shared-read"
  path     = "/platform/"
  existing = true
}
role "sso_admin" {
  name     = "AWSReservedSSO_Admin_0123456789abcdef"
  path     = "/aws-reserved/sso.amazonaws.com/"
  existing = true
}
role "deploy" {
  name = "deploy"
  trust_oidc {
    provider = oidc_provider.github
    conditions = {
      "token.actions.githubusercontent.com:sub" = ["repo:acme/app:ref:refs/heads/main"]
      "token.actions.githubusercontent.com:aud" = ["sts.amazonaws.com"]
    }
  }
  policies = [policy.shared.arn]
}
access "sso_admin" {
  cluster  = cluster.demo
  role     = role.sso_admin
  username = "sso-admin:{{SessionName}}"
  groups   = ["platform:admins"]
}
"#;

const SEED_EXISTING: &str = "iam.create_open_id_connect_provider(Url='https://token.actions.githubusercontent.com', ClientIDList=['sts.amazonaws.com'], ThumbprintList=['6938fd4d98bab03faadb97b34396831e3780aea1'])\niam.create_policy(PolicyName='shared-read', Path='/platform/', PolicyDocument=json.dumps({'Version':'2012-10-17','Statement':[{'Effect':'Allow','Action':'s3:GetObject','Resource':'*'}]}))\niam.create_role(RoleName='AWSReservedSSO_Admin_0123456789abcdef', Path='/aws-reserved/sso.amazonaws.com/', AssumeRolePolicyDocument=json.dumps({'Version':'2012-10-17','Statement':[{'Effect':'Allow','Principal':{'Service':'ec2.amazonaws.com'},'Action':'sts:AssumeRole'}]}))\nprint('{}')";

/// Tags of the three existing objects, and the SSO role's trust policy and attachments.
const READ_EXISTING: &str = "p = [x['Arn'] for x in iam.list_open_id_connect_providers()['OpenIDConnectProviderList']][0]\npol = [x for x in iam.list_policies(Scope='Local')['Policies'] if x['PolicyName'] == 'shared-read'][0]\nr = iam.get_role(RoleName='AWSReservedSSO_Admin_0123456789abcdef')['Role']\nprint(json.dumps({'provider': iam.get_open_id_connect_provider(OpenIDConnectProviderArn=p).get('Tags', []), 'policy': iam.list_policy_tags(PolicyArn=pol['Arn'])['Tags'], 'policy_version': pol['DefaultVersionId'], 'role': r.get('Tags', []), 'role_trust': r['AssumeRolePolicyDocument'], 'role_att': iam.list_attached_role_policies(RoleName=r['RoleName'])['AttachedPolicies']}))";

#[test]
fn existing_objects_are_referenced_and_never_changed() {
    existing_objects_are_referenced_and_never_changed_on(World::new("existing"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn existing_objects_are_referenced_and_never_changed_on_a_real_api_server() {
    existing_objects_are_referenced_and_never_changed_on(World::real("existing-real"));
}

fn existing_objects_are_referenced_and_never_changed_on<K: KubeApi>(w: World<K>) {
    w.boto3(SEED_EXISTING);
    w.kube.seed_aws_auth(NODE_ENTRIES);
    let before = w.boto3(READ_EXISTING);
    let dir = w.write_stack("existing", &[("main.hcl", EXISTING)]);
    let d = dir.to_str().unwrap();
    assert_eq!(code(&w.eksfed(&["validate", d])), 0);
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "{}", text(&p));
    let out = stdout(&p);
    assert!(
        out.contains("Plan: 2 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{out}"
    );
    assert!(
        !out.contains("oidc_provider.github") && !out.contains("role.sso_admin "),
        "{out}"
    );
    // A saved plan: the existing objects it read are checked for staleness, and unchanged.
    let planfile = w.dir.join("existing.plan.json");
    let p = w.eksfed(&["plan", d, "--out", planfile.to_str().unwrap()]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&planfile).unwrap()).unwrap();
    assert!(
        saved["read"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.contains("AWSReservedSSO_Admin_0123456789abcdef")),
        "{saved}"
    );
    let a = w.eksfed(&["apply", planfile.to_str().unwrap()]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    // The owned role references the existing provider and policy by ARN.
    let deploy = w.boto3("r = iam.get_role(RoleName='deploy')['Role']\nd = r['AssumeRolePolicyDocument']\nprint(json.dumps({'doc': d if isinstance(d, dict) else json.loads(d), 'att': [p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName='deploy')['AttachedPolicies']]}))");
    assert_eq!(
        deploy["doc"]["Statement"][0]["Principal"]["Federated"],
        format!(
            "arn:aws:iam::{}:oidc-provider/token.actions.githubusercontent.com",
            w.account
        )
    );
    assert_eq!(
        deploy["att"],
        serde_json::json!([format!(
            "arn:aws:iam::{}:policy/platform/shared-read",
            w.account
        )])
    );
    // The existing role is mapped by its ARN (path stripped, as aws-auth needs).
    let map_roles = w.kube.aws_auth()["data"]["mapRoles"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        map_roles.contains(&format!(
            "arn:aws:iam::{}:role/AWSReservedSSO_Admin_0123456789abcdef",
            w.account
        )),
        "{map_roles}"
    );
    assert!(map_roles.starts_with(NODE_ENTRIES), "{map_roles:?}");
    // The existing objects: not tagged, not changed.
    let after = w.boto3(READ_EXISTING);
    assert_eq!(before, after);
    assert_eq!(after["role"], serde_json::json!([]), "{after}");
    assert_eq!(after["provider"], serde_json::json!([]), "{after}");
    assert_eq!(after["policy"], serde_json::json!([]), "{after}");
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    assert!(stdout(&p).contains("No changes."), "{}", text(&p));
    // Destroy removes what the stack made; the existing objects stay as they were.
    let x = w.eksfed(&["destroy", d, "--auto-approve"]);
    assert_eq!(code(&x), 0, "{}", text(&x));
    assert_eq!(w.boto3(READ_EXISTING), before);
}

#[test]
fn a_missing_existing_object_is_an_error_at_its_block() {
    let w = World::new("existing-missing");
    let dir = w.write_stack("existing-missing", &[("main.hcl", EXISTING)]);
    let d = dir.to_str().unwrap();
    // validate needs no network and no object.
    let v = w.eksfed(&["validate", d]);
    assert_eq!(code(&v), 0, "{}", text(&v));
    let p = w.eksfed(&["plan", d]);
    assert_eq!(code(&p), 1, "{}", text(&p));
    let err = stderr(&p);
    for (block, what) in [
        ("oidc_provider \"github\"", "oidc_provider.github"),
        ("policy \"shared\"", "policy.shared"),
        ("role \"sso_admin\"", "role.sso_admin"),
    ] {
        let at = format!("main.hcl:{}:1: error[E0704]", line_of(EXISTING, block));
        assert!(err.contains(&at), "{at} in {err}");
        assert!(
            err.contains(&format!("`{what}` is `existing = true`")),
            "{err}"
        );
    }
    // `eksfed import` refuses an existing object: it is never owned.
    let i = w.eksfed(&[
        "import",
        d,
        "role.sso_admin",
        "AWSReservedSSO_Admin_0123456789abcdef",
    ]);
    assert_eq!(code(&i), 1, "{}", text(&i));
    assert!(
        stderr(&i).contains("`role.sso_admin` is `existing = true`"),
        "{}",
        text(&i)
    );
    // Nothing was created.
    let roles = w.boto3("print(json.dumps([r['RoleName'] for r in iam.list_roles()['Roles']]))");
    assert_eq!(roles, serde_json::json!([]));
}

/// The stack the imports adopt into. `seed` made the IAM roles (then their mark was taken
/// off, as if another tool had made them); the Kubernetes objects are made directly.
const ADOPT: &str = r#"
stack "main" {}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
role "payments_api" {
  name = "payments-api"
  trust_service_account {
    cluster   = cluster.demo
    namespace = "payments"
    names     = ["api"]
  }
}
role "admins" {
  name        = "admins"
  description = "DESCRIPTION"
  trust_aws {
    principals = ["arn:aws:iam::ACCOUNT:root"]
  }
}
service_account "payments_api" {
  cluster   = cluster.demo
  namespace = "payments"
  name      = "api"
  role      = role.payments_api
}
access "admins" {
  cluster  = cluster.demo
  role     = role.admins
  username = "admin"
  groups   = ["platform:admins"]
}
rbac_binding "admins" {
  cluster      = cluster.demo
  subjects     = [{ kind = "Group", name = "platform:admins" }]
  cluster_role = "view"
}
"#;

const IMPORTS: &str = r#"
import {
  to = role.payments_api
  id = "payments-api"
}
import {
  to = role.admins
  id = "admins"
}
import {
  to = service_account.payments_api
  id = "payments/api"
}
import {
  to = access.admins
  id = "arn:aws:iam::ACCOUNT:role/admins"
}
import {
  to = rbac_binding.admins
  id = "eksfed-admins"
}
"#;

/// Unmarked objects as other tools leave them; returns the aws-auth `mapRoles` seeded.
fn seed_unmarked<K: KubeApi>(w: &World<K>) -> String {
    let seed = ADOPT
        .replace("stack \"main\"", "stack \"seed\"")
        .replace("DESCRIPTION", "people with admin access");
    let seed = seed
        .split("service_account \"payments_api\"")
        .next()
        .unwrap();
    let dir = w.write_stack("seed", &[("main.hcl", seed)]);
    let a = w.eksfed(&["apply", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    w.boto3("for n in ['payments-api', 'admins']:\n    iam.untag_role(RoleName=n, TagKeys=['eksfed:stack'])\nprint('{}')");
    let map_roles = format!(
        "{NODE_ENTRIES}- rolearn: arn:aws:iam::{}:role/admins\n  username: admin\n  groups:\n  - platform:admins\n",
        w.account
    );
    w.kube.seed_aws_auth(&map_roles);
    w.kube.create_namespace("payments");
    w.kube.create(
        "/api/v1/namespaces/payments/serviceaccounts",
        &serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "api", "namespace": "payments", "labels": {"team": "payments"}, "annotations": {"eks.amazonaws.com/role-arn": format!("arn:aws:iam::{}:role/payments-api", w.account)}}}),
    );
    w.kube.create(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        &serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "eksfed-admins"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "Group", "name": "platform:admins", "apiGroup": "rbac.authorization.k8s.io"}]}),
    );
    map_roles
}

fn role_tags<K>(w: &World<K>, name: &str) -> serde_json::Value {
    w.boto3(&format!(
        "r = iam.get_role(RoleName='{name}')['Role']\nprint(json.dumps({{'tags': r.get('Tags', []), 'description': r.get('Description', '')}}))"
    ))
}

#[test]
fn import_blocks_adopt_unmarked_objects_and_the_next_plan_is_empty() {
    import_blocks_adopt(World::new("import"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn import_blocks_adopt_unmarked_objects_on_a_real_api_server() {
    import_blocks_adopt(World::real("import-real"));
}

fn import_blocks_adopt<K: KubeApi>(w: World<K>) {
    w.boto3("iam.create_role(RoleName='someone-elses', AssumeRolePolicyDocument=json.dumps({'Version':'2012-10-17','Statement':[{'Effect':'Allow','Principal':{'Service':'ec2.amazonaws.com'},'Action':'sts:AssumeRole'}]}))\nprint('{}')");
    let seeded = seed_unmarked(&w);
    // Without import blocks the unmarked objects are refused.
    let stack = ADOPT.replace("DESCRIPTION", "people with admin access");
    let dir = w.write_stack("main", &[("main.hcl", &stack)]);
    let p = w.eksfed(&["plan", dir.to_str().unwrap()]);
    assert_eq!(code(&p), 1, "{}", text(&p));
    assert!(stderr(&p).contains("E0701"), "{}", text(&p));
    // With them: five imports, the admins role also updated (its description differs).
    let stack = format!(
        "{}{IMPORTS}",
        ADOPT.replace("DESCRIPTION", "platform administrators")
    );
    let dir = w.write_stack("main", &[("main.hcl", &stack)]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "{}", text(&p));
    let out = stdout(&p);
    for a in [
        "role.payments_api",
        "service_account.payments_api",
        "access.admins",
        "rbac_binding.admins",
    ] {
        assert!(out.contains(&format!("# {a} will be imported\n")), "{out}");
    }
    assert!(
        out.contains("# role.admins will be imported and updated in-place"),
        "{out}"
    );
    assert!(
        out.contains("Plan: 5 to import, 0 to add, 1 to change, 0 to replace, 0 to destroy."),
        "{out}"
    );
    let j = w.eksfed(&["plan", d, "--format", "json"]);
    assert_eq!(code(&j), 0, "{}", text(&j));
    let plan: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let change = |a: &str| {
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == a)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        change("role.payments_api")["importing"],
        serde_json::json!({"id": "payments-api"})
    );
    assert_eq!(change("role.payments_api")["action"], "no-op");
    assert_eq!(change("role.admins")["action"], "update");
    assert_eq!(
        change("role.admins")["importing"],
        serde_json::json!({"id": "admins"})
    );
    assert_eq!(
        change("rbac_binding.admins")["importing"]["id"],
        "eksfed-admins"
    );
    let md = w.eksfed(&["plan", d, "--format", "markdown"]);
    let md = stdout(&md);
    assert!(md.contains("5 to import"), "{md}");
    assert!(
        md.contains("| `role.payments_api` | import | imports `payments-api` |"),
        "{md}"
    );

    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    assert!(
        stdout(&a).contains("Resources: 5 imported, 0 added, 1 changed"),
        "{}",
        text(&a)
    );
    // Every imported object carries the mark; the update was made.
    let mark = serde_json::json!({"Key": "eksfed:stack", "Value": "main"});
    let pay = role_tags(&w, "payments-api");
    assert!(pay["tags"].as_array().unwrap().contains(&mark), "{pay}");
    let adm = role_tags(&w, "admins");
    assert!(adm["tags"].as_array().unwrap().contains(&mark), "{adm}");
    assert_eq!(adm["description"], "platform administrators");
    let (_, sa) = w
        .kube
        .get_json("/api/v1/namespaces/payments/serviceaccounts/api");
    assert_eq!(sa["metadata"]["labels"]["eksfed.io/stack"], "main", "{sa}");
    assert_eq!(sa["metadata"]["labels"]["team"], "payments", "{sa}");
    let (_, crb) = w
        .kube
        .get_json("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/eksfed-admins");
    assert_eq!(
        crb["metadata"]["labels"]["eksfed.io/stack"], "main",
        "{crb}"
    );
    let cm = w.kube.aws_auth();
    let owned = cm["metadata"]["annotations"]["eksfed.io/aws-auth.main"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(owned.contains("role/admins"), "{cm}");
    // Foreign objects untouched: the node entries byte for byte, the other role unmarked.
    assert_eq!(cm["data"]["mapRoles"].as_str().unwrap(), seeded);
    assert_eq!(
        role_tags(&w, "someone-elses")["tags"],
        serde_json::json!([])
    );
    // The import blocks stay; the objects are now this stack's: nothing to do.
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    assert!(stdout(&p).contains("No changes."), "{}", text(&p));
}

#[test]
fn importing_a_foreign_or_missing_object_is_an_error_at_the_block() {
    importing_a_foreign_or_missing_object_is_an_error_at_the_block_on(World::new("import-err"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn importing_a_foreign_or_missing_object_is_an_error_at_the_block_on_a_real_api_server() {
    importing_a_foreign_or_missing_object_is_an_error_at_the_block_on(World::real(
        "import-err-real",
    ));
}

fn importing_a_foreign_or_missing_object_is_an_error_at_the_block_on<K: KubeApi>(w: World<K>) {
    let other = r#"
stack "other" {}
role "theirs" {
  name = "theirs"
  trust_aws {
    principals = ["arn:aws:iam::ACCOUNT:root"]
  }
}
"#;
    let dir = w.write_stack("other", &[("main.hcl", other)]);
    let a = w.eksfed(&["apply", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let stack = r#"
stack "main" {}
role "theirs" {
  name = "theirs"
  trust_aws {
    principals = ["arn:aws:iam::ACCOUNT:root"]
  }
}
role "ghost" {
  name = "ghost"
  trust_aws {
    principals = ["arn:aws:iam::ACCOUNT:root"]
  }
}
import {
  to = role.theirs
  id = "theirs"
}
import {
  to = role.ghost
  id = "ghost"
}
"#;
    let dir = w.write_stack("main", &[("main.hcl", stack)]);
    let d = dir.to_str().unwrap();
    assert_eq!(code(&w.eksfed(&["validate", d])), 0);
    let p = w.eksfed(&["plan", d]);
    assert_eq!(code(&p), 1, "{}", text(&p));
    let err = stderr(&p);
    let first = line_of(stack, "to = role.theirs") - 1;
    let second = line_of(stack, "to = role.ghost") - 1;
    assert!(
        err.contains(&format!("main.hcl:{first}:1: error[E0706]"))
            && err.contains("owned by the stack `other`"),
        "{err}"
    );
    assert!(
        err.contains(&format!("main.hcl:{second}:1: error[E0705]"))
            && err.contains("does not exist"),
        "{err}"
    );
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 1, "{}", text(&a));
    // The other stack's role keeps its mark; nothing was created.
    let theirs = role_tags(&w, "theirs");
    assert!(
        theirs["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"Key": "eksfed:stack", "Value": "other"})),
        "{theirs}"
    );
    let roles = w.boto3("print(json.dumps([r['RoleName'] for r in iam.list_roles()['Roles']]))");
    assert_eq!(roles, serde_json::json!(["theirs"]));
}

const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB";

/// Access-entry mode and pod identity: an access entry, a pod identity association and
/// their roles.
fn entries_stack(name: &str) -> String {
    format!(
        r#"
stack "{name}" {{}}
cluster "prod" {{
  name            = "prod"
  oidc_issuer_url = "{ISSUER}"
  kube_context    = "prod"
  access_mode     = "access_entries"
}}
role "admins" {{
  name = "platform-admins"
  trust_aws {{ principals = ["arn:aws:iam::ACCOUNT:root"] }}
}}
access "admins" {{
  cluster  = cluster.prod
  role     = role.admins
  username = "admin:{{{{SessionName}}}}"
  groups   = ["platform:admins"]
  access_policies = [{{ policy = "AmazonEKSViewPolicy", scope = "namespace", namespaces = ["apps"] }}]
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

#[test]
fn import_blocks_adopt_access_entries_and_pod_identity_associations() {
    import_blocks_adopt_access_entries_and_pod_identity_associations_on(
        World::new("import-eks").with_eks(&[("prod", ISSUER)]),
    );
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn import_blocks_adopt_access_entries_and_pod_identity_associations_on_a_real_api_server() {
    import_blocks_adopt_access_entries_and_pod_identity_associations_on(
        World::real("import-eks-real").with_eks(&[("prod", ISSUER)]),
    );
}

fn import_blocks_adopt_access_entries_and_pod_identity_associations_on<K: KubeApi>(w: World<K>) {
    let eks = w.eks.as_ref().unwrap();
    // Made by another tool: eksfed under a throwaway stack, then every mark taken off.
    let dir = w.write_stack("seed", &[("main.hcl", &entries_stack("seed"))]);
    let a = w.eksfed(&["apply", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    w.boto3("for n in ['platform-admins', 'app']:\n    iam.untag_role(RoleName=n, TagKeys=['eksfed:stack'])\nprint('{}')");
    let principal = format!("arn:aws:iam::{}:role/platform-admins", w.account);
    let entry_path = format!("/clusters/prod/access-entries/{}", urlencode(&principal));
    let entry_arn = eks.get_json(&entry_path).1["accessEntry"]["accessEntryArn"]
        .as_str()
        .unwrap()
        .to_string();
    let assoc_path = "/clusters/prod/pod-identity-associations?namespace=apps&serviceAccount=app";
    let assoc_id = eks.get_json(assoc_path).1["associations"][0]["associationId"]
        .as_str()
        .unwrap()
        .to_string();
    let assoc_one = format!("/clusters/prod/pod-identity-associations/{assoc_id}");
    let assoc_arn = eks.get_json(&assoc_one).1["association"]["associationArn"]
        .as_str()
        .unwrap()
        .to_string();
    for arn in [&entry_arn, &assoc_arn] {
        let (c, b) = eks.http(
            "DELETE",
            &format!("/tags/{}?tagKeys=eksfed%3Astack", urlencode(arn)),
            None,
            "application/json",
        );
        assert!(c < 300, "{c} {b}");
    }
    let (c, b) = w.kube.request(
        "PATCH",
        "/api/v1/namespaces/apps/serviceaccounts/app",
        Some(r#"{"metadata":{"labels":{"eksfed.io/stack":null,"app.kubernetes.io/managed-by":null}}}"#),
    );
    assert_eq!(c, 200, "{b}");
    assert!(eks.get_json(&entry_path).1["accessEntry"]["tags"]
        .get("eksfed:stack")
        .is_none());

    let imports = r#"
import {
  to = role.admins
  id = "platform-admins"
}
import {
  to = role.app
  id = "app"
}
import {
  to = access.admins
  id = "arn:aws:iam::ACCOUNT:role/platform-admins"
}
import {
  to = service_account.app
  id = "apps/app"
}
"#;
    let stack = format!("{}{imports}", entries_stack("main"));
    let dir = w.write_stack("main", &[("main.hcl", &stack)]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "{}", text(&p));
    let out = stdout(&p);
    assert!(
        out.contains("Plan: 4 to import, 0 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{out}"
    );
    assert!(out.contains("# access.admins will be imported\n"), "{out}");
    assert!(
        out.contains("# service_account.app will be imported\n"),
        "{out}"
    );
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let entry = eks.get_json(&entry_path).1;
    assert_eq!(
        entry["accessEntry"]["tags"]["eksfed:stack"], "main",
        "{entry}"
    );
    let assoc = eks.get_json(&assoc_one).1;
    assert_eq!(
        assoc["association"]["tags"]["eksfed:stack"], "main",
        "{assoc}"
    );
    let (_, sa) = w
        .kube
        .get_json("/api/v1/namespaces/apps/serviceaccounts/app");
    assert_eq!(sa["metadata"]["labels"]["eksfed.io/stack"], "main", "{sa}");
    let mark = serde_json::json!({"Key": "eksfed:stack", "Value": "main"});
    for r in ["platform-admins", "app"] {
        let t = role_tags(&w, r);
        assert!(t["tags"].as_array().unwrap().contains(&mark), "{r}: {t}");
    }
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    assert!(stdout(&p).contains("No changes."), "{}", text(&p));
}

/// An IAM-only stack of `n` roles made with `for_each`, named `NAME-appNNNNN`.
fn roles_stack(stack: &str, name: &str, n: usize) -> String {
    let apps: String = (0..n).map(|i| format!("\"app{i:05}\", ")).collect();
    format!(
        "stack \"{stack}\" {{}}\nrole \"app\" {{\n  for_each = toset([{apps}])\n  name     = \"{name}-${{each.key}}\"\n  tags     = {{ team = \"t\" }}\n  trust_aws {{\n    principals = [\"arn:aws:iam::ACCOUNT:root\"]\n  }}\n}}\n"
    )
}

/// What adopting N roles with `import` blocks costs, counted at the endpoint (a proxy's
/// log): the plan reads IAM in bulk, so its requests do not grow with N; apply makes at
/// most two per role (GetRole to check ownership, TagRole for the mark).
#[test]
fn importing_many_roles_costs_bulk_reads_and_two_requests_per_role() {
    let w = World::new("import-count");
    let proxy = support::Server::start("faults", &["--upstream", &support::moto::moto().endpoint]);
    let via_proxy = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
            .args(args)
            .envs(w.envs())
            .env("AWS_ENDPOINT_URL", proxy.url())
            .output()
            .unwrap()
    };
    let requests = || {
        let n = proxy
            .get_json("/__fault/log")
            .1
            .as_array()
            .map_or(0, Vec::len);
        proxy.http("POST", "/__fault/reset", None, "application/json");
        n
    };
    let mut counts = vec![];
    for n in [20usize, 200] {
        let name = format!("n{n}");
        let seed = w.write_stack(
            &format!("seed{n}"),
            &[("main.hcl", &roles_stack("seed", &name, n))],
        );
        let a = w.eksfed(&["apply", seed.to_str().unwrap(), "--auto-approve", "--quiet"]);
        assert_eq!(code(&a), 0, "{}", text(&a));
        w.boto3(&format!("for i in range({n}):\n    iam.untag_role(RoleName='{name}-app%05d' % i, TagKeys=['eksfed:stack'])\nprint('{{}}')"));
        let imports: String = (0..n)
            .map(|i| {
                format!(
                    "import {{\n  to = role.app[\"app{i:05}\"]\n  id = \"{name}-app{i:05}\"\n}}\n"
                )
            })
            .collect();
        let main = format!("{}{imports}", roles_stack(&format!("main{n}"), &name, n));
        let dir = w.write_stack(&format!("main{n}"), &[("main.hcl", &main)]);
        let d = dir.to_str().unwrap();
        requests();
        let p = via_proxy(&["plan", d, "--detailed-exitcode"]);
        assert_eq!(code(&p), 2, "{}", text(&p));
        assert!(
            stdout(&p).contains(&format!("Plan: {n} to import, 0 to add, 0 to change")),
            "{}",
            text(&p)
        );
        let plan_requests = requests();
        let a = via_proxy(&["apply", d, "--auto-approve", "--quiet"]);
        assert_eq!(code(&a), 0, "{}", text(&a));
        let apply_requests = requests();
        let p = via_proxy(&["plan", d, "--detailed-exitcode"]);
        assert_eq!(code(&p), 0, "{}", text(&p));
        counts.push((n, plan_requests, apply_requests));
    }
    eprintln!("import requests (roles, plan, apply): {counts:?}");
    let ((_, plan20, apply20), (_, plan200, apply200)) = (counts[0], counts[1]);
    assert_eq!(plan20, plan200, "plan requests do not grow with imports");
    assert!(plan200 <= 12, "{plan200}");
    assert!(
        apply200 - apply20 <= 2 * 180,
        "at most two requests per imported role: {counts:?}"
    );
    assert!(
        apply200 - apply20 >= 180,
        "every role is marked: {counts:?}"
    );
}
