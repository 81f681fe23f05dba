//! Connecting to the live systems a stack touches and reading them into a [`LiveState`]:
//! IAM once per stack, and per cluster the Kubernetes API (kubeconfig context) and the EKS API
//! (access entries, pod identity), only where the stack has something there.

use crate::aws::AwsClients;
use anyhow::{Context, Result};
use eksfed_compiler::kinds;
use eksfed_compiler::kinds::kind::ObjectKey;
use eksfed_compiler::plan::live::LiveState;
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::plan::ClusterTarget;
use std::collections::{BTreeMap, BTreeSet};

/// What of the live system a set of objects touches.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub iam: bool,
    /// Cluster labels whose Kubernetes API is read/written.
    pub kube: BTreeSet<String>,
    /// Cluster labels whose EKS access-entry / pod-identity API is read/written.
    pub eks: BTreeSet<String>,
    /// Every key the objects are (or may be) made of.
    pub wanted: BTreeSet<ObjectKey>,
}

/// The scope of desired objects (and of the before/after of a plan's changes).
pub fn scope<'a>(
    objects: impl IntoIterator<Item = &'a RenderedKind>,
    clusters: &BTreeMap<String, ClusterTarget>,
) -> Scope {
    let mut s = Scope::default();
    for k in objects {
        s.wanted.extend(eksfed_compiler::kinds::keys(k));
        // The customer managed policies a role attaches, read whoever owns them: the security
        // review looks in their documents for tests of the role's tags (attribute-based
        // access). They are only read: the diff does not match them to anything.
        if let RenderedKind::Role { policies, .. } = k {
            s.wanted.extend(
                policies
                    .iter()
                    .map(|arn| eksfed_compiler::kinds::policy::key_policy(arn)),
            );
        }
        let parts = kinds::parts(k);
        s.iam |= parts.iam;
        if let Some(cluster) = k.cluster() {
            if parts.kube() {
                s.kube.insert(cluster.to_string());
            }
            if parts.eks() {
                s.eks.insert(cluster.to_string());
            }
        }
    }
    // A cluster using access entries is read on the EKS side even when nothing is declared
    // there yet, so owned entries left from earlier configurations are found.
    for (label, c) in clusters {
        if c.access_mode.uses_access_entries() && (s.kube.contains(label) || s.eks.contains(label))
        {
            s.eks.insert(label.clone());
        }
    }
    s
}

/// Open connections to the live systems.
#[derive(Clone)]
pub struct Connections {
    pub aws: AwsClients,
    pub kube: BTreeMap<String, kube::Client>,
    /// Namespaces seen to exist (or created) during this run, per cluster: each is looked up
    /// once, not once per service account in it.
    pub namespaces: std::sync::Arc<crate::k8s::KnownNamespaces>,
}

impl Connections {
    pub fn kube(&self, cluster: &str) -> Result<&kube::Client> {
        self.kube
            .get(cluster)
            .with_context(|| format!("no Kubernetes connection for cluster `{cluster}`"))
    }
}

/// A Kubernetes client for a kubeconfig context (the current one when `None`), the way
/// kubectl finds it: `KUBECONFIG`, then `~/.kube/config`.
pub async fn kube_client(context: Option<&str>) -> Result<kube::Client> {
    crate::install_crypto();
    let opts = kube::config::KubeConfigOptions {
        context: context.map(String::from),
        ..Default::default()
    };
    let mut cfg = kube::Config::from_kubeconfig(&opts)
        .await
        .with_context(|| match context {
            Some(c) => format!("cannot load kubeconfig context `{c}`"),
            None => "cannot load the current kubeconfig context".to_string(),
        })?;
    // Every call is bounded: no command hangs on an unresponsive API server.
    cfg.connect_timeout = Some(std::time::Duration::from_secs(10));
    cfg.read_timeout = Some(std::time::Duration::from_secs(60));
    cfg.write_timeout = Some(std::time::Duration::from_secs(60));
    kube::Client::try_from(cfg).context("cannot build a Kubernetes client")
}

pub async fn connect(
    aws: AwsClients,
    scope: &Scope,
    clusters: &BTreeMap<String, ClusterTarget>,
) -> Result<Connections> {
    let mut kube = BTreeMap::new();
    for label in &scope.kube {
        let ctx = clusters.get(label).and_then(|c| c.kube_context.as_deref());
        kube.insert(
            label.clone(),
            kube_client(ctx)
                .await
                .with_context(|| format!("cluster `{label}`"))?,
        );
    }
    Ok(Connections {
        aws,
        kube,
        namespaces: Default::default(),
    })
}

/// Reads everything in scope. Requests: IAM a few pages plus one per provider and customer
/// managed policy; per cluster one list per Kubernetes kind plus the aws-auth ConfigMap; EKS
/// list + describe per entry/association.
pub async fn read(
    conn: &Connections,
    stack: &str,
    account_id: &str,
    scope: &Scope,
    clusters: &BTreeMap<String, ClusterTarget>,
) -> Result<LiveState> {
    let mut objects = vec![];
    if scope.iam {
        objects.extend(
            crate::iam::read(&conn.aws.iam, stack, &scope.wanted)
                .await
                .context("reading IAM")?,
        );
    }
    for label in &scope.kube {
        let client = conn.kube(label)?;
        objects.extend(
            crate::k8s::read(client, label, stack, &scope.wanted)
                .await
                .with_context(|| format!("reading cluster `{label}` (Kubernetes)"))?,
        );
    }
    for label in &scope.eks {
        let name = clusters
            .get(label)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| label.clone());
        objects.extend(
            crate::eks::read(&conn.aws.eks, label, &name, stack, &scope.wanted)
                .await
                .with_context(|| format!("reading cluster `{label}` (EKS)"))?,
        );
    }
    Ok(LiveState {
        account_id: account_id.to_string(),
        objects,
    })
}

/// The ClusterRoles and Roles of each cluster the scope reads on the Kubernetes side, by
/// label (`eksfed access --live` expands bindings with them).
pub async fn read_rbac_roles(
    conn: &Connections,
    scope: &Scope,
) -> Result<BTreeMap<String, Vec<eksfed_compiler::review::access_model::RbacRole>>> {
    let mut out = BTreeMap::new();
    for label in &scope.kube {
        let client = conn.kube(label)?;
        let roles = crate::k8s::rbac_roles(client, label)
            .await
            .with_context(|| format!("reading cluster `{label}` (RBAC roles)"))?;
        out.insert(label.clone(), roles);
    }
    Ok(out)
}

/// Issuer URLs of clusters that do not give one, with EKS DescribeCluster.
pub async fn describe_issuers(
    aws: &AwsClients,
    clusters: &[(String, String)],
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (address, name) in clusters {
        let resp = aws
            .eks
            .describe_cluster()
            .name(name)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!("EKS DescribeCluster {name}: {}", crate::error::describe(&e))
            })?;
        let issuer = resp
            .cluster()
            .and_then(|c| c.identity())
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
            .map(String::from);
        match issuer {
            Some(i) => {
                out.insert(address.clone(), i);
            }
            None => {
                anyhow::bail!("cluster {name} has no OIDC issuer (DescribeCluster returned none)")
            }
        }
    }
    Ok(out)
}
