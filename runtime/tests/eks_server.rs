//! `eks::read`, `eks::apply` and `eks::adopt` against eks-test-server through the real
//! aws-sdk-eks client (built by `aws::clients_with`). Desired objects come from compiling HCL
//! (`access_mode = "access_entries"`, pod identity service accounts); changes are built from
//! the rendered resources and the live pieces read back, or come from the real diff. Request
//! order is observed through faults proxy's log; request counts through the server's counter.
//!
//! The servers are binaries of tests/servers: `cargo build -p eksfed-test-servers --bins`
//! (tests/run.sh builds the whole workspace first).
#![allow(clippy::unwrap_used)]

use aws_sdk_eks::types::{AccessScope, AccessScopeType};
use eksfed_compiler::kinds::kind::ObjectKey;
use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::plan::diff::{diff, normalize, DiffOptions};
use eksfed_compiler::plan::live::{self, LiveObject, LiveState};
use eksfed_compiler::plan::render::{self};
use eksfed_compiler::plan::rendered::Rendered;
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::plan::rendered::RenderedResource;
use eksfed_compiler::plan::rendered::STACK_TAG;
use eksfed_compiler::plan::{Action, AwsSettingsDoc, Change};
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs,
};
use eksfed_runtime::aws::{clients_with, AwsClients};
use eksfed_runtime::eks;
use eksfed_test_servers::Spawned;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read as _, Write as _};

const STACK: &str = "team-a";
const ACCOUNT: &str = "111122223333";
const CLUSTER: &str = "prod";
const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB";

fn init_env() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            // The test server has no eventual consistency: a failure should surface quickly.
            ("EKSFED_RETRY_BUDGET_SECS", "2"),
        ] {
            std::env::set_var(k, v);
        }
    });
}

/// One eks-test-server (its own state), optionally behind a faults proxy, and the clients.
struct World {
    server: Spawned,
    proxy: Option<Spawned>,
    aws: AwsClients,
}

impl World {
    async fn new() -> World {
        Self::start(false).await
    }

    /// With a faults proxy between the SDK and the server (its log shows the request order).
    async fn proxied() -> World {
        Self::start(true).await
    }

    async fn start(proxied: bool) -> World {
        init_env();
        let server = Spawned::start(
            "eks-test-server",
            &[
                "--cluster",
                &format!("{CLUSTER}={ISSUER}"),
                "--cluster",
                "other",
                "--account-id",
                ACCOUNT,
            ],
        )
        .unwrap();
        let proxy =
            proxied.then(|| Spawned::start("faults", &["--upstream", &server.url()]).unwrap());
        let endpoint = proxy.as_ref().unwrap_or(&server).url();
        let aws = clients_with(
            &AwsSettingsDoc {
                region: Some("us-east-1".into()),
                profile: None,
                endpoint: Some(endpoint),
            },
            vec![],
        )
        .await;
        World { server, proxy, aws }
    }

    fn eks(&self) -> &aws_sdk_eks::Client {
        &self.aws.eks
    }

    async fn read(&self, wanted: &BTreeSet<ObjectKey>) -> Vec<LiveObject> {
        eks::read(self.eks(), CLUSTER, CLUSTER, STACK, wanted)
            .await
            .unwrap()
    }

    async fn apply(&self, change: &Change) -> anyhow::Result<()> {
        eks::apply(self.eks(), CLUSTER, CLUSTER, STACK, change).await
    }

    /// `(method, path)` of every request the proxy saw since the last reset.
    fn requests(&self) -> Vec<(String, String)> {
        let (_, body) = http(self.proxy.as_ref().unwrap(), "GET", "/__fault/log", None);
        let log: Value = serde_json::from_str(&body).unwrap();
        log.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["method"].as_str().unwrap().to_string(),
                    urlencoding::decode(e["path"].as_str().unwrap())
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect()
    }

    fn reset_log(&self) {
        http(self.proxy.as_ref().unwrap(), "POST", "/__fault/reset", None);
    }

    fn rules(&self, rules: Value) {
        let (code, body) = http(
            self.proxy.as_ref().unwrap(),
            "POST",
            "/__fault/rules",
            Some(&json!({ "rules": rules }).to_string()),
        );
        assert_eq!(code, 200, "{body}");
    }

    /// The server's request counter, by EKS operation name.
    fn counts(&self) -> BTreeMap<String, u64> {
        let (_, body) = http(&self.server, "GET", "/__eksfed/requests", None);
        let v: Value = serde_json::from_str(&body).unwrap();
        serde_json::from_value(v["requests"].clone()).unwrap()
    }

    fn reset_counts(&self) {
        http(&self.server, "POST", "/__eksfed/reset-counts", None);
    }
}

