//! Exercises `eks-test-server` with the real `aws-sdk-eks` client pointed at it.
#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_eks::config::http::HttpResponse;
use aws_sdk_eks::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eks::types::{AccessScope, AccessScopeType};
use aws_sdk_eks::Client;
use common::Server;

const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF";
const ACCOUNT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/teams/platform/deployer";

fn policy(name: &str) -> String {
    format!("arn:aws:eks::aws:cluster-access-policy/{name}")
}

async fn start() -> (Server, Client) {
    let server = Server::start(
        env!("CARGO_BIN_EXE_eks-test-server"),
        &[
            "--cluster",
            &format!("prod={ISSUER}"),
            "--cluster",
            "dev",
            "--account-id",
            ACCOUNT,
        ],
    );
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "static"))
        .endpoint_url(server.url())
        .load()
        .await;
    (server, Client::new(&config))
}

/// `(HTTP status, error code)` of a failed SDK call.
fn failure<E: ProvideErrorMetadata + std::fmt::Debug>(
    e: SdkError<E, HttpResponse>,
) -> (u16, String) {
    let status = e
        .raw_response()
        .map(|r| r.status().as_u16())
        .unwrap_or_else(|| panic!("expected a service error, got {e:?}"));
    (status, e.code().unwrap_or_default().to_string())
}

#[tokio::test]
async fn access_entry_lifecycle() {
    let (server, eks) = start().await;
    describes_clusters(&eks).await;
    let entry_arn = creates_and_updates_an_entry(&eks).await;
    associates_policies(&eks).await;
    untags_and_deletes(&eks, &entry_arn).await;

    assert_eq!(server.count("CreateAccessEntry"), 2);
    assert_eq!(server.count("AssociateAccessPolicy"), 3);
    assert_eq!(server.count("DescribeCluster"), 2);
}

/// DescribeCluster: the ARN, the issuer given and one made up, the authentication mode.
async fn describes_clusters(eks: &Client) {
    let cluster = eks
        .describe_cluster()
        .name("prod")
        .send()
        .await
        .unwrap()
        .cluster
        .unwrap();
    assert_eq!(
        cluster.arn.as_deref(),
        Some("arn:aws:eks:us-east-1:111122223333:cluster/prod")
    );
    assert_eq!(
        cluster.identity.unwrap().oidc.unwrap().issuer.as_deref(),
        Some(ISSUER)
    );
    assert_eq!(
        cluster
            .access_config
            .unwrap()
            .authentication_mode
            .unwrap()
            .as_str(),
        "API_AND_CONFIG_MAP"
    );
    let dev_issuer = eks
        .describe_cluster()
        .name("dev")
        .send()
        .await
        .unwrap()
        .cluster
        .unwrap()
        .identity
        .unwrap()
        .oidc
        .unwrap()
        .issuer
        .unwrap();
    assert!(
        dev_issuer.starts_with("https://oidc.eks.us-east-1.amazonaws.com/id/"),
        "{dev_issuer}"
    );
}

