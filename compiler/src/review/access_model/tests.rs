use super::mapping::{default_username, template_glob};
use super::*;
use crate::{desired::model::AccessMode, plan::rendered::RenderedKind};

#[test]
fn glob_matches_like_string_like() {
    assert!(crate::iam::pattern::matches(
        "system:serviceaccount:apps:*",
        "system:serviceaccount:apps:web",
        false
    ));
    assert!(!crate::iam::pattern::matches(
        "system:serviceaccount:apps:*",
        "system:serviceaccount:ops:web",
        false
    ));
    assert!(crate::iam::pattern::matches(
        "repo:acme/*",
        "repo:acme/deploy:ref:refs/heads/main",
        false
    ));
    assert!(crate::iam::pattern::matches("a?c", "abc", false));
    assert!(!crate::iam::pattern::matches("a?c", "ac", false));
}

#[test]
fn username_templates_become_globs() {
    assert_eq!(template_glob("admin:{{SessionName}}"), "admin:*");
    assert_eq!(
        default_username("arn:aws:iam::1:role/people/admins"),
        "arn:aws:sts::1:assumed-role/admins/{{SessionName}}"
    );
}

use crate::plan::rendered::AccessEntry;
use crate::plan::rendered::AwsAuthEntry;
use serde_json::json;

fn role(arn: &str, trust: serde_json::Value) -> Piece {
    Piece {
        kind: RenderedKind::Role {
            name: arn.rsplit('/').next().unwrap_or(arn).to_string(),
            path: "/".into(),
            description: String::new(),
            arn: arn.into(),
            max_session_duration: 3600,
            permissions_boundary: None,
            tags: Default::default(),
            trust_policy: trust,
            policies: vec![],
            inline_policies: Default::default(),
        },
        managed: true,
    }
}

fn cluster(mode: AccessMode) -> Vec<ClusterInfo> {
    vec![ClusterInfo {
        label: "prod".into(),
        name: "prod-eks".into(),
        issuer: Some("oidc.eks.us-east-1.amazonaws.com/id/X".into()),
        access_mode: mode,
        arn: None,
    }]
}

#[test]
fn an_access_entry_wins_over_aws_auth_for_the_same_principal() {
    let arn = "arn:aws:iam::1:role/people/admins";
    let trust = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}]});
    let pieces = vec![
        role(arn, trust),
        Piece {
            kind: RenderedKind::Access {
                cluster: "prod".into(),
                aws_auth: Some(AwsAuthEntry {
                    rolearn: Some("arn:aws:iam::1:role/admins".into()),
                    userarn: None,
                    username: Some("old".into()),
                    groups: vec!["system:masters".into()],
                }),
                access_entry: None,
            },
            managed: false,
        },
        Piece {
            kind: RenderedKind::Access {
                cluster: "prod".into(),
                aws_auth: None,
                access_entry: Some(AccessEntry {
                    principal_arn: arn.into(),
                    username: None,
                    kubernetes_groups: vec!["viewers".into()],
                    entry_type: "STANDARD".into(),
                    access_policies: vec![],
                }),
            },
            managed: true,
        },
    ];
    let m = build(&cluster(AccessMode::Both), &pieces, &Default::default());
    assert_eq!(m.paths.len(), 1, "{:?}", m.paths);
    let p = &m.paths[0];
    assert_eq!(p.cluster.as_deref(), Some("prod-eks"));
    assert_eq!(p.groups, vec!["viewers".to_string()]);
    assert_eq!(
        p.username.as_deref(),
        Some("arn:aws:sts::1:assumed-role/admins/{{SessionName}}")
    );
    assert!(!p.cluster_admin);
    assert!(p.managed);
    // In CONFIG_MAP mode the access entry does not count: aws-auth's system:masters does.
    let m = build(&cluster(AccessMode::AwsAuth), &pieces, &Default::default());
    assert!(m.paths[0].cluster_admin);
    assert!(!m.paths[0].managed);
    assert!(m.limits.iter().any(|l| l.contains("creator")));
}