/// One HTTP/1.1 request; `(status, body)`.
fn http(server: &Spawned, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (
        head.split(' ').nth(1).unwrap().parse().unwrap(),
        body.to_string(),
    )
}

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
}

/// What varies between the versions of the stack.
struct Spec<'a> {
    /// Path of the `admins` role (a new path is a new principal ARN).
    path: &'a str,
    /// `type` of the access entry.
    entry_type: &'a str,
    username: Option<&'a str>,
    groups: &'a str,
    policies: &'a str,
    /// The role of the pod identity service account: `app` or `app2`.
    sa_role: &'a str,
}

const V1: Spec<'static> = Spec {
    path: "/",
    entry_type: "STANDARD",
    username: Some("admin:{{SessionName}}"),
    groups: r#"["platform:admins"]"#,
    policies: r#"[
    { policy = "AmazonEKSViewPolicy", scope = "namespace", namespaces = ["apps"] },
    { policy = "AmazonEKSEditPolicy" },
  ]"#,
    sa_role: "app",
};

const TEMPLATE: &str = r#"
stack "team-a" {
  account_id = "111122223333"
}
cluster "prod" {
  name            = "prod"
  region          = "us-east-1"
  oidc_issuer_url = "ISSUER"
  access_mode     = "access_entries"
}
role "admins" {
  name = "platform-admins"
  path = "PATH"
  trust_aws { principals = ["arn:aws:iam::111122223333:root"] }
}
access "admins" {
  cluster         = cluster.prod
  role            = role.admins
  type            = "TYPE"
  USERNAME
  groups          = GROUPS
  access_policies = POLICIES
}
access "ci" {
  cluster         = cluster.prod
  role_arn        = "arn:aws:iam::111122223333:role/ci/deployer"
  access_policies = [{ policy = "AmazonEKSClusterAdminPolicy" }]
}
role "app" {
  name = "app"
  trust_pod_identity {}
}
role "app2" {
  name = "app2"
  trust_pod_identity {}
}
service_account "app" {
  cluster   = cluster.prod
  namespace = "apps"
  name      = "app"
  role      = role.SA_ROLE
  mode      = "pod_identity"
}
"#;

fn compiled(spec: &Spec) -> Compiled {
    let hcl = TEMPLATE
        .replace("ISSUER", ISSUER)
        .replace("PATH", spec.path)
        .replace("TYPE", spec.entry_type)
        .replace(
            "USERNAME",
            &spec
                .username
                .map(|u| format!("username = \"{u}\""))
                .unwrap_or_default(),
        )
        .replace("GROUPS", spec.groups)
        .replace("POLICIES", spec.policies)
        .replace("SA_ROLE", spec.sa_role);
    let c = compile(CompileInput {
        files: vec![("main.hcl".into(), hcl)],
        reader: &NoFiles,
        vars: VarInputs::default(),
        facts: Facts {
            account_id: Some(ACCOUNT.into()),
            ..Default::default()
        },
    });
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| c.sources.render(d))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    c
}

fn rendered(spec: &Spec) -> Rendered {
    render::render(compiled(spec).desired.as_ref().unwrap())
}

/// The EKS-side resources (`access.*`, `service_account.*`) of a rendered stack.
fn eks_side(r: &Rendered) -> Vec<RenderedResource> {
    r.resources
        .iter()
        .filter(|x| matches!(x.kind.type_name(), "access" | "service_account"))
        .cloned()
        .collect()
}

fn resource(r: &Rendered, address: &str) -> RenderedResource {
    r.resources
        .iter()
        .find(|x| x.address == address)
        .unwrap_or_else(|| panic!("no {address}"))
        .clone()
}

fn wanted(resources: &[RenderedResource]) -> BTreeSet<ObjectKey> {
    resources
        .iter()
        .flat_map(|x| eksfed_compiler::kinds::keys(&x.kind))
        .collect()
}

fn change(
    action: Action,
    before: Option<RenderedResource>,
    after: Option<RenderedResource>,
) -> Change {
    let any = after.as_ref().or(before.as_ref()).unwrap();
    Change {
        address: any.address.clone(),
        kind: any.kind.type_name().to_string(),
        action,
        reason: None,
        before,
        after,
        depends_on: vec![],
        keys: vec![],
        importing: None,
        sensitive: vec![],
        security: vec![],
    }
}

/// The live piece of the EKS side of `desired` (access entry or pod identity association), as
/// the `before` of a change.
fn live_of(objects: &[LiveObject], desired: &RenderedResource) -> Option<RenderedResource> {
    let keys = eksfed_compiler::kinds::keys(&desired.kind);
    objects
        .iter()
        .find(|o| keys.contains(&o.key) && o.key.starts_with("eks:"))
        .map(|o| live::resource(desired.address.clone(), o.piece.clone()))
}

