//! Exercises `kube-test-server` with a real `kube::Client` built from the kubeconfig it writes.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{scratch_dir, Server};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

const ROLE_ARN_ANNOTATION: &str = "eks.amazonaws.com/role-arn";

/// Starts a server writing a two-context kubeconfig; returns it and a client for `context`.
async fn start(context: &str) -> (Server, Client) {
    // Both ring (kube) and aws-lc-rs (AWS SDK) are linked: rustls needs to be told which to use.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = scratch_dir("kube");
    let path = dir.join("kubeconfig");
    let server = Server::start(
        env!("CARGO_BIN_EXE_kube-test-server"),
        &[
            "--kubeconfig-out",
            path.to_str().unwrap(),
            "--context",
            "one",
            "--context",
            "two",
        ],
    );
    let kubeconfig = Kubeconfig::read_from(&path).unwrap();
    assert_eq!(kubeconfig.current_context.as_deref(), Some("one"));
    assert_eq!(kubeconfig.contexts.len(), 2);
    let options = KubeConfigOptions {
        context: Some(context.into()),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap();
    assert_eq!(config.cluster_url.to_string(), format!("{}/", server.url()));
    let client = Client::try_from(config).unwrap();
    (server, client)
}

fn meta(name: &str, labels: &[(&str, &str)]) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        labels: Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..Default::default()
    }
}

fn api_error(e: kube::Error) -> (u16, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.reason),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn names<K: kube::Resource>(items: &[K]) -> Vec<String> {
    items
        .iter()
        .map(|o| o.meta().name.clone().unwrap())
        .collect()
}

#[tokio::test]
async fn service_account_crud_conflicts_and_apply() {
    let (server, client) = start("two").await;
    let sas: Api<ServiceAccount> = Api::namespaced(client, "default");
    let pp = PostParams::default();

    let sa = ServiceAccount {
        metadata: meta("reader", &[("app.kubernetes.io/managed-by", "eksfed")]),
        ..Default::default()
    };
    let created = sas.create(&pp, &sa).await.unwrap();
    assert_eq!(created.metadata.namespace.as_deref(), Some("default"));
    assert!(created.metadata.uid.is_some());
    assert_eq!(
        api_error(sas.create(&pp, &sa).await.unwrap_err()),
        (409, "AlreadyExists".into())
    );

    let other = ServiceAccount {
        metadata: meta("other", &[]),
        ..Default::default()
    };
    sas.create(&pp, &other).await.unwrap();
    let managed = sas
        .list(&ListParams::default().labels("app.kubernetes.io/managed-by=eksfed"))
        .await
        .unwrap();
    assert_eq!(names(&managed.items), ["reader"]);
    assert_eq!(
        names(&sas.list(&ListParams::default()).await.unwrap().items),
        ["other", "reader"]
    );

    // Replace: fresh resourceVersion wins, the now-stale one conflicts.
    let mut fresh = sas.get("reader").await.unwrap();
    fresh.automount_service_account_token = Some(false);
    let replaced = sas.replace("reader", &pp, &fresh).await.unwrap();
    assert_ne!(
        replaced.metadata.resource_version,
        fresh.metadata.resource_version
    );
    assert_eq!(replaced.automount_service_account_token, Some(false));
    assert_eq!(
        api_error(sas.replace("reader", &pp, &fresh).await.unwrap_err()),
        (409, "Conflict".into())
    );

    // Server-side apply adds the annotation, re-applying without it removes it.
    let ssa = PatchParams::apply("eksfed").force();
    let with_role = json!({
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "reader", "annotations": {ROLE_ARN_ANNOTATION: "arn:aws:iam::123456789012:role/r"}},
    });
    let applied = sas
        .patch("reader", &ssa, &Patch::Apply(&with_role))
        .await
        .unwrap();
    assert_eq!(
        applied
            .metadata
            .annotations
            .unwrap_or_default()
            .get(ROLE_ARN_ANNOTATION)
            .map(String::as_str),
        Some("arn:aws:iam::123456789012:role/r")
    );
    let fields = applied.metadata.managed_fields.unwrap_or_default();
    assert!(
        fields
            .iter()
            .any(|f| f.manager.as_deref() == Some("eksfed")
                && f.operation.as_deref() == Some("Apply"))
    );
    let without =
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reader"}});
    let pruned = sas
        .patch("reader", &ssa, &Patch::Apply(&without))
        .await
        .unwrap();
    assert!(!pruned
        .metadata
        .annotations
        .unwrap_or_default()
        .contains_key(ROLE_ARN_ANNOTATION));
    // Labels set by the create (not by this manager) survive.
    assert_eq!(pruned.metadata.labels.unwrap_or_default().len(), 1);

    // Apply creates missing objects; dry-run creates nothing.
    let fresh_sa =
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "applied"}});
    sas.patch("applied", &ssa, &Patch::Apply(&fresh_sa))
        .await
        .unwrap();
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let ghost = ServiceAccount {
        metadata: meta("ghost", &[]),
        ..Default::default()
    };
    assert_eq!(
        sas.create(&dry, &ghost)
            .await
            .unwrap()
            .metadata
            .name
            .as_deref(),
        Some("ghost")
    );
    assert_eq!(
        api_error(sas.get("ghost").await.unwrap_err()),
        (404, "NotFound".into())
    );

    sas.delete("reader", &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(
        api_error(sas.get("reader").await.unwrap_err()),
        (404, "NotFound".into())
    );
    assert_eq!(
        api_error(
            sas.delete("reader", &DeleteParams::default())
                .await
                .unwrap_err()
        )
        .0,
        404
    );

    assert_eq!(server.count("POST serviceaccounts"), 4);
    assert_eq!(server.count("LIST serviceaccounts"), 2);
    assert_eq!(server.count("PATCH serviceaccounts"), 3);
    server.reset_counts();
    assert_eq!(server.count("POST serviceaccounts"), 0);
}