/// CreateAccessEntry (a second one conflicts) and UpdateAccessEntry; the entry's ARN.
async fn creates_and_updates_an_entry(eks: &Client) -> String {
    let created = eks
        .create_access_entry()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .kubernetes_groups("deployers")
        .tags("eksfed:stack", "platform")
        .send()
        .await
        .unwrap()
        .access_entry
        .unwrap();
    // The generated username drops the role path.
    assert_eq!(
        created.username.as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/deployer/{{SessionName}}")
    );
    assert_eq!(created.r#type.as_deref(), Some("STANDARD"));
    assert_eq!(created.kubernetes_groups(), ["deployers"]);
    let entry_arn = created.access_entry_arn.clone().unwrap();
    assert!(
        entry_arn.starts_with(
            "arn:aws:eks:us-east-1:111122223333:access-entry/prod/role/111122223333/deployer/"
        ),
        "{entry_arn}"
    );

    let dup = eks
        .create_access_entry()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .send()
        .await;
    assert_eq!(
        failure(dup.unwrap_err()),
        (409, "ResourceInUseException".into())
    );

    let updated = eks
        .update_access_entry()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .kubernetes_groups("deployers")
        .kubernetes_groups("viewers")
        .username("deployer:{{SessionName}}")
        .send()
        .await
        .unwrap()
        .access_entry
        .unwrap();
    assert_eq!(updated.kubernetes_groups(), ["deployers", "viewers"]);
    assert_eq!(
        updated.username.as_deref(),
        Some("deployer:{{SessionName}}")
    );
    assert_eq!(updated.created_at, created.created_at);
    assert!(
        updated.modified_at.unwrap().as_secs_f64() >= created.created_at.unwrap().as_secs_f64()
    );
    entry_arn
}

/// AssociateAccessPolicy (re-associating replaces the scope), the listings, and
/// DisassociateAccessPolicy (twice: the second is not found).
async fn associates_policies(eks: &Client) {
    // Associate with a namespace scope, then re-associate the same policy cluster-wide.
    let scope = AccessScope::builder()
        .r#type(AccessScopeType::Namespace)
        .namespaces("payments")
        .build();
    let assoc = eks
        .associate_access_policy()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .policy_arn(policy("AmazonEKSEditPolicy"))
        .access_scope(scope)
        .send()
        .await
        .unwrap();
    let associated = assoc.associated_access_policy.unwrap();
    assert_eq!(associated.access_scope.unwrap().namespaces(), ["payments"]);
    let cluster_scope = AccessScope::builder()
        .r#type(AccessScopeType::Cluster)
        .build();
    eks.associate_access_policy()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .policy_arn(policy("AmazonEKSEditPolicy"))
        .access_scope(cluster_scope.clone())
        .send()
        .await
        .unwrap();
    eks.associate_access_policy()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .policy_arn(policy("AmazonEKSViewPolicy"))
        .access_scope(cluster_scope)
        .send()
        .await
        .unwrap();
    let listed = eks
        .list_associated_access_policies()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .send()
        .await
        .unwrap();
    let policies = listed.associated_access_policies();
    assert_eq!(policies.len(), 2);
    assert_eq!(
        policies[0].policy_arn.as_deref(),
        Some(policy("AmazonEKSEditPolicy").as_str())
    );
    let edit_scope = policies[0].access_scope.clone().unwrap();
    assert_eq!(edit_scope.r#type, Some(AccessScopeType::Cluster));
    assert!(edit_scope.namespaces().is_empty());

    let filtered = eks
        .list_access_entries()
        .cluster_name("prod")
        .associated_policy_arn(policy("AmazonEKSViewPolicy"))
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.access_entries(), [ROLE]);

    eks.disassociate_access_policy()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .policy_arn(policy("AmazonEKSViewPolicy"))
        .send()
        .await
        .unwrap();
    let again = eks
        .disassociate_access_policy()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .policy_arn(policy("AmazonEKSViewPolicy"))
        .send()
        .await;
    assert_eq!(
        failure(again.unwrap_err()),
        (404, "ResourceNotFoundException".into())
    );
}

/// The entry's tags, untagging, and DeleteAccessEntry.
async fn untags_and_deletes(eks: &Client, entry_arn: &str) {
    let tags = eks
        .list_tags_for_resource()
        .resource_arn(entry_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().unwrap().get("eksfed:stack").map(String::as_str),
        Some("platform")
    );
    eks.untag_resource()
        .resource_arn(entry_arn)
        .tag_keys("eksfed:stack")
        .send()
        .await
        .unwrap();
    let tags = eks
        .list_tags_for_resource()
        .resource_arn(entry_arn)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().unwrap_or(&Default::default()).is_empty());

    eks.delete_access_entry()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .send()
        .await
        .unwrap();
    let gone = eks
        .describe_access_entry()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .send()
        .await;
    assert_eq!(
        failure(gone.unwrap_err()),
        (404, "ResourceNotFoundException".into())
    );
}

