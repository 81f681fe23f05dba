//! Round trip over a snapshot shaped the way eksctl and Terraform leave an account: the
//! generated text compiles with no error, is `fmt`-stable, uses references, and once the live
//! objects carry the ownership mark the plan has nothing to do.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::plan::diff::{diff, DiffOptions};
use crate::plan::live::{self, LiveState};
use crate::plan::rendered::AwsAuthEntry;
use crate::plan::rendered::RenderedKind;
use crate::plan::rendered::MANAGED_BY_LABEL;
use crate::plan::rendered::ROLE_ARN_ANNOTATION;
use crate::plan::rendered::STACK_LABEL;
use crate::plan::rendered::STACK_TAG;
use crate::plan::Action;
use indexmap::IndexMap;
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;

pub(super) const ACCT: &str = "111122223333";
pub(super) const ISSUER: &str =
    "https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789";
pub(super) const HOST: &str =
    "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789";

pub(super) fn tags(t: &[(&str, &str)]) -> IndexMap<String, String> {
    t.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn obj(piece: RenderedKind, owner: Option<&str>) -> LiveObject {
    let key = crate::kinds::keys(&piece).remove(0);
    live::live_object(key, owner.map(String::from), piece, BTreeMap::new())
}

pub(super) fn role(
    name: &str,
    path: &str,
    trust: Json,
    policies: &[String],
    inline: &[(&str, Json)],
    t: &[(&str, &str)],
) -> RenderedKind {
    RenderedKind::Role {
        name: name.into(),
        path: path.into(),
        description: String::new(),
        arn: format!("arn:aws:iam::{ACCT}:role{path}{name}"),
        max_session_duration: 3600,
        permissions_boundary: None,
        tags: tags(t),
        trust_policy: trust,
        policies: policies.to_vec(),
        inline_policies: inline
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

/// An IRSA trust policy: `sub` under `op`, `aud` (when given) under `StringEquals`.
pub(super) fn irsa(subs: Json, op: &str, aud: bool) -> Json {
    let mut cond = serde_json::Map::new();
    cond.insert(op.to_string(), json!({ format!("{HOST}:sub"): subs }));
    if aud {
        let e = cond.entry("StringEquals").or_insert_with(|| json!({}));
        e[format!("{HOST}:aud")] = json!("sts.amazonaws.com");
    }
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:oidc-provider/{HOST}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": cond
    }]})
}

pub(super) fn sa(ns: &str, name: &str, role_arn: &str, labels: Json) -> RenderedKind {
    RenderedKind::ServiceAccount {
        cluster: "prod".into(),
        manifest: json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
            "name": name, "namespace": ns, "labels": labels,
            "annotations": {ROLE_ARN_ANNOTATION: role_arn}}}),
        pod_identity_association: None,
    }
}

/// The eksctl load balancer controller role: its name is cut, its service account names it.
const LBC_ROLE: &str = "eksctl-prod-addon-iamserviceaccount-kube-sy-Role1-1A2B3C4D5E6F";
const NODE_ROLE: &str = "eksctl-prod-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456";

/// An account as eksctl and Terraform leave it.
pub(super) fn snapshot() -> Snapshot {
    let mut objects = account_objects();
    objects.extend(cluster_objects());
    Snapshot {
        stack: "prod-federation".into(),
        account_id: ACCT.into(),
        partition: "aws".into(),
        cluster: ClusterFacts {
            name: "prod".into(),
            region: "us-east-1".into(),
            issuer: ISSUER.into(),
            authentication_mode: None,
            kube_context: Some("prod".into()),
        },
        objects,
        aws_auth_owners: BTreeMap::new(),
    }
}

/// The tags eksctl puts on a role it makes for a service account.
const EKSCTL_TAGS: [(&str, &str); 3] = [
    ("alpha.eksctl.io/cluster-name", "prod"),
    (
        "alpha.eksctl.io/iamserviceaccount-name",
        "kube-system/aws-load-balancer-controller",
    ),
    ("alpha.eksctl.io/eksctl-version", "0.190.0"),
];

