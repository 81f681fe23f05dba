//! The generated text, pinned: `main.hcl`, `imports.hcl`, the notes, the counts and the files
//! beside `main.hcl` for the snapshots of `tests.rs` (plain and `--group`) and for two more
//! that reach access entries, pod identity and `access_mode = "both"`. Any change to what
//! `eksfed generate` writes shows here first (`cargo insta review` to accept one on purpose).
#![allow(clippy::unwrap_used)]

use super::tests::{grouped_snapshot, obj, role, sa, saml_snapshot, snapshot, tags, ACCT};
use super::*;
use crate::plan::live;
use crate::plan::rendered::AccessEntry;
use crate::plan::rendered::AccessPolicyAssociation;
use crate::plan::rendered::AccessScope;
use crate::plan::rendered::PodIdentityAssociation;
use crate::plan::rendered::RenderedKind;
use serde_json::{json, Value as Json};

/// Everything `generate` returns, as one text.
fn shown(g: &Generated) -> String {
    let mut s = format!(
        "==== main.hcl\n{}\n==== imports.hcl\n{}\n==== notes\n",
        g.main, g.imports
    );
    for n in &g.notes {
        s.push_str(&format!("{n}\n"));
    }
    s.push_str("==== counts\n");
    for (k, n) in &g.counts {
        s.push_str(&format!("{k}: {n}\n"));
    }
    for (name, text) in &g.files {
        s.push_str(&format!("==== file {name}\n{text}\n"));
    }
    s
}

fn entry(
    arn: &str,
    user: Option<&str>,
    groups: &[&str],
    ty: &str,
    policies: Vec<AccessPolicyAssociation>,
) -> RenderedKind {
    live::access_entry_piece(
        "prod",
        AccessEntry {
            principal_arn: arn.into(),
            username: user.map(String::from),
            kubernetes_groups: groups.iter().map(|g| g.to_string()).collect(),
            entry_type: ty.into(),
            access_policies: policies,
        },
    )
}

fn access_policy(name: &str, scope: &str, namespaces: &[&str]) -> AccessPolicyAssociation {
    AccessPolicyAssociation {
        policy_arn: format!("arn:aws:eks::aws:cluster-access-policy/{name}"),
        access_scope: AccessScope {
            scope_type: scope.into(),
            namespaces: namespaces.iter().map(|n| n.to_string()).collect(),
        },
    }
}

fn binding(
    kind: &str,
    name: &str,
    ns: Option<&str>,
    role_kind: &str,
    subjects: Json,
) -> RenderedKind {
    let mut metadata = json!({ "name": name });
    if let Some(ns) = ns {
        metadata["namespace"] = json!(ns);
    }
    RenderedKind::RbacBinding {
        cluster: "prod".into(),
        manifests: vec![
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": "edit"},
            "subjects": subjects}),
        ],
    }
}