#[tokio::test]
async fn configmap_patches() {
    let (_server, client) = start("one").await;
    let cms: Api<ConfigMap> = Api::namespaced(client, "kube-system");
    let aws_auth = ConfigMap {
        metadata: meta("aws-auth", &[]),
        data: Some(BTreeMap::from([(
            "mapRoles".to_string(),
            "- rolearn: a\n".to_string(),
        )])),
        ..Default::default()
    };
    cms.create(&PostParams::default(), &aws_auth).await.unwrap();

    let merge = json!({"data": {"mapUsers": "[]\n"}});
    let merged = cms
        .patch("aws-auth", &PatchParams::default(), &Patch::Merge(&merge))
        .await
        .unwrap();
    let data = merged.data.unwrap();
    assert_eq!(data.keys().collect::<Vec<_>>(), ["mapRoles", "mapUsers"]);

    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/data/mapRoles", "value": "- rolearn: a\n"},
        {"op": "replace", "path": "/data/mapRoles", "value": "- rolearn: b\n"},
    ]))
    .unwrap();
    let patched = cms
        .patch("aws-auth", &PatchParams::default(), &Patch::Json::<()>(ops))
        .await
        .unwrap();
    assert_eq!(patched.data.unwrap()["mapRoles"], "- rolearn: b\n");

    // A failing `test` op is an API error, and the object is unchanged.
    let failing: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/data/mapRoles", "value": "- rolearn: a\n"},
    ]))
    .unwrap();
    let err = cms
        .patch(
            "aws-auth",
            &PatchParams::default(),
            &Patch::Json::<()>(failing),
        )
        .await;
    assert_eq!(api_error(err.unwrap_err()).0, 422);

    // Apply by a second manager without force conflicts with the first manager's field.
    let owner = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth"}, "data": {"mapRoles": "x"}});
    cms.patch(
        "aws-auth",
        &PatchParams::apply("eksfed").force(),
        &Patch::Apply(&owner),
    )
    .await
    .unwrap();
    let rival = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth"}, "data": {"mapRoles": "y"}});
    let err = cms
        .patch(
            "aws-auth",
            &PatchParams::apply("rival"),
            &Patch::Apply(&rival),
        )
        .await;
    assert_eq!(api_error(err.unwrap_err()), (409, "Conflict".into()));
    assert_eq!(
        cms.get("aws-auth").await.unwrap().data.unwrap()["mapRoles"],
        "x"
    );
}