#[tokio::test]
async fn validation_errors() {
    let (_server, eks) = start().await;

    let missing = eks.describe_cluster().name("nope").send().await;
    assert_eq!(
        failure(missing.unwrap_err()),
        (404, "ResourceNotFoundException".into())
    );
    let missing = eks
        .create_access_entry()
        .cluster_name("nope")
        .principal_arn(ROLE)
        .send()
        .await;
    assert_eq!(
        failure(missing.unwrap_err()),
        (404, "ResourceNotFoundException".into())
    );

    for username in ["system:admin", "eks:x", "aws:x", "amazon:x", "iam:x"] {
        let bad = eks
            .create_access_entry()
            .cluster_name("prod")
            .principal_arn(ROLE)
            .username(username)
            .send()
            .await;
        assert_eq!(
            failure(bad.unwrap_err()),
            (400, "InvalidParameterException".into()),
            "{username}"
        );
    }
    let masters = eks
        .create_access_entry()
        .cluster_name("prod")
        .principal_arn(ROLE)
        .kubernetes_groups("system:masters")
        .send()
        .await;
    assert_eq!(failure(masters.unwrap_err()).1, "InvalidParameterException");
    let session = eks
        .create_access_entry()
        .cluster_name("prod")
        .principal_arn("arn:aws:sts::111122223333:assumed-role/deployer/me")
        .send()
        .await;
    assert_eq!(failure(session.unwrap_err()).1, "InvalidParameterException");

    // Nothing above created an entry.
    let entries = eks
        .list_access_entries()
        .cluster_name("prod")
        .send()
        .await
        .unwrap();
    assert!(entries.access_entries().is_empty());

    let user = "arn:aws:iam::111122223333:user/alice";
    let created = eks
        .create_access_entry()
        .cluster_name("prod")
        .principal_arn(user)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.access_entry.unwrap().username.as_deref(),
        Some(user)
    );
    let scope = AccessScope::builder()
        .r#type(AccessScopeType::Cluster)
        .build();
    let unknown = eks
        .associate_access_policy()
        .cluster_name("prod")
        .principal_arn(user)
        .policy_arn(policy("AmazonEKSGodModePolicy"))
        .access_scope(scope)
        .send()
        .await;
    assert_eq!(
        failure(unknown.unwrap_err()),
        (400, "InvalidParameterException".into())
    );
    let no_namespaces = eks
        .associate_access_policy()
        .cluster_name("prod")
        .principal_arn(user)
        .policy_arn(policy("AmazonEKSViewPolicy"))
        .access_scope(
            AccessScope::builder()
                .r#type(AccessScopeType::Namespace)
                .build(),
        )
        .send()
        .await;
    assert_eq!(failure(no_namespaces.unwrap_err()).0, 400);

    for max in [0, 101] {
        let bad = eks
            .list_access_entries()
            .cluster_name("prod")
            .max_results(max)
            .send()
            .await;
        assert_eq!(
            failure(bad.unwrap_err()),
            (400, "InvalidParameterException".into())
        );
    }
    let bad_token = eks.list_access_policies().next_token("zz").send().await;
    assert_eq!(
        failure(bad_token.unwrap_err()).1,
        "InvalidParameterException"
    );

    // Node entries get EKS-assigned identities and refuse custom ones.
    let node_role = "arn:aws:iam::111122223333:role/nodes";
    let node = eks
        .create_access_entry()
        .cluster_name("prod")
        .principal_arn(node_role)
        .r#type("EC2_LINUX")
        .send()
        .await
        .unwrap()
        .access_entry
        .unwrap();
    assert_eq!(
        node.username.as_deref(),
        Some("system:node:{{EC2PrivateDNSName}}")
    );
    assert_eq!(node.kubernetes_groups(), ["system:nodes"]);
}

#[tokio::test]
async fn pagination() {
    let (_server, eks) = start().await;
    let principals: Vec<String> = (1..=3)
        .map(|i| format!("arn:aws:iam::111122223333:role/r{i}"))
        .collect();
    for p in principals.iter().rev() {
        eks.create_access_entry()
            .cluster_name("dev")
            .principal_arn(p)
            .send()
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = eks
            .list_access_entries()
            .cluster_name("dev")
            .max_results(1)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert_eq!(page.access_entries().len(), 1);
        seen.extend(page.access_entries().iter().cloned());
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, principals);

    // The SDK paginator walks the same tokens.
    let names: Vec<String> = eks
        .list_access_policies()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name.unwrap())
        .collect();
    assert_eq!(names.len(), 6);
    assert!(names.contains(&"AmazonEKSClusterAdminPolicy".to_string()));
    let arns: Vec<String> = eks
        .list_access_policies()
        .send()
        .await
        .unwrap()
        .access_policies()
        .iter()
        .map(|p| p.arn.clone().unwrap())
        .collect();
    assert!(arns.contains(&policy("AmazonEKSSecretReaderPolicy")));
}