/// What the diff compares of the EKS side: the whole access resource (access_entries mode has
/// no aws-auth piece), the association of a service account (its manifest is Kubernetes').
fn comparable(kind: &RenderedKind, desired: &RenderedKind) -> Value {
    let n = normalize(kind, desired);
    match desired {
        RenderedKind::ServiceAccount { .. } => n["pod_identity_association"].clone(),
        _ => n,
    }
}

/// Every EKS-side desired resource has a live piece, owned by the stack, that normalises
/// equal to it.
fn assert_converged(objects: &[LiveObject], desired: &[RenderedResource]) {
    for d in desired {
        let key = eksfed_compiler::kinds::keys(&d.kind)
            .into_iter()
            .find(|k| k.starts_with("eks:"))
            .unwrap();
        let o = objects
            .iter()
            .find(|o| o.key == key)
            .unwrap_or_else(|| panic!("{}: nothing read at {key}", d.address));
        assert_eq!(o.owner.as_deref(), Some(STACK), "{key}");
        assert_eq!(
            comparable(&o.piece, &d.kind),
            comparable(&d.kind, &d.kind),
            "{}: the live piece differs from the desired one",
            d.address
        );
    }
    assert_eq!(objects.len(), desired.len(), "{objects:#?}");
}

fn admins_arn(path: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role{path}platform-admins")
}

async fn describe_entry(w: &World, principal: &str) -> Option<aws_sdk_eks::types::AccessEntry> {
    match w
        .eks()
        .describe_access_entry()
        .cluster_name(CLUSTER)
        .principal_arn(principal)
        .send()
        .await
    {
        Ok(o) => o.access_entry,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            None
        }
        Err(e) => panic!("{e:?}"),
    }
}

