//! `eksfed generate` end to end (DSL.md "Generating a stack from what is live"): an account and
//! cluster seeded the way eksctl and Terraform leave them (boto3 through moto, the Kubernetes
//! API), generate → validate → fmt --check → plan (only imports, all no-op) → apply (every
//! generated object marked, foreign entries byte for byte intact) → the next plan is empty.
#![allow(clippy::unwrap_used)]

mod support;
use support::{text, KubeApi, World};

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Seeds IAM and EKS (moto) as eksctl and Terraform leave them; returns the issuer host.
fn seed_aws<K>(w: &World<K>) -> String {
    let moto = support::moto::moto();
    let out = w.boto3(&format!(r#"
eks = boto3.client('eks', endpoint_url='{endpoint}', region_name='us-east-1', aws_access_key_id='t', aws_secret_access_key='t')
eks.meta.events.register('before-sign.*.*', lambda request, **kw: request.headers.__setitem__('x-moto-account-id', '{acct}'))
eks.create_cluster(name='prod', roleArn='arn:aws:iam::{acct}:role/eksClusterRole', resourcesVpcConfig={{}})
issuer = eks.describe_cluster(name='prod')['cluster']['identity']['oidc']['issuer']
host = issuer.replace('https://', '')
acct = '{acct}'
iam.create_open_id_connect_provider(Url=issuer, ClientIDList=['sts.amazonaws.com'], ThumbprintList=['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'], Tags=[{{'Key': 'alpha.eksctl.io/cluster-name', 'Value': 'prod'}}])
prov = f'arn:aws:iam::{{acct}}:oidc-provider/{{host}}'
def irsa(subs, op='StringEquals'):
    c = {{'StringEquals': {{host + ':aud': 'sts.amazonaws.com'}}}}
    c.setdefault(op, {{}})[host + ':sub'] = subs
    return json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Federated': prov}}, 'Action': 'sts:AssumeRoleWithWebIdentity', 'Condition': c}}]}})
lbc = {{'Version': '2012-10-17', 'Statement': [
  {{'Effect': 'Allow', 'Action': ['iam:CreateServiceLinkedRole'], 'Resource': '*', 'Condition': {{'StringEquals': {{'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com'}}}}}},
  {{'Effect': 'Allow', 'Action': ['ec2:DescribeAccountAttributes', 'elasticloadbalancing:DescribeLoadBalancers'], 'Resource': '*'}},
  {{'Effect': 'Allow', 'Action': ['ec2:CreateTags'], 'Resource': 'arn:aws:ec2:*:*:security-group/*', 'Condition': {{'StringEquals': {{'ec2:CreateAction': 'CreateSecurityGroup'}}, 'Null': {{'aws:RequestTag/elbv2.k8s.aws/cluster': 'false'}}}}}}]}}
pol = iam.create_policy(PolicyName='AWSLoadBalancerControllerIAMPolicy', PolicyDocument=json.dumps(lbc))['Policy']['Arn']
lbc_role = 'eksctl-prod-addon-iamserviceaccount-kube-sy-Role1-1A2B3C4D5E6F'
iam.create_role(RoleName=lbc_role, AssumeRolePolicyDocument=irsa('system:serviceaccount:kube-system:aws-load-balancer-controller'),
  Tags=[{{'Key': 'alpha.eksctl.io/cluster-name', 'Value': 'prod'}}, {{'Key': 'alpha.eksctl.io/iamserviceaccount-name', 'Value': 'kube-system/aws-load-balancer-controller'}}])
iam.attach_role_policy(RoleName=lbc_role, PolicyArn=pol)
tf = 'payments-api-20240101120000123400000001'
iam.create_role(RoleName=tf, Path='/apps/', AssumeRolePolicyDocument=irsa(['system:serviceaccount:payments:api', 'system:serviceaccount:payments:worker']), Tags=[{{'Key': 'team', 'Value': 'payments'}}])
iam.attach_role_policy(RoleName=tf, PolicyArn='arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess')
iam.put_role_policy(RoleName=tf, PolicyName='own-prefix', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Sid': 'Own', 'Effect': 'Allow', 'Action': 's3:PutObject', 'Resource': 'arn:aws:s3:::payments/${{aws:username}}/*'}}]}}))
iam.create_role(RoleName='ci-runners', AssumeRolePolicyDocument=irsa('system:serviceaccount:ci:runner-*', 'StringLike'))
ec2 = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'ec2.amazonaws.com'}}, 'Action': 'sts:AssumeRole'}}]}})
iam.create_role(RoleName='eksctl-prod-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456', AssumeRolePolicyDocument=ec2)
root = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'AWS': f'arn:aws:iam::{{acct}}:root'}}, 'Action': 'sts:AssumeRole'}},
  {{'Effect': 'Deny', 'Principal': {{'AWS': '*'}}, 'Action': 'sts:AssumeRole', 'Condition': {{'BoolIfExists': {{'aws:MultiFactorAuthPresent': 'false'}}}}}}]}})
iam.create_role(RoleName='platform-admins', AssumeRolePolicyDocument=root)
iam.attach_role_policy(RoleName='platform-admins', PolicyArn='arn:aws:iam::aws:policy/ReadOnlyAccess')
iam.create_role(RoleName='unrelated', AssumeRolePolicyDocument=ec2)
print(json.dumps(host))
"#, endpoint = moto.endpoint, acct = w.account));
    out.as_str().unwrap().to_string()
}

const NODE_ENTRY: &str = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::ACCOUNT:role/eksctl-prod-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456\n  username: system:node:{{EC2PrivateDNSName}}\n";
const ADMIN_ENTRY: &str = "- rolearn: arn:aws:iam::ACCOUNT:role/platform-admins\n  username: admin:{{SessionName}}\n  groups:\n    - platform:admins\n";

fn seed_kube<K: KubeApi>(w: &World<K>) -> String {
    let k = &w.kube;
    for ns in ["kube-system", "payments", "ci"] {
        let _ = k.request(
            "POST",
            "/api/v1/namespaces",
            Some(&serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).to_string()),
        );
    }
    let sa = |ns: &str, name: &str, arn: String| {
        serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns,
            "labels": {"app.kubernetes.io/managed-by": "eksctl"},
            "annotations": {"eks.amazonaws.com/role-arn": arn}}})
    };
    k.create(
        "/api/v1/namespaces/kube-system/serviceaccounts",
        &sa("kube-system", "aws-load-balancer-controller", format!("arn:aws:iam::{}:role/eksctl-prod-addon-iamserviceaccount-kube-sy-Role1-1A2B3C4D5E6F", w.account)),
    );
    k.create(
        "/api/v1/namespaces/payments/serviceaccounts",
        &sa(
            "payments",
            "api",
            format!(
                "arn:aws:iam::{}:role/apps/payments-api-20240101120000123400000001",
                w.account
            ),
        ),
    );
    let map_roles = format!("{NODE_ENTRY}{ADMIN_ENTRY}").replace("ACCOUNT", &w.account);
    k.seed_aws_auth(&map_roles);
    k.create(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        &serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "platform-admins"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "platform:admins"}]}),
    );
    map_roles
}

#[test]
fn generate_validate_plan_imports_apply_marks_then_empty() {
    generate_validate_plan_imports_apply_marks_then_empty_on(World::new("generate"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn generate_validate_plan_imports_apply_marks_then_empty_on_a_real_api_server() {
    generate_validate_plan_imports_apply_marks_then_empty_on(World::real("generate-real"));
}

fn generate_validate_plan_imports_apply_marks_then_empty_on<K: KubeApi>(w: World<K>) {
    let _host = seed_aws(&w);
    let map_roles = seed_kube(&w);
    let out = w.dir.join("prod");
    let d = out.to_str().unwrap();
    let g = w.eksfed(&[
        "generate",
        "--cluster",
        "prod",
        "--out",
        d,
        "--kube-context",
        "prod",
        "--stack",
        "prod-fed",
    ]);
    assert_eq!(code(&g), 0, "{}", text(&g));
    let main = std::fs::read_to_string(out.join("main.hcl")).unwrap();
    let imports = std::fs::read_to_string(out.join("imports.hcl")).unwrap();
    // References, readable labels, exclusions named.
    assert!(
        main.contains("role \"aws_load_balancer_controller\" {"),
        "{main}"
    );
    assert!(
        main.contains("policies = [policy.awsloadbalancercontrolleriampolicy.arn]"),
        "{main}"
    );
    assert!(main.contains("role     = role.platform_admins"), "{main}");
    assert!(main.contains("allow_wildcard = true"), "{main}");
    assert!(main.contains("trust_statement {"), "{main}");
    assert!(main.contains("# left out: node role"), "{main}");
    assert!(!main.contains("role \"unrelated\""), "{main}");
    assert!(imports.contains("to = role.payments_api\n"), "{imports}");
    // An existing non-empty directory is refused.
    let again = w.eksfed(&[
        "generate",
        "--cluster",
        "prod",
        "--out",
        d,
        "--kube-context",
        "prod",
    ]);
    assert_eq!(code(&again), 1, "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        text(&again)
    );

    let v = w.eksfed(&["validate", d]);
    assert_eq!(code(&v), 0, "{}\n{main}", text(&v));
    assert!(
        !String::from_utf8_lossy(&v.stderr).contains("error"),
        "{}",
        text(&v)
    );
    let f = w.eksfed(&["fmt", d, "--check"]);
    assert_eq!(code(&f), 0, "{}", text(&f));

    let p = w.eksfed(&["plan", d, "--format", "json"]);
    assert_eq!(code(&p), 0, "{}\n{main}", text(&p));
    let plan: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
    let changes = plan["changes"].as_array().unwrap();
    let n_imports = imports.matches("import {").count();
    assert_eq!(
        changes.len(),
        n_imports,
        "{}\n{main}",
        serde_json::to_string_pretty(&plan).unwrap()
    );
    for c in changes {
        assert_eq!(c["action"], "no-op", "{c}\n{main}");
        assert!(c["importing"]["id"].is_string(), "{c}");
    }

    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    // Marked: IAM tags, Kubernetes labels, the aws-auth annotation.
    let tags = w.boto3("print(json.dumps([r.get('Tags', []) for r in [iam.get_role(RoleName=n)['Role'] for n in ['payments-api-20240101120000123400000001', 'platform-admins', 'unrelated']]]))");
    let has_mark = |t: &serde_json::Value| {
        t.as_array()
            .unwrap()
            .iter()
            .any(|t| t["Key"] == "eksfed:stack" && t["Value"] == "prod-fed")
    };
    assert!(has_mark(&tags[0]) && has_mark(&tags[1]), "{tags}");
    assert!(
        !has_mark(&tags[2]),
        "an object not generated is not marked: {tags}"
    );
    let (_, sa) = w
        .kube
        .get_json("/api/v1/namespaces/payments/serviceaccounts/api");
    assert_eq!(
        sa["metadata"]["labels"]["eksfed.io/stack"], "prod-fed",
        "{sa}"
    );
    // The node entry keeps its bytes.
    let cm = w.kube.aws_auth();
    let now = cm["data"]["mapRoles"].as_str().unwrap();
    assert!(
        now.contains(&NODE_ENTRY.replace("ACCOUNT", &w.account)),
        "{now}\nwas:\n{map_roles}"
    );
    assert!(now.contains("platform:admins"), "{now}");

    let p2 = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p2), 0, "{}", text(&p2));
}

/// The AWS requests `generate` made, from its summary line.
fn requests(o: &std::process::Output) -> usize {
    let s = String::from_utf8_lossy(&o.stdout);
    let i = s.find("AWS requests: ").unwrap_or_else(|| panic!("{s}"));
    s[i + 14..]
        .split(')')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn generate_requests_grow_with_pages_not_roles() {
    let w = World::new("generate-scale");
    let _ = seed_aws(&w);
    seed_kube(&w);
    let run = |name: &str| {
        let out = w.dir.join(name);
        let g = w.eksfed(&[
            "generate",
            "--cluster",
            "prod",
            "--out",
            out.to_str().unwrap(),
            "--kube-context",
            "prod",
        ]);
        assert_eq!(code(&g), 0, "{}", text(&g));
        (
            requests(&g),
            std::fs::read_to_string(out.join("imports.hcl")).unwrap(),
        )
    };
    let (few, imports_few) = run("few");
    // 300 more IRSA roles trusting the cluster's provider (one GAAD / ListRoles page each).
    w.boto3("host = iam.list_open_id_connect_providers()['OpenIDConnectProviderList']\nimport re\narn = [p['Arn'] for p in host if 'oidc.eks' in p['Arn']][0]\nh = arn.split('oidc-provider/')[1]\nfor i in range(300):\n    iam.create_role(RoleName=f'app-{i}', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Federated': arn}, 'Action': 'sts:AssumeRoleWithWebIdentity', 'Condition': {'StringEquals': {h + ':sub': f'system:serviceaccount:apps:app-{i}', h + ':aud': 'sts.amazonaws.com'}}}]}))\nprint(json.dumps(1))");
    let (many, imports_many) = run("many");
    assert_eq!(
        imports_many.matches("import {").count(),
        imports_few.matches("import {").count() + 300
    );
    eprintln!("generate: {few} AWS requests before, {many} with 300 more roles");
    assert_eq!(
        many, few,
        "requests must not grow with roles ({few} → {many})"
    );
    assert!(few <= 15, "{few} requests");
}

const EKS_ISSUER: &str =
    "https://oidc.eks.us-east-1.amazonaws.com/id/GEN00123456789ABCDEF0123456789AB";

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

/// POST to the EKS test server; it must succeed.
fn eks_post<K: KubeApi>(w: &World<K>, path: &str, body: serde_json::Value) -> serde_json::Value {
    let (c, b) =
        w.eks
            .as_ref()
            .unwrap()
            .http("POST", path, Some(&body.to_string()), "application/json");
    assert_eq!(c, 200, "POST {path}: {b}");
    serde_json::from_str(&b).unwrap()
}

/// Every access entry (with its policies) and pod identity association of the cluster, as the
/// EKS API describes them: the bytes a round trip must keep (tags aside).
fn eks_objects<K: KubeApi>(w: &World<K>) -> std::collections::BTreeMap<String, serde_json::Value> {
    let eks = w.eks.as_ref().unwrap();
    let mut out = std::collections::BTreeMap::new();
    let (_, l) = eks.get_json("/clusters/prod/access-entries");
    for p in l["accessEntries"].as_array().unwrap() {
        let p = p.as_str().unwrap();
        let (_, e) = eks.get_json(&format!("/clusters/prod/access-entries/{}", urlencode(p)));
        let (_, pols) = eks.get_json(&format!(
            "/clusters/prod/access-entries/{}/access-policies",
            urlencode(p)
        ));
        out.insert(
            format!("entry {p}"),
            serde_json::json!({"entry": e["accessEntry"], "policies": pols["associatedAccessPolicies"]}),
        );
    }
    let (_, l) = eks.get_json("/clusters/prod/pod-identity-associations");
    for a in l["associations"].as_array().unwrap() {
        let id = a["associationId"].as_str().unwrap();
        let (_, d) = eks.get_json(&format!("/clusters/prod/pod-identity-associations/{id}"));
        out.insert(
            format!("association {}/{}", a["namespace"], a["serviceAccount"]),
            d["association"].clone(),
        );
    }
    out
}

/// Seeds a cluster as eksctl, the console and another eksfed stack leave it in access-entry
/// mode, with pod identity: IAM in moto, access entries and associations in the EKS test
/// server, service accounts and bindings in the Kubernetes test server.
fn seed_access_entries<K: KubeApi>(w: &World<K>, mode: &str) {
    let host = EKS_ISSUER.trim_start_matches("https://");
    w.boto3(&format!(r#"
acct = '{acct}'
host = '{host}'
iam.create_open_id_connect_provider(Url='{EKS_ISSUER}', ClientIDList=['sts.amazonaws.com'], ThumbprintList=['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'])
prov = f'arn:aws:iam::{{acct}}:oidc-provider/{{host}}'
irsa = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Federated': prov}}, 'Action': 'sts:AssumeRoleWithWebIdentity',
  'Condition': {{'StringEquals': {{host + ':aud': 'sts.amazonaws.com', host + ':sub': 'system:serviceaccount:kube-system:ebs-csi-controller-sa'}}}}}}]}})
iam.create_role(RoleName='eksctl-prod-addon-iamserviceaccount-kube-sy-Role1-EBS0CSI0CTRL', AssumeRolePolicyDocument=irsa,
  Tags=[{{'Key': 'alpha.eksctl.io/cluster-name', 'Value': 'prod'}}])
iam.attach_role_policy(RoleName='eksctl-prod-addon-iamserviceaccount-kube-sy-Role1-EBS0CSI0CTRL', PolicyArn='arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy')
pods = {{'Version': '2012-10-17', 'Statement': [{{'Sid': 'AllowEksAuthToAssumeRoleForPodIdentity', 'Effect': 'Allow', 'Principal': {{'Service': 'pods.eks.amazonaws.com'}}, 'Action': ['sts:AssumeRole', 'sts:TagSession']}}]}}
iam.create_role(RoleName='payments-api', Path='/apps/', AssumeRolePolicyDocument=json.dumps(pods), Tags=[{{'Key': 'team', 'Value': 'payments'}}])
iam.put_role_policy(RoleName='payments-api', PolicyName='queue', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'sqs:SendMessage', 'Resource': f'arn:aws:sqs:us-east-1:{{acct}}:payments'}}]}}))
scoped = {{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'pods.eks.amazonaws.com'}}, 'Action': ['sts:AssumeRole', 'sts:TagSession'],
  'Condition': {{'StringEquals': {{'aws:RequestTag/eks-cluster-name': 'prod', 'aws:RequestTag/kubernetes-namespace': 'search'}}}}}}]}}
iam.create_role(RoleName='search-indexer', AssumeRolePolicyDocument=json.dumps(scoped))
iam.attach_role_policy(RoleName='search-indexer', PolicyArn='arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess')
root = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'AWS': f'arn:aws:iam::{{acct}}:root'}}, 'Action': 'sts:AssumeRole'}}]}})
iam.create_role(RoleName='platform-admins', AssumeRolePolicyDocument=root)
iam.create_role(RoleName='other-team', AssumeRolePolicyDocument=root, Tags=[{{'Key': 'eksfed:stack', 'Value': 'other-fed'}}])
saml = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Federated': f'arn:aws:iam::{{acct}}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE'}}, 'Action': ['sts:AssumeRoleWithSAML', 'sts:TagSession'], 'Condition': {{'StringEquals': {{'SAML:aud': 'https://signin.aws.amazon.com/saml'}}}}}}]}})
iam.create_role(RoleName='AWSReservedSSO_Admin_0123456789abcdef', Path='/aws-reserved/sso.amazonaws.com/', AssumeRolePolicyDocument=saml)
ec2 = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'ec2.amazonaws.com'}}, 'Action': 'sts:AssumeRole'}}]}})
iam.create_role(RoleName='eksctl-prod-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456', AssumeRolePolicyDocument=ec2)
iam.create_role(RoleName='unrelated', AssumeRolePolicyDocument=ec2)
print(json.dumps(1))
"#, acct = w.account));
    let role = |n: &str| format!("arn:aws:iam::{}:role/{n}", w.account);
    let entry = |principal: String, body: serde_json::Value, policies: &[serde_json::Value]| {
        let mut b = body;
        b["principalArn"] = serde_json::json!(principal);
        eks_post(w, "/clusters/prod/access-entries", b);
        for p in policies {
            eks_post(
                w,
                &format!(
                    "/clusters/prod/access-entries/{}/access-policies",
                    urlencode(&principal)
                ),
                p.clone(),
            );
        }
    };
    let policy = |name: &str, scope: serde_json::Value| serde_json::json!({"policyArn": format!("arn:aws:eks::aws:cluster-access-policy/{name}"), "accessScope": scope});
    let api = mode != "CONFIG_MAP";
    // eksctl: a node group's entry (EKS gives it its username and groups).
    if api {
        entry(
            role("eksctl-prod-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456"),
            serde_json::json!({"type": "EC2_LINUX"}),
            &[],
        );
        // The console: an SSO role, the default username, cluster admin.
        entry(
            role("aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"),
            serde_json::json!({}),
            &[policy(
                "AmazonEKSClusterAdminPolicy",
                serde_json::json!({"type": "cluster"}),
            )],
        );
        // eksctl `accessConfig.accessEntries`: a username, groups, two policies.
        entry(
            role("platform-admins"),
            serde_json::json!({"username": "admin:{{SessionName}}", "kubernetesGroups": ["platform:admins"]}),
            &[
                policy(
                    "AmazonEKSViewPolicy",
                    serde_json::json!({"type": "namespace", "namespaces": ["payments", "search"]}),
                ),
                policy(
                    "AmazonEKSEditPolicy",
                    serde_json::json!({"type": "cluster"}),
                ),
            ],
        );
        // Another eksfed stack's entry.
        entry(
            role("other-team"),
            serde_json::json!({"kubernetesGroups": ["other:team"], "tags": {"eksfed:stack": "other-fed"}}),
            &[policy(
                "AmazonEKSViewPolicy",
                serde_json::json!({"type": "cluster"}),
            )],
        );
    }
    // Pod identity associations (eksctl `podIdentityAssociations`).
    for (ns, sa, r) in [
        ("payments", "api", role("apps/payments-api")),
        ("search", "indexer", role("search-indexer")),
    ] {
        eks_post(
            w,
            "/clusters/prod/pod-identity-associations",
            serde_json::json!({"namespace": ns, "serviceAccount": sa, "roleArn": r}),
        );
    }
    if mode == "API" {
        // As `eksctl utils update-authentication-mode` does.
        eks_post(
            w,
            "/clusters/prod/update-config",
            serde_json::json!({"accessConfig": {"authenticationMode": mode}}),
        );
    }

    let k = &w.kube;
    for ns in ["kube-system", "payments", "search"] {
        let _ = k.request(
            "POST",
            "/api/v1/namespaces",
            Some(&serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).to_string()),
        );
    }
    k.create(
        "/api/v1/namespaces/kube-system/serviceaccounts",
        &serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ebs-csi-controller-sa", "namespace": "kube-system",
            "labels": {"app.kubernetes.io/managed-by": "eksctl"},
            "annotations": {"eks.amazonaws.com/role-arn": role("eksctl-prod-addon-iamserviceaccount-kube-sy-Role1-EBS0CSI0CTRL")}}}),
    );
    for (ns, sa) in [("payments", "api"), ("search", "indexer")] {
        k.create(
            &format!("/api/v1/namespaces/{ns}/serviceaccounts"),
            &serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}}),
        );
    }
    // What EKS left in aws-auth before the switch to the API (not read in API mode); in
    // CONFIG_MAP mode, the admins are mapped there.
    let map_roles = if api {
        NODE_ENTRY.to_string()
    } else {
        format!("{NODE_ENTRY}{ADMIN_ENTRY}")
    };
    k.seed_aws_auth(&map_roles.replace("ACCOUNT", &w.account));
    k.create(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/payments/rolebindings",
        &serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "platform-admins-edit", "namespace": "payments"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "platform:admins"}]}),
    );
}

/// Generate → validate → fmt --check → plan (only imports, all no-op) → apply (every generated
/// object marked, nothing else changed, foreign entries byte for byte intact) → empty plan.
fn round_trip<K: KubeApi>(w: &World<K>, extra: &[&str]) -> (String, String) {
    let out = w.dir.join("gen");
    let d = out.to_str().unwrap();
    let mut args = vec![
        "generate",
        "--cluster",
        "prod",
        "--out",
        d,
        "--kube-context",
        "prod",
        "--stack",
        "prod-fed",
    ];
    args.extend_from_slice(extra);
    let g = w.eksfed(&args);
    assert_eq!(code(&g), 0, "{}", text(&g));
    let main = std::fs::read_to_string(out.join("main.hcl")).unwrap();
    let imports = std::fs::read_to_string(out.join("imports.hcl")).unwrap();
    let v = w.eksfed(&["validate", d]);
    assert_eq!(code(&v), 0, "{}\n{main}", text(&v));
    assert!(
        !String::from_utf8_lossy(&v.stderr).contains("error"),
        "{}",
        text(&v)
    );
    let f = w.eksfed(&["fmt", d, "--check"]);
    assert_eq!(code(&f), 0, "{}\n{main}", text(&f));
    let p = w.eksfed(&["plan", d, "--format", "json"]);
    assert_eq!(code(&p), 0, "{}\n{main}", text(&p));
    let plan: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(
        changes.len(),
        imports.matches("import {").count(),
        "{}\n{main}\n{imports}",
        serde_json::to_string_pretty(&plan).unwrap()
    );
    for c in changes {
        assert_eq!(c["action"], "no-op", "{c}\n{main}");
        assert!(c["importing"]["id"].is_string(), "{c}");
    }
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}\n{main}", text(&a));
    let p2 = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p2), 0, "{}\n{main}", text(&p2));
    (main, imports)
}

/// `needle` in `text`, runs of spaces counted as one (`eksfed fmt` aligns `=`).
fn has(text: &str, needle: &str) -> bool {
    let squash = |s: &str| {
        s.split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    squash(text).contains(&squash(needle))
}

fn without_tags(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(e) = v.get_mut("entry").and_then(|e| e.as_object_mut()) {
        e.remove("tags");
    } else if let Some(o) = v.as_object_mut() {
        o.remove("tags");
    }
    v
}

fn stack_tag(v: &serde_json::Value) -> Option<String> {
    let t = if v.get("entry").is_some() {
        &v["entry"]["tags"]
    } else {
        &v["tags"]
    };
    t["eksfed:stack"].as_str().map(String::from)
}

#[test]
fn generate_access_entries_and_pod_identity_round_trip() {
    generate_access_entries_and_pod_identity_round_trip_on(
        World::new("generate-entries").with_eks(&[("prod", EKS_ISSUER)]),
    );
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn generate_access_entries_and_pod_identity_round_trip_on_a_real_api_server() {
    generate_access_entries_and_pod_identity_round_trip_on(
        World::real("generate-entries-real").with_eks(&[("prod", EKS_ISSUER)]),
    );
}

fn generate_access_entries_and_pod_identity_round_trip_on<K: KubeApi>(w: World<K>) {
    seed_access_entries(&w, "API");
    let (_, d) = w.eks.as_ref().unwrap().get_json("/clusters/prod");
    assert_eq!(d["cluster"]["accessConfig"]["authenticationMode"], "API");
    let before = eks_objects(&w);
    let aws_auth_before = w.kube.aws_auth();
    let (main, imports) = round_trip(&w, &[]);

    // What is generated, with references.
    assert!(has(&main, "access_mode = \"access_entries\""), "{main}");
    assert!(has(&main, "role \"ebs_csi_controller_sa\" {"), "{main}");
    assert!(has(&main, "role \"payments_api\" {"), "{main}");
    assert!(has(&main, "trust_pod_identity {}"), "{main}");
    // A pod identity trust without AWS's Sid is kept as is (trust_pod_identity adds it).
    assert!(
        has(
            &main,
            "\"aws:RequestTag/kubernetes-namespace\" = \"search\""
        ),
        "{main}"
    );
    assert!(has(&main, "# trust_pod_identity would add"), "{main}");
    assert!(has(&main, "mode = \"pod_identity\""), "{main}");
    assert!(has(&main, "role = role.payments_api"), "{main}");
    assert!(has(&main, "existing = true"), "{main}");
    assert!(
        has(&main, "{ policy = \"AmazonEKSViewPolicy\", scope = \"namespace\", namespaces = [\"payments\", \"search\"] }"),
        "{main}"
    );
    assert!(has(&main, "# left out: node role"), "{main}");
    assert!(
        has(&main, "owned by the eksfed stack `other-fed`"),
        "{main}"
    );
    assert!(!has(&main, "\"unrelated\""), "{main}");
    assert!(!has(&main, "other-team\""), "{main}");
    assert!(has(&imports, "id = \"payments/api\""), "{imports}");

    // After apply: every generated object carries the mark; nothing else changed.
    let after = eks_objects(&w);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    let generated_entries = [
        "platform-admins",
        "aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
    ];
    for (k, b) in &before {
        let a = &after[k];
        let ours = k.starts_with("association")
            || generated_entries
                .iter()
                .any(|r| *k == format!("entry arn:aws:iam::{}:role/{r}", w.account));
        if ours {
            assert_eq!(stack_tag(a).as_deref(), Some("prod-fed"), "{k}: {a}");
            assert_eq!(without_tags(b.clone()), without_tags(a.clone()), "{k}");
        } else {
            assert_eq!(b, a, "{k}: a foreign entry changed");
        }
    }
    assert_eq!(w.kube.aws_auth(), aws_auth_before);
    let tags = w.boto3("print(json.dumps({n: {t['Key']: t['Value'] for t in iam.list_role_tags(RoleName=n)['Tags']} for n in ['payments-api', 'search-indexer', 'platform-admins', 'other-team', 'unrelated', 'AWSReservedSSO_Admin_0123456789abcdef', 'eksctl-prod-addon-iamserviceaccount-kube-sy-Role1-EBS0CSI0CTRL']}))");
    for n in [
        "payments-api",
        "search-indexer",
        "platform-admins",
        "eksctl-prod-addon-iamserviceaccount-kube-sy-Role1-EBS0CSI0CTRL",
    ] {
        assert_eq!(tags[n]["eksfed:stack"], "prod-fed", "{n}: {tags}");
    }
    assert_eq!(tags["other-team"]["eksfed:stack"], "other-fed", "{tags}");
    assert!(tags["unrelated"].get("eksfed:stack").is_none(), "{tags}");
    assert!(
        tags["AWSReservedSSO_Admin_0123456789abcdef"]
            .get("eksfed:stack")
            .is_none(),
        "an existing role is never tagged: {tags}"
    );
    let (_, rb) = w.kube.get_json(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/payments/rolebindings/platform-admins-edit",
    );
    assert_eq!(
        rb["metadata"]["labels"]["eksfed.io/stack"], "prod-fed",
        "{rb}"
    );
}

/// CONFIG_MAP mode (no access-entry API; the EKS test server refuses those calls as EKS does):
/// `aws-auth` is read, pod identity associations still are.
#[test]
fn generate_config_map_mode_with_pod_identity_round_trip() {
    generate_config_map_mode_with_pod_identity_round_trip_on(World::new("generate-configmap"));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn generate_config_map_mode_with_pod_identity_round_trip_on_a_real_api_server() {
    generate_config_map_mode_with_pod_identity_round_trip_on(World::real(
        "generate-configmap-real",
    ));
}

fn generate_config_map_mode_with_pod_identity_round_trip_on<K: KubeApi>(mut w: World<K>) {
    let account = w.account.clone();
    let cluster = format!("prod={EKS_ISSUER}");
    w.eks = Some(support::Server::start(
        "eks-test-server",
        &[
            "--account-id",
            &account,
            "--cluster",
            &cluster,
            "--authentication-mode",
            "CONFIG_MAP",
        ],
    ));
    seed_access_entries(&w, "CONFIG_MAP");
    let (c, _) = w
        .eks
        .as_ref()
        .unwrap()
        .get_json("/clusters/prod/access-entries");
    assert_eq!(c, 400, "no access-entry API in CONFIG_MAP mode");
    let before = eks_objects_pod_identity(&w);
    let cm_before = w.kube.aws_auth();
    let (main, imports) = round_trip(&w, &[]);
    assert!(has(&main, "access_mode = \"aws_auth\""), "{main}");
    assert!(has(&main, "mode = \"pod_identity\""), "{main}");
    assert!(has(&main, "role = role.payments_api"), "{main}");
    assert!(has(&main, "role = role.platform_admins"), "{main}");
    assert!(has(&imports, "id = \"search/indexer\""), "{imports}");
    assert!(!has(&main, "access_policies"), "{main}");
    // The associations are marked and otherwise unchanged; the node entry keeps its bytes.
    let after = eks_objects_pod_identity(&w);
    assert_eq!(before.len(), 2);
    for (k, b) in &before {
        assert_eq!(stack_tag(&after[k]).as_deref(), Some("prod-fed"), "{k}");
        assert_eq!(
            without_tags(b.clone()),
            without_tags(after[k].clone()),
            "{k}"
        );
    }
    let now = w.kube.aws_auth()["data"]["mapRoles"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        now.contains(&NODE_ENTRY.replace("ACCOUNT", &w.account)),
        "{now}\nwas: {cm_before}"
    );
}

/// The pod identity associations of the cluster, as the EKS API describes them.
fn eks_objects_pod_identity<K: KubeApi>(
    w: &World<K>,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    let eks = w.eks.as_ref().unwrap();
    let mut out = std::collections::BTreeMap::new();
    let (_, l) = eks.get_json("/clusters/prod/pod-identity-associations");
    for a in l["associations"].as_array().unwrap() {
        let id = a["associationId"].as_str().unwrap();
        let (_, d) = eks.get_json(&format!("/clusters/prod/pod-identity-associations/{id}"));
        out.insert(
            format!("association {}/{}", a["namespace"], a["serviceAccount"]),
            d["association"].clone(),
        );
    }
    out
}

/// `--group`: IRSA roles alike but for name, namespace and service account become one `role`
/// block with `for_each`, their service accounts one `service_account` block; the round trip
/// stays a no-op (every instance imported, nothing to change), the next plan is empty.
#[test]
fn generate_group_round_trip() {
    generate_group_round_trip_on(World::new("generate-group").with_eks(&[("prod", EKS_ISSUER)]));
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn generate_group_round_trip_on_a_real_api_server() {
    generate_group_round_trip_on(
        World::real("generate-group-real").with_eks(&[("prod", EKS_ISSUER)]),
    );
}

fn generate_group_round_trip_on<K: KubeApi>(w: World<K>) {
    seed_access_entries(&w, "API");
    // Five roles of one shape (one service account each, one managed policy, a team tag), two
    // of them in another namespace, and one that differs (no tag): not grouped.
    let host = EKS_ISSUER.trim_start_matches("https://");
    w.boto3(&format!(r#"
prov = 'arn:aws:iam::{acct}:oidc-provider/{host}'
def irsa(ns, sa):
    return json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Federated': prov}}, 'Action': 'sts:AssumeRoleWithWebIdentity',
      'Condition': {{'StringEquals': {{'{host}:aud': 'sts.amazonaws.com', '{host}:sub': f'system:serviceaccount:{{ns}}:{{sa}}'}}}}}}]}})
for ns, sa in [('apps', 'a'), ('apps', 'b'), ('apps', 'c'), ('jobs', 'd'), ('jobs', 'e')]:
    iam.create_role(RoleName=f'app-{{sa}}', AssumeRolePolicyDocument=irsa(ns, sa), Tags=[{{'Key': 'team', 'Value': 'apps'}}])
    iam.attach_role_policy(RoleName=f'app-{{sa}}', PolicyArn='arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess')
iam.create_role(RoleName='app-f', AssumeRolePolicyDocument=irsa('apps', 'f'))
iam.attach_role_policy(RoleName='app-f', PolicyArn='arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess')
print(json.dumps(1))
"#, acct = w.account));
    for ns in ["apps", "jobs"] {
        w.kube.create_namespace(ns);
    }
    for (ns, sa) in [
        ("apps", "a"),
        ("apps", "b"),
        ("apps", "c"),
        ("jobs", "d"),
        ("jobs", "e"),
        ("apps", "f"),
    ] {
        w.kube.create(
            &format!("/api/v1/namespaces/{ns}/serviceaccounts"),
            &serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns,
                "annotations": {"eks.amazonaws.com/role-arn": format!("arn:aws:iam::{}:role/app-{sa}", w.account)}}}),
        );
    }
    let (main, imports) = round_trip(&w, &["--group"]);
    assert!(has(&main, "role \"irsa\" {"), "{main}");
    assert!(
        has(
            &main,
            "\"app-d\" = { namespace = \"jobs\", names = [\"d\"] }"
        ),
        "{main}"
    );
    assert!(has(&main, "name = each.key"), "{main}");
    assert!(has(&main, "namespace = each.value.namespace"), "{main}");
    assert!(has(&main, "role = role.irsa[each.value.role]"), "{main}");
    assert!(
        has(
            &main,
            "\"jobs/e\" = { namespace = \"jobs\", name = \"e\", role = \"app-e\" }"
        ),
        "{main}"
    );
    // The one that differs keeps its own block.
    assert!(has(&main, "role \"app_f\" {"), "{main}");
    assert!(has(&main, "role = role.app_f"), "{main}");
    assert!(has(&imports, "to = role.irsa[\"app-a\"]"), "{imports}");
    assert!(
        has(&imports, "to = service_account.irsa[\"apps/b\"]"),
        "{imports}"
    );
    // No service account of the group is left with a block of its own.
    assert!(!has(&main, "role = role.irsa[\"app-"), "{main}");
    // Every role is marked.
    let tags = w.boto3("print(json.dumps({n: {t['Key']: t['Value'] for t in iam.list_role_tags(RoleName=n)['Tags']} for n in ['app-a', 'app-d', 'app-f']}))");
    for n in ["app-a", "app-d", "app-f"] {
        assert_eq!(tags[n]["eksfed:stack"], "prod-fed", "{n}: {tags}");
    }
}

/// API_AND_CONFIG_MAP (the EKS test server's default, and eksctl's for new clusters) with
/// people mapped only through access entries (aws-auth holds the node entry): the stack uses
/// access entries, the node entry in aws-auth keeps its bytes.
#[test]
fn generate_api_and_config_map_with_entries_only_round_trip() {
    generate_api_and_config_map_with_entries_only_round_trip_on(
        World::new("generate-both").with_eks(&[("prod", EKS_ISSUER)]),
    );
}

/// The same against a real kube-apiserver (tests/support/real_kube.rs).
#[test]
fn generate_api_and_config_map_with_entries_only_round_trip_on_a_real_api_server() {
    generate_api_and_config_map_with_entries_only_round_trip_on(
        World::real("generate-both-real").with_eks(&[("prod", EKS_ISSUER)]),
    );
}

fn generate_api_and_config_map_with_entries_only_round_trip_on<K: KubeApi>(w: World<K>) {
    seed_access_entries(&w, "API_AND_CONFIG_MAP");
    let before = eks_objects(&w);
    let cm_before = w.kube.aws_auth();
    let (main, imports) = round_trip(&w, &[]);
    assert!(has(&main, "access_mode = \"access_entries\""), "{main}");
    assert!(has(&main, "access \"platform_admins\" {"), "{main}");
    assert!(
        has(
            &imports,
            &format!("id = \"arn:aws:iam::{}:role/platform-admins\"", w.account)
        ),
        "{imports}"
    );
    assert_eq!(w.kube.aws_auth()["data"], cm_before["data"]);
    let after = eks_objects(&w);
    let node = format!(
        "entry arn:aws:iam::{}:role/eksctl-prod-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456",
        w.account
    );
    let other = format!("entry arn:aws:iam::{}:role/other-team", w.account);
    assert_eq!(before[&node], after[&node]);
    assert_eq!(before[&other], after[&other]);
}