#[tokio::test]
async fn pod_identity_association_lifecycle() {
    let (server, eks) = start().await;
    let role = "arn:aws:iam::111122223333:role/payments-api";
    let created = eks
        .create_pod_identity_association()
        .cluster_name("prod")
        .namespace("payments")
        .service_account("api")
        .role_arn(role)
        .tags("eksfed:stack", "platform")
        .send()
        .await
        .unwrap()
        .association
        .unwrap();
    let id = created.association_id.clone().unwrap();
    assert!(id.starts_with("a-") && id.len() == 19, "{id}");
    assert_eq!(
        created.association_arn.as_deref(),
        Some(
            format!("arn:aws:eks:us-east-1:111122223333:podidentityassociation/prod/{id}").as_str()
        )
    );
    assert_eq!(created.disable_session_tags, Some(false));
    assert_eq!(created.external_id, None);

    let dup = eks
        .create_pod_identity_association()
        .cluster_name("prod")
        .namespace("payments")
        .service_account("api")
        .role_arn(role)
        .send()
        .await;
    assert_eq!(
        failure(dup.unwrap_err()),
        (409, "ResourceInUseException".into())
    );
    eks.create_pod_identity_association()
        .cluster_name("prod")
        .namespace("search")
        .service_account("indexer")
        .role_arn(role)
        .send()
        .await
        .unwrap();

    let in_payments = eks
        .list_pod_identity_associations()
        .cluster_name("prod")
        .namespace("payments")
        .send()
        .await
        .unwrap();
    assert_eq!(in_payments.associations().len(), 1);
    assert_eq!(
        in_payments.associations()[0].service_account.as_deref(),
        Some("api")
    );
    let all = eks
        .list_pod_identity_associations()
        .cluster_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(all.associations().len(), 2);

    let target = "arn:aws:iam::444455556666:role/cross-account";
    let updated = eks
        .update_pod_identity_association()
        .cluster_name("prod")
        .association_id(&id)
        .target_role_arn(target)
        .disable_session_tags(true)
        .send()
        .await
        .unwrap()
        .association
        .unwrap();
    assert_eq!(updated.target_role_arn.as_deref(), Some(target));
    assert!(updated.external_id.is_some());
    assert_eq!(updated.disable_session_tags, Some(true));
    assert_eq!(updated.role_arn.as_deref(), Some(role));
    let described = eks
        .describe_pod_identity_association()
        .cluster_name("prod")
        .association_id(&id)
        .send()
        .await
        .unwrap()
        .association
        .unwrap();
    assert_eq!(
        described
            .tags()
            .unwrap()
            .get("eksfed:stack")
            .map(String::as_str),
        Some("platform")
    );

    let bad_role = eks
        .create_pod_identity_association()
        .cluster_name("prod")
        .namespace("x")
        .service_account("y")
        .role_arn("arn:aws:iam::111122223333:user/alice")
        .send()
        .await;
    assert_eq!(
        failure(bad_role.unwrap_err()),
        (400, "InvalidParameterException".into())
    );

    let deleted = eks
        .delete_pod_identity_association()
        .cluster_name("prod")
        .association_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.association.unwrap().association_id.as_deref(),
        Some(id.as_str())
    );
    let gone = eks
        .describe_pod_identity_association()
        .cluster_name("prod")
        .association_id(&id)
        .send()
        .await;
    assert_eq!(
        failure(gone.unwrap_err()),
        (404, "ResourceNotFoundException".into())
    );
    let tags = eks
        .list_tags_for_resource()
        .resource_arn(created.association_arn.unwrap())
        .send()
        .await;
    assert_eq!(
        failure(tags.unwrap_err()),
        (404, "NotFoundException".into())
    );
    assert_eq!(server.count("CreatePodIdentityAssociation"), 4);
}