async fn association_ids(w: &World) -> BTreeMap<String, String> {
    w.eks()
        .list_pod_identity_associations()
        .cluster_name(CLUSTER)
        .send()
        .await
        .unwrap()
        .associations()
        .iter()
        .map(|a| {
            (
                format!(
                    "{}/{}",
                    a.namespace().unwrap_or_default(),
                    a.service_account().unwrap_or_default()
                ),
                a.association_id().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn policies_of(w: &World, principal: &str) -> BTreeMap<String, (String, Vec<String>)> {
    w.eks()
        .list_associated_access_policies()
        .cluster_name(CLUSTER)
        .principal_arn(principal)
        .send()
        .await
        .unwrap()
        .associated_access_policies()
        .iter()
        .map(|p| {
            let s = p.access_scope().unwrap();
            (
                p.policy_arn()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                (
                    s.r#type().unwrap().as_str().to_string(),
                    s.namespaces().to_vec(),
                ),
            )
        })
        .collect()
}

fn tags(owner: Option<&str>) -> Option<HashMap<String, String>> {
    owner.map(|o| HashMap::from([(STACK_TAG.to_string(), o.to_string())]))
}

/// Creates an access entry outside eksfed, tagged with `owner`.
async fn seed_entry(w: &World, principal: &str, owner: Option<&str>) {
    w.eks()
        .create_access_entry()
        .cluster_name(CLUSTER)
        .principal_arn(principal)
        .set_tags(tags(owner))
        .send()
        .await
        .unwrap();
}

/// Creates a pod identity association outside eksfed, tagged with `owner`.
async fn seed_association(w: &World, ns: &str, sa: &str, owner: Option<&str>) {
    w.eks()
        .create_pod_identity_association()
        .cluster_name(CLUSTER)
        .namespace(ns)
        .service_account(sa)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/{sa}"))
        .set_tags(tags(owner))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn create_update_delete_round_trip() {
    let w = World::new().await;
    let v1 = eks_side(&rendered(&V1));
    assert_eq!(v1.len(), 3, "access.admins, access.ci, service_account.app");

    // Create: entries with namespace- and cluster-scoped policies, and the association.
    for d in &v1 {
        w.apply(&change(Action::Create, None, Some(d.clone())))
            .await
            .unwrap_or_else(|e| panic!("{}: {e:#}", d.address));
    }
    let objects = w.read(&wanted(&v1)).await;
    assert_converged(&objects, &v1);
    let admins = admins_arn("/");
    let entry = describe_entry(&w, &admins).await.unwrap();
    assert_eq!(entry.username(), Some("admin:{{SessionName}}"));
    assert_eq!(entry.kubernetes_groups(), ["platform:admins"]);
    assert_eq!(
        entry.tags().unwrap().get(STACK_TAG).map(String::as_str),
        Some(STACK)
    );
    assert_eq!(
        policies_of(&w, &admins).await,
        BTreeMap::from([
            (
                "AmazonEKSEditPolicy".to_string(),
                ("cluster".to_string(), vec![])
            ),
            (
                "AmazonEKSViewPolicy".to_string(),
                ("namespace".to_string(), vec!["apps".to_string()])
            ),
        ])
    );
    let entry_meta = objects
        .iter()
        .find(|o| o.key == eksfed_compiler::kinds::access::key_access_entry(CLUSTER, &admins))
        .unwrap()
        .meta
        .clone();
    assert_eq!(
        entry_meta["access_entry_arn"].as_str(),
        entry.access_entry_arn()
    );
    let ids = association_ids(&w).await;
    let assoc = objects
        .iter()
        .find(|o| {
            o.key
                == eksfed_compiler::kinds::service_account::key_pod_identity(CLUSTER, "apps", "app")
        })
        .unwrap();
    assert_eq!(
        assoc.meta["association_id"].as_str(),
        Some(ids["apps/app"].as_str())
    );

    // The real diff over what was read plans nothing for the EKS side.
    let c = compiled(&V1);
    let (plan, diags) = diff(
        c.desired.as_ref().unwrap(),
        c.graph.as_ref().unwrap(),
        &LiveState {
            account_id: ACCOUNT.into(),
            objects: objects.clone(),
        },
        &DiffOptions::default(),
    );
    assert!(!diags.has_errors());
    for ch in plan.changes.iter().filter(|c| c.kind == "access") {
        assert_eq!(ch.action, Action::NoOp, "{}", ch.address);
    }

    // Update: groups and username changed, a scope widened, a policy swapped for another, the
    // association's role changed. Entries and the association are updated in place.
    let v2_spec = Spec {
        username: Some("platform:{{SessionName}}"),
        groups: r#"["platform:admins", "platform:oncall"]"#,
        policies: r#"[
    { policy = "AmazonEKSViewPolicy", scope = "namespace", namespaces = ["web", "apps"] },
    { policy = "AmazonEKSAdminPolicy", scope = "namespace", namespaces = ["ops"] },
  ]"#,
        sa_role: "app2",
        ..V1
    };
    let v2 = eks_side(&rendered(&v2_spec));
    w.reset_counts();
    for d in &v2 {
        let before = live_of(&objects, d);
        if comparable(&before.as_ref().unwrap().kind, &d.kind) == comparable(&d.kind, &d.kind) {
            continue;
        }
        w.apply(&change(Action::Update, before, Some(d.clone())))
            .await
            .unwrap_or_else(|e| panic!("{}: {e:#}", d.address));
    }
    let counts = w.counts();
    assert_eq!(counts.get("UpdateAccessEntry"), Some(&1), "{counts:?}");
    assert_eq!(
        counts.get("DisassociateAccessPolicy"),
        Some(&1),
        "{counts:?}"
    );
    assert_eq!(counts.get("AssociateAccessPolicy"), Some(&2), "{counts:?}");
    assert_eq!(
        counts.get("UpdatePodIdentityAssociation"),
        Some(&1),
        "{counts:?}"
    );
    for write in [
        "CreateAccessEntry",
        "DeleteAccessEntry",
        "CreatePodIdentityAssociation",
        "DeletePodIdentityAssociation",
    ] {
        assert_eq!(counts.get(write), None, "{write}: {counts:?}");
    }
    let objects2 = w.read(&wanted(&v2)).await;
    assert_converged(&objects2, &v2);
    let entry2 = describe_entry(&w, &admins).await.unwrap();
    assert_eq!(entry2.access_entry_arn(), entry.access_entry_arn());
    assert_eq!(entry2.username(), Some("platform:{{SessionName}}"));
    assert_eq!(association_ids(&w).await, ids, "updated in place");
    assert_eq!(
        policies_of(&w, &admins).await["AmazonEKSViewPolicy"],
        (
            "namespace".to_string(),
            vec!["web".to_string(), "apps".to_string()]
        )
    );

    // Delete: nothing of the stack is left.
    for d in &v2 {
        let before = live_of(&objects2, d);
        w.apply(&change(Action::Delete, before, None))
            .await
            .unwrap_or_else(|e| panic!("{}: {e:#}", d.address));
    }
    assert!(w.read(&wanted(&v2)).await.is_empty());
    assert!(describe_entry(&w, &admins).await.is_none());
    assert!(association_ids(&w).await.is_empty());
}

#[tokio::test]
async fn replace_deletes_then_creates() {
    let w = World::proxied().await;
    let v1 = eks_side(&rendered(&V1));
    for d in &v1 {
        w.apply(&change(Action::Create, None, Some(d.clone())))
            .await
            .unwrap();
    }
    let objects = w.read(&wanted(&v1)).await;
    let old = admins_arn("/");
    let old_entry_arn = describe_entry(&w, &old)
        .await
        .unwrap()
        .access_entry_arn()
        .unwrap()
        .to_string();

    // The role moves to another path: a new principal. The real diff pairs the new entry with
    // the old one into one replace.
    let v2_spec = Spec {
        path: "/people/",
        ..V1
    };
    let c = compiled(&v2_spec);
    let (plan, diags) = diff(
        c.desired.as_ref().unwrap(),
        c.graph.as_ref().unwrap(),
        &LiveState {
            account_id: ACCOUNT.into(),
            objects,
        },
        &DiffOptions::default(),
    );
    assert!(!diags.has_errors());
    let replace = plan
        .changes
        .iter()
        .find(|c| c.address == "access.admins")
        .unwrap();
    assert_eq!(replace.action, Action::Replace, "{:?}", replace.reason);
    assert!(!plan
        .changes
        .iter()
        .any(|c| c.kind == "access" && c.action == Action::Delete));

    w.reset_log();
    w.apply(replace).await.unwrap();
    let new = admins_arn("/people/");
    let writes: Vec<(String, String)> = w
        .requests()
        .into_iter()
        .filter(|(m, _)| m != "GET")
        .collect();
    let entries = format!("/clusters/{CLUSTER}/access-entries");
    assert_eq!(
        writes,
        [
            ("DELETE".to_string(), format!("{entries}/{old}")),
            ("POST".to_string(), entries.clone()),
            (
                "POST".to_string(),
                format!("{entries}/{new}/access-policies")
            ),
            (
                "POST".to_string(),
                format!("{entries}/{new}/access-policies")
            ),
        ]
    );
    assert!(describe_entry(&w, &old).await.is_none());
    let fresh = describe_entry(&w, &new).await.unwrap();
    assert_ne!(fresh.access_entry_arn(), Some(old_entry_arn.as_str()));
    let v2 = eks_side(&rendered(&v2_spec));
    assert_converged(&w.read(&wanted(&v2)).await, &v2);

    // An entry type change replaces the entry of the same principal.
    let node_spec = Spec {
        path: "/people/",
        entry_type: "EC2_LINUX",
        username: None,
        groups: "[]",
        policies: "[]",
        ..V1
    };
    let node = resource(&rendered(&node_spec), "access.admins");
    let before = live_of(&w.read(&wanted(&v2)).await, &node);
    w.reset_log();
    w.apply(&change(Action::Replace, before, Some(node.clone())))
        .await
        .unwrap();
    let writes: Vec<String> = w
        .requests()
        .into_iter()
        .filter(|(m, _)| m != "GET")
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert_eq!(
        writes,
        [format!("DELETE {entries}/{new}"), format!("POST {entries}")]
    );
    let e = describe_entry(&w, &new).await.unwrap();
    assert_eq!(e.r#type(), Some("EC2_LINUX"));

    // A replaced association is deleted, then created (a new id).
    let sa = resource(&rendered(&v2_spec), "service_account.app");
    let before = live_of(&w.read(&wanted(&v2)).await, &sa);
    let id_before = association_ids(&w).await["apps/app"].clone();
    let sa2 = resource(
        &rendered(&Spec {
            sa_role: "app2",
            ..V1
        }),
        "service_account.app",
    );
    w.reset_log();
    w.apply(&change(Action::Replace, before, Some(sa2.clone())))
        .await
        .unwrap();
    let assocs = format!("/clusters/{CLUSTER}/pod-identity-associations");
    let writes: Vec<String> = w
        .requests()
        .into_iter()
        .filter(|(m, _)| m != "GET")
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert_eq!(
        writes,
        [
            format!("DELETE {assocs}/{id_before}"),
            format!("POST {assocs}")
        ]
    );
    let id_after = association_ids(&w).await["apps/app"].clone();
    assert_ne!(id_before, id_after);
    assert_converged(
        &w.read(&wanted(std::slice::from_ref(&sa2)))
            .await
            .into_iter()
            .filter(|o| o.key.contains("pod-identity"))
            .collect::<Vec<_>>(),
        std::slice::from_ref(&sa2),
    );
}

#[tokio::test]
async fn read_returns_owned_and_wanted_never_foreign() {
    let w = World::new().await;
    let arn = |n: &str| format!("arn:aws:iam::{ACCOUNT}:role/{n}");
    seed_entry(&w, &arn("owned"), Some(STACK)).await;
    seed_entry(&w, &arn("wanted-unowned"), None).await;
    seed_entry(&w, &arn("wanted-other"), Some("other-stack")).await;
    seed_entry(&w, &arn("foreign-other"), Some("other-stack")).await;
    seed_entry(&w, &arn("foreign-untagged"), None).await;
    seed_association(&w, "a", "owned", Some(STACK)).await;
    seed_association(&w, "a", "wanted-unowned", None).await;
    seed_association(&w, "a", "foreign-other", Some("other-stack")).await;
    seed_association(&w, "a", "foreign-untagged", None).await;
    // Another cluster's objects are never read.
    w.eks()
        .create_access_entry()
        .cluster_name("other")
        .principal_arn(arn("owned-elsewhere"))
        .set_tags(tags(Some(STACK)))
        .send()
        .await
        .unwrap();

    let wanted: BTreeSet<ObjectKey> = [
        eksfed_compiler::kinds::access::key_access_entry(CLUSTER, &arn("wanted-unowned")),
        eksfed_compiler::kinds::access::key_access_entry(CLUSTER, &arn("wanted-other")),
        eksfed_compiler::kinds::access::key_access_entry(CLUSTER, &arn("absent")),
        eksfed_compiler::kinds::service_account::key_pod_identity(CLUSTER, "a", "wanted-unowned"),
    ]
    .into();
    let read: BTreeMap<String, Option<String>> = w
        .read(&wanted)
        .await
        .into_iter()
        .map(|o| (o.key, o.owner))
        .collect();
    let expect: BTreeMap<String, Option<String>> = [
        (
            eksfed_compiler::kinds::access::key_access_entry(CLUSTER, &arn("owned")),
            Some(STACK.to_string()),
        ),
        (
            eksfed_compiler::kinds::access::key_access_entry(CLUSTER, &arn("wanted-unowned")),
            None,
        ),
        (
            eksfed_compiler::kinds::access::key_access_entry(CLUSTER, &arn("wanted-other")),
            Some("other-stack".to_string()),
        ),
        (
            eksfed_compiler::kinds::service_account::key_pod_identity(CLUSTER, "a", "owned"),
            Some(STACK.to_string()),
        ),
        (
            eksfed_compiler::kinds::service_account::key_pod_identity(
                CLUSTER,
                "a",
                "wanted-unowned",
            ),
            None,
        ),
    ]
    .into();
    assert_eq!(read, expect);

    // eksfed never changes what it does not own: updates and deletes are refused, untouched.
    let piece = |principal: &str| {
        live::resource(
            "access.x".into(),
            live::access_entry_piece(
                CLUSTER,
                eksfed_compiler::plan::rendered::AccessEntry {
                    principal_arn: principal.to_string(),
                    username: None,
                    kubernetes_groups: vec![],
                    entry_type: "STANDARD".into(),
                    access_policies: vec![],
                },
            ),
        )
    };
    for principal in [arn("wanted-unowned"), arn("foreign-other")] {
        let mut after = piece(&principal);
        if let RenderedKind::Access {
            access_entry: Some(e),
            ..
        } = &mut after.kind
        {
            e.kubernetes_groups = vec!["taken:over".into()];
        }
        let e = w
            .apply(&change(
                Action::Update,
                Some(piece(&principal)),
                Some(after),
            ))
            .await
            .unwrap_err();
        assert!(format!("{e:#}").contains("not owned"), "{e:#}");
        let e = w
            .apply(&change(Action::Delete, Some(piece(&principal)), None))
            .await
            .unwrap_err();
        assert!(format!("{e:#}").contains("not owned"), "{e:#}");
        let entry = describe_entry(&w, &principal).await.unwrap();
        assert!(entry.kubernetes_groups().is_empty());
    }
    let sa = |sa: &str| {
        live::resource(
            "service_account.x".into(),
            live::pod_identity_piece(
                CLUSTER,
                eksfed_compiler::plan::rendered::PodIdentityAssociation {
                    cluster_name: CLUSTER.into(),
                    namespace: "a".into(),
                    service_account: sa.into(),
                    role_arn: arn(sa),
                },
            ),
        )
    };
    let e = w
        .apply(&change(Action::Delete, Some(sa("foreign-other")), None))
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("not owned"), "{e:#}");
    let e = w
        .apply(&change(Action::Create, None, Some(sa("foreign-untagged"))))
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("not owned"), "{e:#}");
    assert_eq!(association_ids(&w).await.len(), 4);
}

#[tokio::test]
async fn read_pages_beyond_100() {
    let w = World::new().await;
    let arn = |n: String| format!("arn:aws:iam::{ACCOUNT}:role/{n}");
    for i in 0..150 {
        seed_entry(&w, &arn(format!("owned-{i:03}")), Some(STACK)).await;
    }
    for i in 0..60 {
        seed_entry(&w, &arn(format!("foreign-{i:03}")), Some("other-stack")).await;
    }
    for i in 0..120 {
        seed_association(&w, "apps", &format!("owned-{i:03}"), Some(STACK)).await;
    }
    for i in 0..10 {
        seed_association(&w, "apps", &format!("foreign-{i:03}"), None).await;
    }
    w.reset_counts();
    let objects = w.read(&BTreeSet::new()).await;
    let entries: BTreeSet<&str> = objects
        .iter()
        .filter(|o| o.key.contains(":access-entry:"))
        .map(|o| o.key.as_str())
        .collect();
    let assocs = objects
        .iter()
        .filter(|o| o.key.contains(":pod-identity:"))
        .count();
    assert_eq!(entries.len(), 150);
    assert_eq!(assocs, 120);
    assert!(objects.iter().all(|o| o.owner.as_deref() == Some(STACK)));
    for i in [0, 99, 100, 149] {
        let key = eksfed_compiler::kinds::access::key_access_entry(
            CLUSTER,
            &arn(format!("owned-{i:03}")),
        );
        assert!(entries.contains(key.as_str()), "{key}");
    }
    // Cost: a list page per 100, a describe per object, a policy list per owned entry.
    let counts = w.counts();
    let expect: BTreeMap<String, u64> = [
        ("ListAccessEntries", 3),
        ("DescribeAccessEntry", 210),
        ("ListAssociatedAccessPolicies", 150),
        ("ListPodIdentityAssociations", 2),
        ("DescribePodIdentityAssociation", 130),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counts, expect);
}

#[tokio::test]
async fn adopt_tags_existing_objects() {
    let w = World::new().await;
    let v1 = eks_side(&rendered(&V1));
    let admins = admins_arn("/");
    // Created by hand, as the stack wants them, without the ownership tag.
    w.eks()
        .create_access_entry()
        .cluster_name(CLUSTER)
        .principal_arn(&admins)
        .username("admin:{{SessionName}}")
        .kubernetes_groups("platform:admins")
        .send()
        .await
        .unwrap();
    w.eks()
        .associate_access_policy()
        .cluster_name(CLUSTER)
        .principal_arn(&admins)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
        .access_scope(
            AccessScope::builder()
                .r#type(AccessScopeType::Namespace)
                .namespaces("apps")
                .build(),
        )
        .send()
        .await
        .unwrap();
    w.eks()
        .associate_access_policy()
        .cluster_name(CLUSTER)
        .principal_arn(&admins)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy")
        .access_scope(
            AccessScope::builder()
                .r#type(AccessScopeType::Cluster)
                .build(),
        )
        .send()
        .await
        .unwrap();
    seed_association(&w, "apps", "app", None).await;
    let key = eksfed_compiler::kinds::access::key_access_entry(CLUSTER, &admins);
    let pkey = eksfed_compiler::kinds::service_account::key_pod_identity(CLUSTER, "apps", "app");
    let before = w.read(&wanted(&v1)).await;
    assert!(before.iter().all(|o| o.owner.is_none()), "{before:#?}");
    assert_eq!(before.len(), 2);

    eks::adopt(w.eks(), CLUSTER, STACK, entry(&admins))
        .await
        .unwrap();
    eks::adopt(w.eks(), CLUSTER, STACK, association("apps", "app"))
        .await
        .unwrap();
    // Adopting again is harmless.
    eks::adopt(w.eks(), CLUSTER, STACK, entry(&admins))
        .await
        .unwrap();
    let after = w.read(&wanted(&v1)).await;
    let owners: BTreeMap<&str, Option<&str>> = after
        .iter()
        .map(|o| (o.key.as_str(), o.owner.as_deref()))
        .collect();
    assert_eq!(owners[key.as_str()], Some(STACK));
    assert_eq!(owners[pkey.as_str()], Some(STACK));
    // What was adopted already matches the stack: nothing to change.
    let admins_desired = resource(&rendered(&V1), "access.admins");
    let o = after.iter().find(|o| o.key == key).unwrap();
    assert_eq!(
        comparable(&o.piece, &admins_desired.kind),
        comparable(&admins_desired.kind, &admins_desired.kind)
    );

    // Another stack's object is not taken; a missing one is an error.
    seed_entry(
        &w,
        &format!("arn:aws:iam::{ACCOUNT}:role/theirs"),
        Some("other-stack"),
    )
    .await;
    let e = eks::adopt(
        w.eks(),
        CLUSTER,
        STACK,
        entry(&format!("arn:aws:iam::{ACCOUNT}:role/theirs")),
    )
    .await
    .unwrap_err();
    assert!(format!("{e:#}").contains("other-stack"), "{e:#}");
    let e = eks::adopt(
        w.eks(),
        CLUSTER,
        STACK,
        entry(&format!("arn:aws:iam::{ACCOUNT}:role/missing")),
    )
    .await
    .unwrap_err();
    assert!(format!("{e:#}").contains("ResourceNotFound"), "{e:#}");
    let e = eks::adopt(w.eks(), CLUSTER, STACK, association("apps", "missing"))
        .await
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("no pod identity association"),
        "{e:#}"
    );
}

/// A create whose response is lost after EKS carried it out (the proxy drops the connection):
/// the SDK retries and finds the entry there, which is ours, so the run succeeds; a re-run
/// from the live state converges and nothing is created twice.
#[tokio::test]
async fn lost_create_response_converges_on_rerun() {
    let w = World::proxied().await;
    let admins = resource(&rendered(&V1), "access.admins");
    let sa = resource(&rendered(&V1), "service_account.app");
    w.rules(json!([
        { "method": "POST", "path_prefix": "/clusters/prod/access-entries", "mode": "nth:1", "fault": "drop_after" },
        { "method": "POST", "path_prefix": "/clusters/prod/pod-identity-associations", "mode": "nth:1", "fault": "drop_after" },
    ]));
    let first = [
        w.apply(&change(Action::Create, None, Some(admins.clone())))
            .await
            .map_err(|e| format!("{e:#}")),
        w.apply(&change(Action::Create, None, Some(sa.clone())))
            .await
            .map_err(|e| format!("{e:#}")),
    ];
    // The SDK retries the lost create, EKS answers ResourceInUse, and the entry found there
    // is ours: both creates succeed.
    assert!(
        first.iter().all(Result::is_ok),
        "first run, responses lost: {first:?}"
    );
    w.rules(json!([]));
    // The re-run: plan from what is live, apply what differs.
    let desired = vec![admins, sa];
    let objects = w.read(&wanted(&desired)).await;
    for d in &desired {
        let before = live_of(&objects, d);
        let action = match &before {
            None => Action::Create,
            Some(b) if comparable(&b.kind, &d.kind) == comparable(&d.kind, &d.kind) => continue,
            Some(_) => Action::Update,
        };
        w.apply(&change(action, before, Some(d.clone())))
            .await
            .unwrap_or_else(|e| panic!("re-run {}: {e:#}", d.address));
    }
    let objects = w.read(&wanted(&desired)).await;
    assert_converged(&objects, &desired);
    assert_eq!(association_ids(&w).await.len(), 1);

    // A delete whose response is lost: the entry is gone whatever the run reports.
    w.rules(json!([{ "method": "DELETE", "mode": "nth:1", "fault": "drop_after" }]));
    let deleted = w
        .apply(&change(
            Action::Delete,
            live_of(&objects, &desired[0]),
            None,
        ))
        .await
        .map_err(|e| format!("{e:#}"));
    eprintln!("delete, response lost: {deleted:?}");
    w.rules(json!([]));
    assert!(describe_entry(&w, &admins_arn("/")).await.is_none());
    assert_eq!(w.read(&wanted(&desired)).await.len(), 1);
}

/// A service account whose replacement adds (or removes) its pod identity association: the
/// side without one has nothing to delete (or create).
#[tokio::test]

async fn replace_adding_an_association() {
    let w = World::new().await;
    let sa = resource(&rendered(&V1), "service_account.app");
    let RenderedKind::ServiceAccount {
        cluster, manifest, ..
    } = &sa.kind
    else {
        unreachable!()
    };
    let irsa = RenderedResource {
        address: sa.address.clone(),
        kind: RenderedKind::ServiceAccount {
            cluster: cluster.clone(),
            manifest: manifest.clone(),
            pod_identity_association: None,
        },
    };
    w.apply(&change(
        Action::Replace,
        Some(irsa.clone()),
        Some(sa.clone()),
    ))
    .await
    .unwrap();
    assert_eq!(association_ids(&w).await.len(), 1);
    w.apply(&change(Action::Replace, Some(sa), Some(irsa)))
        .await
        .unwrap();
    assert!(association_ids(&w).await.is_empty());
}

/// A node-type access entry (EC2_LINUX): EKS assigns its username and groups
/// (`system:node:{{EC2PrivateDNSName}}`, `system:nodes`) and refuses to update them.
#[tokio::test]

async fn node_entry_converges() {
    let w = World::new().await;
    let spec = Spec {
        entry_type: "EC2_LINUX",
        username: None,
        groups: "[]",
        policies: "[]",
        ..V1
    };
    let node = resource(&rendered(&spec), "access.admins");
    w.apply(&change(Action::Create, None, Some(node.clone())))
        .await
        .unwrap();
    let objects = w.read(&wanted(std::slice::from_ref(&node))).await;
    let before = live_of(&objects, &node).unwrap();
    let update = comparable(&before.kind, &node.kind) != comparable(&node.kind, &node.kind);
    // What a plan would do next: an Update, which EKS refuses for a node entry.
    let applied = w
        .apply(&change(Action::Update, Some(before), Some(node.clone())))
        .await;
    assert!(
        !update && applied.is_ok(),
        "perpetual diff: {update}; update: {applied:?}"
    );
}

fn entry(principal_arn: &str) -> eks::EksObject<'_> {
    eks::EksObject::AccessEntry { principal_arn }
}

fn association<'a>(namespace: &'a str, service_account: &'a str) -> eks::EksObject<'a> {
    eks::EksObject::PodIdentity {
        namespace,
        service_account,
    }
}