/// The AWS Load Balancer Controller's policy (abridged).
fn lbc_document() -> Json {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole"], "Resource": "*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
        {"Effect": "Allow", "Action": ["ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "elasticloadbalancing:DescribeLoadBalancers"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["ec2:CreateTags"], "Resource": "arn:aws:ec2:*:*:security-group/*",
         "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}},
        {"Effect": "Allow", "Action": ["elasticloadbalancing:AddTags"], "Resource": ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"],
         "Condition": {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}, "Bool": {"aws:SecureTransport": true}}}
    ]})
}

/// The account's providers, policies and roles.
fn account_objects() -> Vec<LiveObject> {
    let lbc_policy = format!("arn:aws:iam::{ACCT}:policy/AWSLoadBalancerControllerIAMPolicy");
    let ec2_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let admin_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole"}]});
    vec![
        obj(
            RenderedKind::OidcProvider {
                arn: format!("arn:aws:iam::{ACCT}:oidc-provider/{HOST}"),
                url: ISSUER.into(),
                client_ids: vec!["sts.amazonaws.com".into()],
                thumbprints: Some(vec!["9e99a48a9960b14926bb7f3b02e22da2b0ab7280".into()]),
                tags: tags(&[("alpha.eksctl.io/cluster-name", "prod")]),
            },
            None,
        ),
        obj(
            RenderedKind::Policy {
                name: "AWSLoadBalancerControllerIAMPolicy".into(),
                path: "/".into(),
                description: String::new(),
                arn: lbc_policy.clone(),
                document: lbc_document(),
                tags: IndexMap::new(),
            },
            None,
        ),
        obj(
            role(
                LBC_ROLE,
                "/",
                irsa(
                    json!("system:serviceaccount:kube-system:aws-load-balancer-controller"),
                    "StringEquals",
                    true,
                ),
                &[lbc_policy],
                &[],
                &EKSCTL_TAGS,
            ),
            None,
        ),
        // Terraform: a path, two subjects, a managed policy, an inline policy with `${...}`.
        obj(
            role(
                "payments-api-20240101120000123400000001",
                "/apps/",
                irsa(
                    json!([
                        "system:serviceaccount:payments:api",
                        "system:serviceaccount:payments:worker"
                    ]),
                    "StringEquals",
                    true,
                ),
                &["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".into()],
                &[(
                    "own-prefix",
                    json!({"Version": "2012-10-17", "Statement": [{"Sid": "Own", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::payments/${aws:username}/*"}]}),
                )],
                &[("team", "payments")],
            ),
            None,
        ),
        // A wildcard subject (StringLike).
        obj(
            role(
                "ci-runners",
                "/",
                irsa(
                    json!("system:serviceaccount:ci:runner-*"),
                    "StringLike",
                    true,
                ),
                &[],
                &[],
                &[],
            ),
            None,
        ),
        // A Deny in a trust policy: no typed block says it, kept raw.
        obj(
            role(
                "break-glass",
                "/",
                json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                 "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}),
                &[],
                &[],
                &[],
            ),
            None,
        ),
        // Terraform's module without `aud`: a `trust_oidc` on the cluster's provider.
        obj(
            role(
                "reports-reader",
                "/",
                irsa(
                    json!("system:serviceaccount:reports:reader"),
                    "StringEquals",
                    false,
                ),
                &[],
                &[],
                &[],
            ),
            None,
        ),
        obj(
            role(
                NODE_ROLE,
                "/",
                ec2_trust.clone(),
                &["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy".into()],
                &[],
                &EKSCTL_TAGS[..1],
            ),
            None,
        ),
        obj(
            role(
                "platform-admins",
                "/",
                admin_trust.clone(),
                &["arn:aws:iam::aws:policy/AdministratorAccess".into()],
                &[],
                &[],
            ),
            None,
        ),
        // Another stack's role, trusted by the cluster's provider: left out.
        obj(
            role(
                "other-stack-role",
                "/",
                irsa(json!("system:serviceaccount:x:y"), "StringEquals", true),
                &[],
                &[],
                &[("eksfed:stack", "other")],
            ),
            Some("other"),
        ),
    ]
}

/// The cluster's service accounts, aws-auth entries and bindings, and the roles mapped there.
fn cluster_objects() -> Vec<LiveObject> {
    let aws_auth = |arn: &str, user: &str, groups: &[&str]| {
        live::aws_auth_piece(
            "prod",
            AwsAuthEntry {
                rolearn: Some(arn.into()),
                userarn: None,
                username: Some(user.into()),
                groups: groups.iter().map(|s| s.to_string()).collect(),
            },
        )
    };
    vec![
        obj(
            sa(
                "kube-system",
                "aws-load-balancer-controller",
                &format!("arn:aws:iam::{ACCT}:role/{LBC_ROLE}"),
                json!({"app.kubernetes.io/managed-by": "eksctl"}),
            ),
            None,
        ),
        obj(
            sa(
                "payments",
                "api",
                &format!("arn:aws:iam::{ACCT}:role/apps/payments-api-20240101120000123400000001"),
                json!({}),
            ),
            None,
        ),
        obj(
            aws_auth(
                &format!("arn:aws:iam::{ACCT}:role/{NODE_ROLE}"),
                "system:node:{{EC2PrivateDNSName}}",
                &["system:bootstrappers", "system:nodes"],
            ),
            None,
        ),
        obj(
            aws_auth(
                &format!("arn:aws:iam::{ACCT}:role/platform-admins"),
                "admin:{{SessionName}}",
                &["platform:admins"],
            ),
            None,
        ),
        obj(
            aws_auth(
                &format!("arn:aws:iam::{ACCT}:role/break-glass"),
                "break-glass",
                &[],
            ),
            None,
        ),
        // An SSO role (IAM Identity Center makes it, under /aws-reserved/), mapped by its
        // path-less ARN as aws-iam-authenticator needs.
        obj(
            role(
                "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
                "/aws-reserved/sso.amazonaws.com/",
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:saml-provider/AWSSSO_abc_DO_NOT_DELETE")}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"], "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}),
                &["arn:aws:iam::aws:policy/AdministratorAccess".into()],
                &[],
                &[],
            ),
            None,
        ),
        obj(
            aws_auth(
                &format!(
                    "arn:aws:iam::{ACCT}:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef"
                ),
                "sso-admin:{{SessionName}}",
                &["platform:admins"],
            ),
            None,
        ),
        // GitHub Actions deploys: the account's GitHub provider (existing), mapped to a group.
        obj(
            RenderedKind::OidcProvider {
                arn: format!(
                    "arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"
                ),
                url: "https://token.actions.githubusercontent.com".into(),
                client_ids: vec!["sts.amazonaws.com".into()],
                thumbprints: Some(vec!["6938fd4d98bab03faadb97b34396831e3780aea1".into()]),
                tags: IndexMap::new(),
            },
            None,
        ),
        obj(
            role(
                "gha-deploy",
                "/",
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com")},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                              "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/deploy:*"}}}]}),
                &[],
                &[],
                &[],
            ),
            None,
        ),
        obj(
            aws_auth(
                &format!("arn:aws:iam::{ACCT}:role/gha-deploy"),
                "gha-deploy",
                &["deployers"],
            ),
            None,
        ),
        obj(
            RenderedKind::RbacBinding {
                cluster: "prod".into(),
                manifests: vec![
                    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                    "metadata": {"name": "platform-admins"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "platform:admins"}]}),
                ],
            },
            None,
        ),
        obj(
            RenderedKind::RbacBinding {
                cluster: "prod".into(),
                manifests: vec![
                    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": "unrelated", "namespace": "x"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
                    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "someone-else"}]}),
                ],
            },
            None,
        ),
    ]
}

/// The live objects after `apply` of the imports: the ownership mark added, nothing else.
fn marked(s: &Snapshot, generated: &crate::plan::rendered::Rendered) -> LiveState {
    let keys: BTreeSet<String> = generated
        .resources
        .iter()
        .flat_map(|r| crate::kinds::keys(&r.kind))
        .collect();
    let objects = s
        .objects
        .iter()
        .map(|o| {
            if !keys.contains(&o.key) {
                return o.clone();
            }
            let mut piece = o.piece.clone();
            match &mut piece {
                RenderedKind::Role { tags, .. }
                | RenderedKind::Policy { tags, .. }
                | RenderedKind::OidcProvider { tags, .. }
                | RenderedKind::SamlProvider { tags, .. } => {
                    tags.insert(STACK_TAG.into(), s.stack.clone());
                }
                RenderedKind::ServiceAccount { manifest: m, .. } => {
                    m["metadata"]["labels"][MANAGED_BY_LABEL] = json!("eksfed");
                    m["metadata"]["labels"][STACK_LABEL] = json!(s.stack);
                }
                RenderedKind::RbacBinding { manifests, .. } => {
                    for m in manifests {
                        m["metadata"]["labels"][MANAGED_BY_LABEL] = json!("eksfed");
                        m["metadata"]["labels"][STACK_LABEL] = json!(s.stack);
                    }
                }
                RenderedKind::Access { .. } => {}
            }
            live::live_object(o.key.clone(), Some(s.stack.clone()), piece, BTreeMap::new())
        })
        .collect();
    LiveState {
        account_id: s.account_id.clone(),
        objects,
    }
}

pub(super) fn compile_main(g: &Generated) -> crate::desired::compile::Compiled {
    crate::desired::compile::compile(crate::desired::compile::CompileInput {
        files: vec![
            ("imports.hcl".into(), g.imports.clone()),
            ("main.hcl".into(), g.main.clone()),
        ],
        reader: g,
        vars: Default::default(),
        facts: Default::default(),
    })
}

#[test]
fn generated_stack_round_trips_with_no_change() {
    let s = snapshot();
    assert_round_trip(&s, &generate(&s));
}

/// `--group`: three roles alike but for name and service account (two namespaces) become one
/// block, their service accounts one block; a fourth with another tag keeps its own; the
/// grouped stack round trips with no change like the ungrouped one.
#[test]
fn grouped_stack_round_trips_with_no_change() {
    let s = grouped_snapshot();
    let g = generate_with(&s, &Options { group: true });
    let m = &g.main;
    assert!(m.contains("role \"irsa\" {\n  for_each = {\n    \"app-a\" = { namespace = \"apps\", names = [\"a\"] }"), "{m}");
    assert!(
        m.contains("\"app-c\" = { namespace = \"jobs\", names = [\"c\"] }"),
        "{m}"
    );
    assert!(!m.contains("\"app-d\" = {"), "{m}");
    assert!(m.contains("role \"app_d\" {"), "{m}");
    assert!(m.contains("role      = role.irsa[each.value.role]"), "{m}");
    assert!(
        g.imports.contains("to = role.irsa[\"app-b\"]\n"),
        "{}",
        g.imports
    );
    assert!(
        g.imports
            .contains("to = service_account.irsa[\"jobs/c\"]\n"),
        "{}",
        g.imports
    );
    // Without --group, one block each.
    assert!(!generate(&s).main.contains("for_each"));
    assert_round_trip(&s, &g);
    assert_eq!(generate_with(&s, &Options { group: true }).main, g.main);
}

fn assert_round_trip(s: &Snapshot, g: &Generated) {
    let c = compile_main(g);
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !d.allowed)
        .map(|d| c.sources.render(d))
        .collect();
    assert!(errors.is_empty(), "{}\n{}", errors.join("\n"), g.main);
    // Every lint that fires is silenced with a reason.
    assert!(
        c.diagnostics
            .iter()
            .all(|d| d.allowed || d.code.starts_with('W')),
        "{:?}\n{}",
        c.diagnostics,
        g.main
    );
    // `eksfed fmt` leaves it as it is.
    assert_eq!(crate::language::fmt::format(&g.main), g.main);
    assert_eq!(crate::language::fmt::format(&g.imports), g.imports);
    let desired = c.desired.as_ref().unwrap();
    // Before apply: only imports, each a no-op.
    let unmarked = LiveState {
        account_id: s.account_id.clone(),
        objects: s.objects.clone(),
    };
    let (plan, diags) = diff(
        desired,
        c.graph.as_ref().unwrap(),
        &unmarked,
        &DiffOptions::default(),
    );
    assert!(!diags.has_errors(), "{diags:?}\n{}", g.main);
    let not_import: Vec<String> = plan
        .changes
        .iter()
        .filter(|ch| ch.action != Action::NoOp || ch.importing.is_none())
        .map(|ch| {
            format!(
                "{} {:?} importing={:?}",
                ch.address, ch.action, ch.importing
            )
        })
        .collect();
    assert!(
        not_import.is_empty(),
        "{}\n{}",
        not_import.join("\n"),
        g.main
    );
    assert_eq!(
        plan.changes.len(),
        g.imports.matches("import {").count(),
        "{}",
        g.imports
    );
    // After apply (the mark added): nothing to do.
    let rendered = crate::plan::render::render(desired);
    let live = marked(s, &rendered);
    let (plan, diags) = diff(
        desired,
        c.graph.as_ref().unwrap(),
        &live,
        &DiffOptions::default(),
    );
    assert!(!diags.has_errors(), "{diags:?}");
    let changed: Vec<String> = plan
        .changes
        .iter()
        .filter(|ch| ch.action != Action::NoOp)
        .map(|ch| {
            format!(
                "{} {:?}: {}",
                ch.address,
                ch.action,
                serde_json::to_string(&ch.before).unwrap_or_default()
            )
        })
        .collect();
    assert!(changed.is_empty(), "{}\n{}", changed.join("\n"), g.main);
}

#[test]
fn references_labels_and_exclusions() {
    let g = generate(&snapshot());
    let m = &g.main;
    // Readable labels, the IAM name kept.
    assert!(m.contains("role \"aws_load_balancer_controller\" {"), "{m}");
    assert!(m.contains("role \"payments_api\" {"), "{m}");
    // References, not ARNs, between generated objects.
    assert!(
        m.contains("policies = [policy.awsloadbalancercontrolleriampolicy.arn]"),
        "{m}"
    );
    assert!(
        m.contains("policies = [aws_managed_policy(\"AmazonS3ReadOnlyAccess\")]"),
        "{m}"
    );
    assert!(
        m.contains("role      = role.aws_load_balancer_controller"),
        "{m}"
    );
    assert!(m.contains("role     = role.platform_admins"), "{m}");
    assert!(m.contains("cluster   = cluster.prod\n"), "{m}");
    assert!(
        m.contains("url         = cluster.prod.oidc_issuer_url"),
        "{m}"
    );
    assert!(
        !m.lines()
            .any(|l| !l.trim_start().starts_with('#') && l.contains(":role/")),
        "no role ARN is written literally:\n{m}"
    );
    // Two subjects of one namespace: one block with both names.
    assert!(m.contains("names     = [\"api\", \"worker\"]"), "{m}");
    // The wildcard kept, its lint allowed with a reason.
    assert!(m.contains("allow_wildcard = true"), "{m}");
    assert!(m.contains("# EKS001: "), "{m}");
    // The Deny kept as is, the Allow typed.
    assert!(
        m.contains("trust_statement {") && m.contains("\"Effect\"    = \"Deny\""),
        "{m}"
    );
    assert!(m.contains("trust_aws {"), "{m}");
    // Without `aud`: `trust_oidc` on the cluster's provider, TRUST002 allowed with a reason.
    assert!(m.contains("provider   = oidc_provider.prod"), "{m}");
    assert!(m.contains("# TRUST002: "), "{m}");
    // Template sequences escaped.
    assert!(m.contains("payments/$${aws:username}/*"), "{m}");
    // Exclusions named at the top.
    let head: String = m
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(head.contains("node role arn:aws:iam::111122223333:role/eksctl-prod-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456"), "{head}");
    assert!(
        head.contains("role other-stack-role") && head.contains("`other`"),
        "{head}"
    );
    assert!(!m.contains("unrelated"), "{m}");
    assert!(!m.contains("NodeInstanceRole\""), "{m}");
    // One import per owned object.
    for to in [
        "oidc_provider.prod",
        "policy.awsloadbalancercontrolleriampolicy",
        "role.payments_api",
        "service_account.aws_load_balancer_controller",
        "access.platform_admins",
        "rbac_binding.platform_admins",
    ] {
        assert!(
            g.imports.contains(&format!("to = {to}\n")),
            "{to}\n{}",
            g.imports
        );
    }
    assert!(
        g.imports.contains(&format!("id = \"{ISSUER}\"")),
        "{}",
        g.imports
    );
    assert!(g
        .imports
        .contains("id = \"kube-system/aws-load-balancer-controller\""));
    // Not owned: the SSO role and the GitHub provider are `existing`, not imported.
    assert!(m.contains("role \"sso_administratoraccess\" {"), "{m}");
    assert!(m.contains("existing = true"), "{m}");
    assert!(m.contains("provider   = oidc_provider.github"), "{m}");
    assert!(
        !g.imports.contains("role.sso_administratoraccess\n"),
        "{}",
        g.imports
    );
    assert!(
        !g.imports.contains("oidc_provider.github\n"),
        "{}",
        g.imports
    );
    assert!(m.contains("role     = role.sso_administratoraccess"), "{m}");
    // The same on every run.
    assert_eq!(generate(&snapshot()).main, g.main);
}

/// A SAML provider's metadata (kilobytes of XML) is written to a file beside `main.hcl` and read
/// with `file()`, as a person would keep it, not as a string literal; the stack round trips.
#[test]
fn saml_metadata_goes_to_a_file_beside_main() {
    let (s, metadata) = saml_snapshot();
    let g = generate(&s);
    assert!(
        g.main
            .contains("metadata = file(\"corp_idp.saml-metadata.xml\")"),
        "{}",
        g.main
    );
    assert!(!g.main.contains("EntityDescriptor"), "{}", g.main);
    assert_eq!(
        g.files.get("corp_idp.saml-metadata.xml"),
        Some(&metadata),
        "{:?}",
        g.files.keys()
    );
    assert_round_trip(&s, &g);
}

/// [`snapshot`] with three roles alike but for name and service account (two namespaces) and
/// a fourth with another tag: what `--group` groups.
pub(super) fn grouped_snapshot() -> Snapshot {
    let mut s = snapshot();
    for (ns, n, team) in [
        ("apps", "a", "apps"),
        ("apps", "b", "apps"),
        ("jobs", "c", "apps"),
        ("apps", "d", "other"),
    ] {
        let name = format!("app-{n}");
        s.objects.push(obj(
            role(
                &name,
                "/",
                irsa(
                    json!(format!("system:serviceaccount:{ns}:{n}")),
                    "StringEquals",
                    true,
                ),
                &["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".to_string()],
                &[],
                &[("team", team)],
            ),
            None,
        ));
        s.objects.push(obj(
            sa(
                ns,
                n,
                &format!("arn:aws:iam::{ACCT}:role/{name}"),
                json!({}),
            ),
            None,
        ));
    }
    s
}

/// [`snapshot`] with a SAML provider (and its metadata) and a role mapped into the cluster
/// that trusts it.
pub(super) fn saml_snapshot() -> (Snapshot, String) {
    let mut s = snapshot();
    let metadata = format!(
        "<?xml version=\"1.0\"?><EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://idp.example.com\">{}</EntityDescriptor>",
        "<KeyDescriptor/>".repeat(120)
    );
    s.objects.push(obj(
        RenderedKind::SamlProvider {
            arn: format!("arn:aws:iam::{ACCT}:saml-provider/corp-idp"),
            name: "corp-idp".into(),
            metadata: metadata.clone(),
            tags: tags(&[]),
        },
        None,
    ));
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:saml-provider/corp-idp")},
        "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]});
    s.objects
        .push(obj(role("corp-admins", "/", trust, &[], &[], &[]), None));
    // Mapped into the cluster, so the generator takes the role (and so its provider).
    s.objects.push(obj(
        live::aws_auth_piece(
            "prod",
            AwsAuthEntry {
                rolearn: Some(format!("arn:aws:iam::{ACCT}:role/corp-admins")),
                userarn: None,
                username: Some("corp-admin".into()),
                groups: vec!["corp-viewers".into()],
            },
        ),
        None,
    ));
    (s, metadata)
}
