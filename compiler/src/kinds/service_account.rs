//! `service_account`: a Kubernetes ServiceAccount (IRSA: the role ARN annotation) and/or an
//! EKS pod identity association — up to two live pieces under one address.
//!
//! In this file, in order: the front half — the `service_account` block, its lowering (mode
//! and role), exports (its `impl Lower`); its render (`impl Render`: the typed model into the
//! piece AWS or Kubernetes holds); its `Kind` impl (the diff side, the ids an `import` block
//! names it by, and the files `eksfed render --out` writes).

use super::declared::{Lower, Render};
use super::id::KindId;
use super::k8s::{key_manifest, manifest_view, Namespaces};
use super::kind::{label_owned, ns_name, Kind, ObjectKey, Parts};
use crate::desired::model::{
    DesiredState, Resource, ResourceKind, ServiceAccount, ServiceAccountMode,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::lowering::{
    attr_str, cluster_ref, enum_value, name_or_label, resource_ref, string_exports, Ctx, E_SEMANTIC,
};
use crate::language::evblock::EvBlock;
use crate::language::schema::types::{opt, req, BlockSchema, Ty};
use crate::language::value::{Address, Value};
use crate::plan::rendered::{
    cluster_key, json_file, k8s_name, ownership_labels, yaml_file, PodIdentityAssociation,
    RenderFile, RenderedKind, RenderedResource, ROLE_ARN_ANNOTATION,
};
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

// ---- Schema

/// The `service_account` block: its labels, attributes and nested blocks.
pub const SCHEMA: BlockSchema = BlockSchema {
    name: "service_account",
    labels: &["label"],
    attrs: &[
        req("cluster", Ty::Ref(&["cluster"]), "the cluster"),
        req("namespace", Ty::String, "namespace"),
        opt(
            "name",
            Ty::String,
            "service account name (default: the label)",
        ),
        opt(
            "role",
            Ty::Ref(&["role"]),
            "the IAM role pods of this account assume",
        ),
        opt("mode", Ty::String, "irsa | pod_identity"),
        opt("labels", Ty::MapString, "extra labels"),
        opt("annotations", Ty::MapString, "extra annotations"),
        opt(
            "create_namespace",
            Ty::Bool,
            "create the namespace if missing",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "a Kubernetes service account bound to a role",
};

// ---- Lowering

/// The `service_account` kind: its lowering, render and diff side.
pub struct ServiceAccountKind;

impl Lower for ServiceAccountKind {
    type Model = ServiceAccount;
    const ID: KindId = KindId::ServiceAccount;
    const SCHEMA: &'static BlockSchema = &SCHEMA;

    /// Lowers a `service_account` block: its mode (`pod_identity` needs a `role`) and the role
    /// it is bound to.
    fn lower(addr: &Address, b: &EvBlock, _ctx: &Ctx<'_>, d: &mut Diagnostics) -> ServiceAccount {
        let mode = match enum_value(b, "mode", &["irsa", "pod_identity"], "irsa", d).as_str() {
            "pod_identity" => ServiceAccountMode::PodIdentity,
            _ => ServiceAccountMode::Irsa,
        };
        let role = resource_ref(b, "role");
        if mode == ServiceAccountMode::PodIdentity && role.is_none() {
            d.push(
                Diagnostic::error(
                    E_SEMANTIC,
                    "a `service_account` in `pod_identity` mode needs a `role`",
                )
                .at(Some(b.span.clone())),
            );
        }
        ServiceAccount {
            cluster: cluster_ref(b),
            namespace: b.str("namespace").unwrap_or_default(),
            name: name_or_label(addr, b),
            role_arn: role.as_ref().map(|r| attr_str(&r.1, "arn")),
            role: role.map(|r| r.0),
            mode,
            labels: b.map("labels"),
            annotations: b.map("annotations"),
            create_namespace: b.bool("create_namespace").unwrap_or(false),
        }
    }

    /// What other blocks may read of a service account: `service_account.LABEL.ATTR`.
    fn exports(sa: &ServiceAccount, _ctx: &Ctx<'_>) -> IndexMap<String, Value> {
        string_exports(&[("name", &sa.name), ("namespace", &sa.namespace)])
    }
}

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

impl Render for ServiceAccountKind {
    /// The ServiceAccount manifest (with the ownership labels, and in IRSA mode the role ARN
    /// annotation) and, in pod identity mode, the association EKS holds.
    fn render(sa: &ServiceAccount, _r: &Resource, desired: &DesiredState) -> RenderedKind {
        let stack = &desired.stack.name;
        let mut labels = sa.labels.clone();
        labels.extend(ownership_labels(stack));
        let mut annotations = sa.annotations.clone();
        if let (ServiceAccountMode::Irsa, Some(arn)) = (sa.mode, &sa.role_arn) {
            annotations.insert(ROLE_ARN_ANNOTATION.to_string(), arn.clone());
        }
        let mut metadata = json!({ "name": sa.name, "namespace": sa.namespace, "labels": labels });
        if !annotations.is_empty() {
            metadata["annotations"] = json!(annotations);
        }
        let cluster_name = desired
            .cluster(&sa.cluster)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        RenderedKind::ServiceAccount {
            cluster: cluster_key(&sa.cluster),
            manifest: json!({ "apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata }),
            pod_identity_association: match (sa.mode, &sa.role_arn) {
                (ServiceAccountMode::PodIdentity, Some(arn)) => Some(PodIdentityAssociation {
                    cluster_name,
                    namespace: sa.namespace.clone(),
                    service_account: sa.name.clone(),
                    role_arn: arn.clone(),
                }),
                _ => None,
            },
        }
    }

    /// Its namespace; created when missing with `create_namespace`.
    fn namespaces(sa: &ServiceAccount) -> Option<Namespaces> {
        Some(Namespaces {
            cluster: cluster_key(&sa.cluster),
            namespaces: vec![sa.namespace.clone()],
            created: sa.create_namespace,
            attr: "namespace",
            fix: "create it first, or set `create_namespace = true`",
        })
    }
}

// ---- Diff

pub fn key_service_account(cluster: &str, ns: &str, name: &str) -> ObjectKey {
    format!("k8s:{cluster}:ServiceAccount:{ns}/{name}")
}
pub fn key_pod_identity(cluster: &str, ns: &str, sa: &str) -> ObjectKey {
    format!("eks:{cluster}:pod-identity:{ns}/{sa}")
}

impl Kind for ServiceAccountKind {
    fn type_name(&self) -> &'static str {
        KindId::ServiceAccount.name()
    }
    fn keys(&self, piece: &RenderedKind) -> Vec<ObjectKey> {
        let RenderedKind::ServiceAccount {
            cluster,
            manifest,
            pod_identity_association,
        } = piece
        else {
            return vec![];
        };
        let mut v = vec![];
        if !manifest.is_null() {
            v.push(key_manifest(cluster, manifest));
        }
        if let Some(p) = pod_identity_association {
            v.push(key_pod_identity(cluster, &p.namespace, &p.service_account));
        }
        v
    }
    /// Both pieces, whatever the mode: an IRSA account now in pod identity mode (or back).
    fn other_mode_keys(&self, desired: &RenderedKind) -> Vec<ObjectKey> {
        let RenderedKind::ServiceAccount {
            cluster,
            manifest,
            pod_identity_association,
        } = desired
        else {
            return vec![];
        };
        let ns = manifest["metadata"]["namespace"]
            .as_str()
            .or(pod_identity_association
                .as_ref()
                .map(|p| p.namespace.as_str()))
            .unwrap_or("");
        let name = manifest["metadata"]["name"]
            .as_str()
            .or(pod_identity_association
                .as_ref()
                .map(|p| p.service_account.as_str()))
            .unwrap_or("");
        vec![
            key_service_account(cluster, ns, name),
            key_pod_identity(cluster, ns, name),
        ]
    }
    fn merge(&self, desired: &RenderedKind, pieces: &[&RenderedKind]) -> RenderedKind {
        let RenderedKind::ServiceAccount { cluster, .. } = desired else {
            return pieces[0].clone();
        };
        let mut manifest = Json::Null;
        let mut pia = None;
        for p in pieces {
            if let RenderedKind::ServiceAccount {
                manifest: m,
                pod_identity_association: a,
                ..
            } = p
            {
                if !m.is_null() {
                    manifest = m.clone();
                }
                if a.is_some() {
                    pia = a.clone();
                }
            }
        }
        RenderedKind::ServiceAccount {
            cluster: cluster.clone(),
            manifest,
            pod_identity_association: pia,
        }
    }
    /// The manifest through what the desired one specifies; of the association, its role.
    fn normalize(&self, piece: &RenderedKind, desired: &RenderedKind) -> Json {
        match (piece, desired) {
            (
                RenderedKind::ServiceAccount {
                    manifest,
                    pod_identity_association,
                    ..
                },
                RenderedKind::ServiceAccount { manifest: dm, .. },
            ) => json!({
                "manifest": manifest_view(manifest, dm),
                "pod_identity_association": pod_identity_association.as_ref().map(|p| json!({ "role_arn": p.role_arn })),
            }),
            _ => serde_json::to_value(piece).unwrap_or_default(),
        }
    }
    fn delete_tier(&self) -> u8 {
        0
    }
    fn describe(&self, piece: &RenderedKind) -> String {
        let RenderedKind::ServiceAccount {
            cluster,
            manifest,
            pod_identity_association,
        } = piece
        else {
            return String::new();
        };
        match pod_identity_association {
            Some(a) if manifest.is_null() => format!(
                "the pod identity association for {}/{} in cluster {cluster}",
                a.namespace, a.service_account
            ),
            _ => format!(
                "the ServiceAccount {} in cluster {cluster}",
                ns_name(manifest)
            ),
        }
    }
    fn import_id(&self, piece: &RenderedKind) -> String {
        let RenderedKind::ServiceAccount {
            manifest,
            pod_identity_association,
            ..
        } = piece
        else {
            return String::new();
        };
        match pod_identity_association {
            Some(a) if manifest.is_null() => format!("{}/{}", a.namespace, a.service_account),
            _ => ns_name(manifest),
        }
    }
    fn orphan_name(&self, piece: &RenderedKind) -> String {
        let RenderedKind::ServiceAccount {
            manifest,
            pod_identity_association,
            ..
        } = piece
        else {
            return String::new();
        };
        match pod_identity_association {
            Some(p) => format!("{}/{}", p.namespace, p.service_account),
            None => ns_name(manifest),
        }
    }
    fn mark_owned(&self, piece: &mut RenderedKind, stack: &str) {
        if let RenderedKind::ServiceAccount { manifest, .. } = piece {
            label_owned(manifest, stack);
        }
    }
    fn parts<'a>(&self, piece: &'a RenderedKind) -> Parts<'a> {
        let RenderedKind::ServiceAccount {
            manifest,
            pod_identity_association,
            ..
        } = piece
        else {
            return Parts::default();
        };
        Parts {
            manifests: (!manifest.is_null())
                .then_some(manifest)
                .into_iter()
                .collect(),
            pod_identity: pod_identity_association.as_ref(),
            ..Parts::default()
        }
    }
    /// `NAMESPACE/NAME`.
    fn import_id_form(&self) -> &'static str {
        "NAMESPACE/NAME"
    }
    /// `NAMESPACE/NAME` of its pod identity association and of its manifest.
    fn import_ids(&self, _model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String> {
        let RenderedKind::ServiceAccount {
            manifest,
            pod_identity_association,
            ..
        } = piece
        else {
            return vec![];
        };
        let mut v = vec![];
        if let Some(p) = pod_identity_association {
            v.push(format!("{}/{}", p.namespace, p.service_account));
        }
        if !manifest.is_null() {
            v.push(ns_name(manifest));
        }
        v
    }
    /// The manifest, `k8s/CLUSTER/NAMESPACE/serviceaccount-NAME.yaml`.
    fn files(&self, res: &RenderedResource) -> Vec<RenderFile> {
        let RenderedKind::ServiceAccount {
            cluster, manifest, ..
        } = &res.kind
        else {
            return vec![];
        };
        let ns = manifest["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default");
        let n = manifest["metadata"]["name"].as_str().unwrap_or("sa");
        vec![(
            format!("k8s/{}/{ns}/serviceaccount-{n}.yaml", k8s_name(cluster)),
            yaml_file(manifest),
        )]
    }

    /// The pod identity associations of every ServiceAccount, one file per cluster
    /// (`eks/CLUSTER/pod-identity-associations.json`).
    fn cluster_files(&self, pieces: &[&RenderedKind]) -> Vec<RenderFile> {
        let mut pods: IndexMap<String, Vec<&PodIdentityAssociation>> = IndexMap::new();
        for piece in pieces {
            if let RenderedKind::ServiceAccount {
                cluster,
                pod_identity_association: Some(p),
                ..
            } = piece
            {
                pods.entry(cluster.clone()).or_default().push(p);
            }
        }
        pods.into_iter()
            .map(|(cluster, list)| {
                (
                    format!("eks/{}/pod-identity-associations.json", k8s_name(&cluster)),
                    json_file(&json!(list)),
                )
            })
            .collect()
    }
}