#[tokio::test]
async fn rbac_and_leases() {
    let (_server, client) = start("one").await;
    let role_ref = RoleRef {
        api_group: "rbac.authorization.k8s.io".into(),
        kind: "ClusterRole".into(),
        name: "view".into(),
    };
    let subject = |name: &str| Subject {
        kind: "ServiceAccount".into(),
        name: name.into(),
        namespace: Some("default".into()),
        ..Default::default()
    };

    // RoleBinding created by server-side apply; re-applying with fewer subjects replaces the list.
    let rbs: Api<RoleBinding> = Api::namespaced(client.clone(), "default");
    let ssa = PatchParams::apply("eksfed").force();
    let rb = |subjects: Vec<Subject>| RoleBinding {
        metadata: meta("readers", &[("eksfed.io/stack", "s")]),
        role_ref: role_ref.clone(),
        subjects: Some(subjects),
    };
    let mut doc = serde_json::to_value(rb(vec![subject("a"), subject("b")])).unwrap();
    doc["apiVersion"] = json!("rbac.authorization.k8s.io/v1");
    doc["kind"] = json!("RoleBinding");
    let created = rbs
        .patch("readers", &ssa, &Patch::Apply(&doc))
        .await
        .unwrap();
    assert_eq!(created.subjects.unwrap().len(), 2);
    doc["subjects"] = serde_json::to_value(vec![subject("b")]).unwrap();
    let applied = rbs
        .patch("readers", &ssa, &Patch::Apply(&doc))
        .await
        .unwrap();
    assert_eq!(applied.subjects.unwrap()[0].name, "b");
    let by_label = rbs
        .list(&ListParams::default().labels("eksfed.io/stack=s"))
        .await
        .unwrap();
    assert_eq!(names(&by_label.items), ["readers"]);
    rbs.delete("readers", &DeleteParams::default())
        .await
        .unwrap();
    assert!(rbs
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .is_empty());

    // ClusterRoleBinding: cluster-scoped create, selector list, stale replace, delete.
    let crbs: Api<ClusterRoleBinding> = Api::all(client.clone());
    let crb = |name: &str, labels: &[(&str, &str)]| ClusterRoleBinding {
        metadata: meta(name, labels),
        role_ref: role_ref.clone(),
        subjects: Some(vec![subject("a")]),
    };
    let pp = PostParams::default();
    let first = crbs
        .create(&pp, &crb("x-admins", &[("tier", "admin")]))
        .await
        .unwrap();
    assert_eq!(first.metadata.namespace, None);
    crbs.create(&pp, &crb("y-viewers", &[("tier", "view")]))
        .await
        .unwrap();
    let admins = crbs
        .list(&ListParams::default().labels("tier in (admin)"))
        .await
        .unwrap();
    assert_eq!(names(&admins.items), ["x-admins"]);
    let mut current = crbs.get("x-admins").await.unwrap();
    current.subjects = None;
    crbs.replace("x-admins", &pp, &current).await.unwrap();
    assert_eq!(
        api_error(crbs.replace("x-admins", &pp, &current).await.unwrap_err()).0,
        409
    );
    crbs.delete("x-admins", &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(
        names(&crbs.list(&ListParams::default()).await.unwrap().items),
        ["y-viewers"]
    );

    // Lease: the lock object eksfed takes while applying.
    let leases: Api<Lease> = Api::namespaced(client, "kube-system");
    let lease = Lease {
        metadata: meta("eksfed-lock", &[]),
        spec: Some(LeaseSpec {
            holder_identity: Some("run-1".into()),
            lease_duration_seconds: Some(30),
            ..Default::default()
        }),
    };
    let taken = leases.create(&pp, &lease).await.unwrap();
    assert_eq!(
        api_error(leases.create(&pp, &lease).await.unwrap_err()).1,
        "AlreadyExists"
    );
    let mut mine = taken.clone();
    mine.spec.as_mut().unwrap().holder_identity = Some("run-2".into());
    leases.replace("eksfed-lock", &pp, &mine).await.unwrap();
    // A second writer holding the old resourceVersion loses.
    let mut theirs = taken;
    theirs.spec.as_mut().unwrap().holder_identity = Some("run-3".into());
    assert_eq!(
        api_error(
            leases
                .replace("eksfed-lock", &pp, &theirs)
                .await
                .unwrap_err()
        ),
        (409, "Conflict".into())
    );
    let held = leases.get("eksfed-lock").await.unwrap();
    assert_eq!(held.spec.unwrap().holder_identity.as_deref(), Some("run-2"));
    leases
        .delete("eksfed-lock", &DeleteParams::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn namespaces_pagination_and_discovery() {
    let (server, client) = start("one").await;
    let nss: Api<Namespace> = Api::all(client.clone());
    let seeded = names(&nss.list(&ListParams::default()).await.unwrap().items);
    assert!(seeded.contains(&"default".to_string()) && seeded.contains(&"kube-system".to_string()));
    assert_eq!(
        nss.get("kube-system")
            .await
            .unwrap()
            .status
            .unwrap()
            .phase
            .as_deref(),
        Some("Active")
    );

    // Writing into a missing namespace fails like a real API server.
    let team: Api<ServiceAccount> = Api::namespaced(client.clone(), "team");
    let sa = |name: &str| ServiceAccount {
        metadata: meta(name, &[]),
        ..Default::default()
    };
    let (code, reason) = api_error(
        team.create(&PostParams::default(), &sa("a"))
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (404, "NotFound"));

    nss.create(
        &PostParams::default(),
        &Namespace {
            metadata: meta("team", &[]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for name in ["e", "d", "c", "b", "a"] {
        team.create(&PostParams::default(), &sa(name))
            .await
            .unwrap();
    }
    let mut pages = Vec::new();
    let mut lp = ListParams::default().limit(2);
    loop {
        let page = team.list(&lp).await.unwrap();
        pages.push(names(&page.items));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => lp = lp.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(pages, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);

    // Deleting a namespace deletes what is in it.
    nss.delete("team", &DeleteParams::default()).await.unwrap();
    assert!(team
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(api_error(nss.get("team").await.unwrap_err()).0, 404);

    let version = client.apiserver_version().await.unwrap();
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "32")
    );
    let discovery = kube::Discovery::new(client).run().await.unwrap();
    let kinds: Vec<String> = discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
        .map(|(r, _)| r.kind)
        .collect();
    for kind in [
        "ServiceAccount",
        "ConfigMap",
        "RoleBinding",
        "ClusterRoleBinding",
        "Lease",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} missing from {kinds:?}"
        );
    }
    assert_eq!(server.count("LIST serviceaccounts"), 4);
    assert_eq!(server.count("GET /version"), 1);
}