/// [`snapshot`] on a cluster in API mode: access entries (policies, a user, a node, one made by
/// EKS, one of another stack), pod identity, a role with every optional attribute, a policy
/// kept as `jsonencode`, namespaced and system bindings.
fn api_snapshot() -> Snapshot {
    let mut s = snapshot();
    s.cluster.authentication_mode = Some("API".into());
    s.cluster.kube_context = None;
    let odd_policy = format!("arn:aws:iam::{ACCT}:policy/odd");
    let lbc_policy = format!("arn:aws:iam::{ACCT}:policy/AWSLoadBalancerControllerIAMPolicy");
    s.objects.push(obj(
        RenderedKind::Policy {
            name: "odd".into(),
            path: "/team/".into(),
            description: "kept as a document".into(),
            arn: odd_policy.clone(),
            document: json!({"Version": "2012-10-17", "Id": "x", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
            tags: tags(&[("team", "data"), ("eksfed:stack", "prod-federation")]),
        },
        None,
    ));
    let mut full = role(
        "data-loader",
        "/team/",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}}]}),
        &[odd_policy, "arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        &[(
            "deny-delete",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": ["s3:Get*"], "NotResource": "arn:aws:s3:::keep/*", "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": 300}}}]}),
        )],
        &[("team", "data")],
    );
    if let RenderedKind::Role {
        description,
        max_session_duration,
        permissions_boundary,
        ..
    } = &mut full
    {
        *description = "loads data".into();
        *max_session_duration = 7200;
        *permissions_boundary = Some(lbc_policy);
    }
    s.objects.push(obj(full, None));
    pod_identity(&mut s);
    access_entries(&mut s);
    bindings(&mut s);
    s
}

/// Roles trusting pod identity (with AWS's Sid, with conditions, without the Sid), their
/// associations and service accounts; one association with no service account, one service
/// account with both an annotation and an association.
fn pod_identity(s: &mut Snapshot) {
    let role_arn = |n: &str| format!("arn:aws:iam::{ACCT}:role/{n}");
    let pods = |cond: Json| {
        let mut st = json!({"Sid": "AllowEksAuthToAssumeRoleForPodIdentity", "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"]});
        if cond == json!("no sid") {
            st.as_object_mut().unwrap().remove("Sid");
            return json!({"Version": "2012-10-17", "Statement": [st]});
        }
        if !cond.is_null() {
            st["Condition"] = cond;
        }
        json!({"Version": "2012-10-17", "Statement": [st]})
    };
    s.objects.push(obj(
        role("ebs-csi", "/", pods(Json::Null), &[], &[], &[]),
        None,
    ));
    s.objects.push(obj(
        role(
            "scoped-pods",
            "/",
            pods(json!({"StringEquals": {"aws:SourceAccount": ACCT}})),
            &[],
            &[],
            &[],
        ),
        None,
    ));
    s.objects.push(obj(
        role("no-sid", "/", pods(json!("no sid")), &[], &[], &[]),
        None,
    ));
    // A twin of `ebs-csi`: `--group` groups them.
    s.objects.push(obj(
        role("efs-csi", "/", pods(Json::Null), &[], &[], &[]),
        None,
    ));
    for (ns, n, r) in [
        ("jobs", "no-sid", "no-sid"),
        ("kube-system", "efs-csi-controller-sa", "efs-csi"),
        ("kube-system", "ebs-csi-controller-sa", "ebs-csi"),
        ("jobs", "scoped", "scoped-pods"),
        ("jobs", "ghost", "ebs-csi"),
    ] {
        s.objects.push(obj(
            live::pod_identity_piece(
                "prod",
                PodIdentityAssociation {
                    cluster_name: "prod".into(),
                    namespace: ns.into(),
                    service_account: n.into(),
                    role_arn: role_arn(r),
                },
            ),
            None,
        ));
        if n != "ghost" {
            s.objects.push(obj(
                RenderedKind::ServiceAccount {
                    cluster: "prod".into(),
                    manifest: json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": n, "namespace": ns}}),
                    pod_identity_association: None,
                },
                None,
            ));
        }
    }
    // Both an annotation and an association: left out.
    s.objects.push(obj(
        sa("jobs", "both", &role_arn("ebs-csi"), json!({})),
        None,
    ));
    s.objects.push(obj(
        live::pod_identity_piece(
            "prod",
            PodIdentityAssociation {
                cluster_name: "prod".into(),
                namespace: "jobs".into(),
                service_account: "both".into(),
                role_arn: role_arn("ebs-csi"),
            },
        ),
        None,
    ));
}

/// Access entries: access policies, a user, a node, one made by EKS, one of another stack.
fn access_entries(s: &mut Snapshot) {
    let role_arn = |n: &str| format!("arn:aws:iam::{ACCT}:role/{n}");
    let admin = vec![
        access_policy("AmazonEKSClusterAdminPolicy", "cluster", &[]),
        access_policy("AmazonEKSViewPolicy", "namespace", &["apps", "jobs"]),
    ];
    for (arn, user, groups, ty, policies, owner) in [
        (
            role_arn("platform-admins"),
            Some("admin:{{SessionName}}"),
            vec!["platform:admins"],
            "STANDARD",
            admin,
            None,
        ),
        (
            format!("arn:aws:iam::{ACCT}:user/alice"),
            None,
            vec!["readers"],
            "STANDARD",
            vec![],
            None,
        ),
        (
            role_arn("data-loader"),
            Some("loader"),
            vec![],
            "STANDARD",
            vec![access_policy("AmazonEKSEditPolicy", "namespace", &["data"])],
            None,
        ),
        (
            role_arn("eksctl-prod-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456"),
            None,
            vec![],
            "EC2_LINUX",
            vec![],
            None,
        ),
        (
            role_arn("aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"),
            Some("eks:managed"),
            vec![],
            "STANDARD",
            vec![],
            None,
        ),
        (
            role_arn("theirs"),
            None,
            vec!["theirs"],
            "STANDARD",
            vec![],
            Some("other"),
        ),
    ] {
        s.objects
            .push(obj(entry(&arn, user, &groups, ty, policies), owner));
    }
}

/// A namespaced binding sharing a name, a binding of a mapped user, a system binding, one of
/// another stack.
fn bindings(s: &mut Snapshot) {
    s.objects.push(obj(
        binding(
            "RoleBinding",
            "platform-admins",
            Some("team"),
            "Role",
            json!([
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "platform:admins"},
            {"kind": "ServiceAccount", "name": "x", "namespace": "team"}]),
        ),
        None,
    ));
    s.objects.push(obj(
        binding(
            "ClusterRoleBinding",
            "readers",
            None,
            "ClusterRole",
            json!([{"kind": "User", "name": "loader"}, {"kind": "Group", "name": "readers"}]),
        ),
        None,
    ));
    s.objects.push(obj(
        binding(
            "ClusterRoleBinding",
            "system:readers",
            None,
            "ClusterRole",
            json!([{"kind": "Group", "name": "readers"}]),
        ),
        None,
    ));
    s.objects.push(obj(
        binding(
            "RoleBinding",
            "theirs",
            Some("x"),
            "Role",
            json!([{"kind": "Group", "name": "readers"}]),
        ),
        Some("other"),
    ));
}

/// [`snapshot`] on a cluster in API_AND_CONFIG_MAP mode with both sides: a pair that agrees, one
/// whose groups differ, an access entry with no aws-auth entry, and aws-auth entries with none.
fn both_snapshot() -> Snapshot {
    let mut s = snapshot();
    s.cluster.authentication_mode = Some("API_AND_CONFIG_MAP".into());
    s.aws_auth_owners.insert(
        format!("arn:aws:iam::{ACCT}:role/break-glass"),
        "other".into(),
    );
    for (name, user, groups) in [
        (
            "platform-admins",
            Some("admin:{{SessionName}}"),
            vec!["platform:admins"],
        ),
        ("gha-deploy", Some("gha-deploy"), vec!["other-group"]),
        ("reports-reader", None, vec!["readers"]),
    ] {
        s.objects.push(obj(
            entry(
                &format!("arn:aws:iam::{ACCT}:role/{name}"),
                user,
                &groups,
                "STANDARD",
                vec![access_policy("AmazonEKSViewPolicy", "cluster", &[])],
            ),
            None,
        ));
    }
    s
}

#[test]
fn plain() {
    insta::assert_snapshot!(shown(&generate(&snapshot())));
}

#[test]
fn grouped() {
    let s = grouped_snapshot();
    insta::assert_snapshot!("grouped_plain", shown(&generate(&s)));
    insta::assert_snapshot!(
        "grouped",
        shown(&generate_with(&s, &Options { group: true }))
    );
}

#[test]
fn saml() {
    insta::assert_snapshot!(shown(&generate(&saml_snapshot().0)));
}

#[test]
fn api_mode() {
    let s = api_snapshot();
    insta::assert_snapshot!(shown(&generate(&s)));
    insta::assert_snapshot!(
        "api_mode_grouped",
        shown(&generate_with(&s, &Options { group: true }))
    );
}

#[test]
fn both_mode() {
    insta::assert_snapshot!(shown(&generate(&both_snapshot())));
}