#[test]
fn wildcard_trusts_admit_what_they_match() {
    let trust = json!({"Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {"oidc.eks.us-east-1.amazonaws.com/id/X:sub": "system:serviceaccount:apps:*"}}}]});
    let m = build(
        &cluster(AccessMode::AwsAuth),
        &[role("arn:aws:iam::1:role/wild", trust)],
        &Default::default(),
    );
    let p = &m.paths[0];
    assert_eq!(p.identity, "system:serviceaccount:apps:*");
    assert_eq!(p.cluster.as_deref(), Some("prod-eks"));
    assert!(admits(p, "system:serviceaccount:apps:web"));
    assert!(!admits(p, "system:serviceaccount:ops:web"));
    // A literal (StringEquals) `*` is not a wildcard.
    let literal = json!({"Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/X:sub": "system:serviceaccount:apps:*"}}}]});
    let lit = build(
        &cluster(AccessMode::AwsAuth),
        &[role("arn:aws:iam::1:role/lit", literal)],
        &Default::default(),
    );
    assert!(!admits(&lit.paths[0], "system:serviceaccount:apps:web"));
    assert!(admits(&lit.paths[0], "system:serviceaccount:apps:*"));
    let q = |s: &str| {
        select(
            &m,
            &cluster(AccessMode::AwsAuth),
            None,
            &Query::Identity(s.into()),
        )
    };
    assert_eq!(q("system:serviceaccount:apps:web").paths.len(), 1);
    assert_eq!(q("aws:arn:aws:iam::1:root").paths.len(), 0);
}

#[test]
fn aws_principals_and_oidc_subjects() {
    let trust = json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/deploy:*"}}}]});
    let m = build(
        &[],
        &[role("arn:aws:iam::1:role/ci", trust)],
        &Default::default(),
    );
    let ids: Vec<&str> = m.paths.iter().map(|p| p.identity.as_str()).collect();
    assert!(ids.contains(&"aws:arn:aws:iam::1:root"), "{ids:?}");
    assert!(ids.contains(&"oidc:token.actions.githubusercontent.com sub=repo:acme/deploy:*"));
    let q = |s: &str| {
        select(&m, &[], None, &Query::Identity(s.into()))
            .paths
            .len()
    };
    assert_eq!(q("aws:arn:aws:iam::1:user/alice"), 1);
    assert_eq!(q("aws:arn:aws:iam::2:user/mallory"), 0);
    assert_eq!(
        q("oidc:token.actions.githubusercontent.com sub=repo:acme/deploy:ref:refs/heads/main"),
        1
    );
    assert_eq!(
        q("oidc:token.actions.githubusercontent.com sub=repo:evil/deploy:ref:refs/heads/main"),
        0
    );
}

#[test]
fn pod_identity_names_the_associated_service_accounts() {
    use crate::plan::rendered::PodIdentityAssociation;
    let arn = "arn:aws:iam::1:role/app";
    let trust = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]});
    let sa = Piece {
        kind: RenderedKind::ServiceAccount {
            cluster: "prod".into(),
            manifest: serde_json::Value::Null,
            pod_identity_association: Some(PodIdentityAssociation {
                cluster_name: "prod-eks".into(),
                namespace: "apps".into(),
                service_account: "app".into(),
                role_arn: arn.into(),
            }),
        },
        managed: false,
    };
    let m = build(
        &cluster(AccessMode::AccessEntries),
        &[role(arn, trust.clone()), sa],
        &Default::default(),
    );
    assert_eq!(m.paths.len(), 1, "{:?}", m.paths);
    let p = &m.paths[0];
    assert_eq!(p.identity, "pod-identity:apps/app");
    assert_eq!(p.cluster.as_deref(), Some("prod-eks"));
    // The association was made by hand: the path is not the stack's alone.
    assert!(!p.managed);
    assert!(admits(p, "pod-identity:apps/app"));
    assert!(admits(p, "system:serviceaccount:apps:app"));
    assert!(!admits(p, "system:serviceaccount:apps:other"));
    // With no association, any pod identity association could name it.
    let m = build(
        &cluster(AccessMode::AccessEntries),
        &[role(arn, trust)],
        &Default::default(),
    );
    assert_eq!(m.paths[0].identity, "pod-identity:*/*");
    assert!(admits(&m.paths[0], "pod-identity:ops/x"));
}
