//! `rbac_binding`: a ClusterRoleBinding, or one RoleBinding per namespace — one live piece per
//! manifest under one address.
//!
//! In this file, in order: the front half — the `rbac_binding` block, its lowering (subjects,
//! role or cluster role), exports (its `impl Lower`); its render (`impl Render`: the typed
//! model into the piece AWS or Kubernetes holds); its `Kind` impl (the diff side, the ids an
//! `import` block names it by, and the files `eksfed render --out` writes).

use super::declared::{Lower, Render};
use super::id::KindId;
use super::k8s::{key_manifest, manifest_view, Namespaces};
use super::kind::{label_owned, ns_name, Kind, ObjectKey, Parts};
use crate::desired::model::{DesiredState, RbacBinding, Resource, ResourceKind, Subject};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::lowering::{cluster_ref, Ctx, E_ENUM, E_SEMANTIC};
use crate::language::evblock::EvBlock;
use crate::language::schema::types::{opt, req, Attr, BlockSchema, Ty};
use crate::language::value::{Address, Value};
use crate::plan::rendered::{
    cluster_key, k8s_name, ownership_labels, yaml_file, RenderFile, RenderedKind, RenderedResource,
};
use indexmap::IndexMap;
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;

// ---- Schema

pub const SUBJECT_ATTRS: &[Attr] = &[
    req("kind", Ty::String, "Group | User | ServiceAccount"),
    req("name", Ty::String, "subject name"),
    opt(
        "namespace",
        Ty::String,
        "namespace of a ServiceAccount subject",
    ),
];

/// The `rbac_binding` block: its labels, attributes and nested blocks.
pub const SCHEMA: BlockSchema = BlockSchema {
    name: "rbac_binding",
    labels: &["label"],
    attrs: &[
        req("cluster", Ty::Ref(&["cluster"]), "the cluster"),
        req("subjects", Ty::ListObject(SUBJECT_ATTRS), "subjects"),
        opt(
            "name",
            Ty::String,
            "the bindings' Kubernetes name (default eksfed-LABEL)",
        ),
        opt("cluster_role", Ty::String, "a ClusterRole name"),
        opt("role", Ty::String, "or a namespaced Role name"),
        opt(
            "namespaces",
            Ty::ListString,
            "one RoleBinding each; empty: a ClusterRoleBinding",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "Kubernetes RBAC for mapped groups or users",
};

// ---- Lowering

/// The `rbac_binding` kind: its lowering, render and diff side.
pub struct RbacBindingKind;

impl Lower for RbacBindingKind {
    type Model = RbacBinding;
    const ID: KindId = KindId::RbacBinding;
    const SCHEMA: &'static BlockSchema = &SCHEMA;

    /// Lowers an `rbac_binding` block: its subjects and exactly one of `cluster_role` or `role`.
    fn lower(_addr: &Address, b: &EvBlock, _ctx: &Ctx<'_>, d: &mut Diagnostics) -> RbacBinding {
        let subjects = match b.get("subjects") {
            Some(Value::List(l)) => l
                .iter()
                .filter_map(|s| match s {
                    Value::Map(m) => Some(Subject {
                        kind: m.get("kind").and_then(Value::as_string).unwrap_or_default(),
                        name: m.get("name").and_then(Value::as_string).unwrap_or_default(),
                        namespace: m.get("namespace").and_then(Value::as_string),
                    }),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        };
        for s in &subjects {
            if !["Group", "User", "ServiceAccount"].contains(&s.kind.as_str()) {
                d.push(
                    Diagnostic::error(
                        E_ENUM,
                        format!(
                            "subject kind must be Group, User or ServiceAccount, got \"{}\"",
                            s.kind
                        ),
                    )
                    .at(Some(b.span_of("subjects"))),
                );
            }
        }
        let (cr, r) = (b.str("cluster_role"), b.str("role"));
        if cr.is_some() == r.is_some() {
            d.push(
                Diagnostic::error(
                    E_SEMANTIC,
                    "`rbac_binding` needs exactly one of `cluster_role` or `role`",
                )
                .at(Some(b.span.clone())),
            );
        }
        let namespaces = b.list("namespaces");
        if r.is_some() && namespaces.is_empty() {
            d.push(
                Diagnostic::error(
                    E_SEMANTIC,
                    "a binding to a namespaced `role` needs `namespaces`",
                )
                .at(Some(b.span_of("role"))),
            );
        }
        RbacBinding {
            cluster: cluster_ref(b),
            name: b.str("name"),
            subjects,
            cluster_role: cr,
            role: r,
            namespaces,
        }
    }

    /// An `rbac_binding` exports nothing.
    fn exports(_b: &RbacBinding, _ctx: &Ctx<'_>) -> IndexMap<String, Value> {
        IndexMap::new()
    }
}

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

impl Render for RbacBindingKind {
    /// A ClusterRoleBinding, or one RoleBinding per namespace, with the ownership labels; named
    /// `eksfed-LABEL[-KEY]` unless the stack names it.
    fn render(b: &RbacBinding, r: &Resource, desired: &DesiredState) -> RenderedKind {
        let (address, stack) = (&r.address, &desired.stack.name);
        let name = b.name.clone().unwrap_or_else(|| {
            k8s_name(&format!(
                "eksfed-{}{}",
                address.label,
                address
                    .key
                    .as_deref()
                    .map(|k| format!("-{k}"))
                    .unwrap_or_default()
            ))
        });
        let (role_kind, role_name) = match (&b.cluster_role, &b.role) {
            (Some(cr), _) => ("ClusterRole", cr.clone()),
            (None, Some(r)) => ("Role", r.clone()),
            _ => ("ClusterRole", String::new()),
        };
        let subjects: Vec<Json> = b
        .subjects
        .iter()
        .map(|s| match s.kind.as_str() {
            "ServiceAccount" => json!({ "kind": "ServiceAccount", "name": s.name, "namespace": s.namespace.clone().unwrap_or_else(|| "default".into()) }),
            k => json!({ "kind": k, "name": s.name, "apiGroup": "rbac.authorization.k8s.io" }),
        })
        .collect();
        let role_ref = json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name });
        let labels = ownership_labels(stack);
        let manifests = if b.namespaces.is_empty() {
            vec![json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": { "name": name, "labels": labels },
                "roleRef": role_ref, "subjects": subjects,
            })]
        } else {
            b.namespaces
                .iter()
                .map(|ns| {
                    json!({
                        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                        "metadata": { "name": name, "namespace": ns, "labels": labels },
                        "roleRef": role_ref, "subjects": subjects,
                    })
                })
                .collect()
        };
        RenderedKind::RbacBinding {
            cluster: cluster_key(&b.cluster),
            manifests,
        }
    }

    /// The namespaces of its RoleBindings (none for a ClusterRoleBinding).
    fn namespaces(b: &RbacBinding) -> Option<Namespaces> {
        Some(Namespaces {
            cluster: cluster_key(&b.cluster),
            namespaces: b.namespaces.clone(),
            created: false,
            attr: "namespaces",
            fix: "create it first",
        })
    }
}

// ---- Diff

impl Kind for RbacBindingKind {
    fn type_name(&self) -> &'static str {
        KindId::RbacBinding.name()
    }
    fn keys(&self, piece: &RenderedKind) -> Vec<ObjectKey> {
        match piece {
            RenderedKind::RbacBinding { cluster, manifests } => {
                manifests.iter().map(|m| key_manifest(cluster, m)).collect()
            }
            _ => vec![],
        }
    }
    /// The stack's own bindings of the same name in the cluster: one in a namespace no
    /// longer listed is part of the resource (the update removes it).
    fn owned_keys(
        &self,
        desired: &RenderedKind,
        owned: &mut dyn Iterator<Item = (&ObjectKey, &RenderedKind)>,
    ) -> Vec<ObjectKey> {
        let RenderedKind::RbacBinding { cluster, manifests } = desired else {
            return vec![];
        };
        let names: BTreeSet<&str> = manifests
            .iter()
            .filter_map(|m| m["metadata"]["name"].as_str())
            .collect();
        let mut keys = vec![];
        for (key, piece) in owned {
            if let RenderedKind::RbacBinding {
                cluster: c,
                manifests: lm,
            } = piece
            {
                let n = lm
                    .first()
                    .and_then(|m| m["metadata"]["name"].as_str())
                    .unwrap_or("");
                if c == cluster && names.contains(n) {
                    keys.push(key.clone());
                }
            }
        }
        keys
    }
    fn merge(&self, desired: &RenderedKind, pieces: &[&RenderedKind]) -> RenderedKind {
        let RenderedKind::RbacBinding { cluster, .. } = desired else {
            return pieces[0].clone();
        };
        let mut manifests = vec![];
        for p in pieces {
            if let RenderedKind::RbacBinding { manifests: m, .. } = p {
                manifests.extend(m.iter().cloned());
            }
        }
        manifests.sort_by_key(|m| {
            m["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string()
        });
        RenderedKind::RbacBinding {
            cluster: cluster.clone(),
            manifests,
        }
    }
    /// Each manifest through the desired one's labels and annotations, in any order.
    fn normalize(&self, piece: &RenderedKind, desired: &RenderedKind) -> Json {
        match (piece, desired) {
            (
                RenderedKind::RbacBinding { manifests, .. },
                RenderedKind::RbacBinding { manifests: dm, .. },
            ) => {
                let reference = dm.first().cloned().unwrap_or(Json::Null);
                let mut v: Vec<Json> = manifests
                    .iter()
                    .map(|m| manifest_view(m, &reference))
                    .collect();
                v.sort_by_key(|m| m.to_string());
                json!(v)
            }
            _ => serde_json::to_value(piece).unwrap_or_default(),
        }
    }
    fn delete_tier(&self) -> u8 {
        0
    }
    fn describe(&self, piece: &RenderedKind) -> String {
        let RenderedKind::RbacBinding { cluster, manifests } = piece else {
            return String::new();
        };
        let m = manifests.first().cloned().unwrap_or(Json::Null);
        format!(
            "the {} {} in cluster {cluster}",
            m["kind"].as_str().unwrap_or(""),
            m["metadata"]["name"].as_str().unwrap_or("")
        )
    }
    fn import_id(&self, piece: &RenderedKind) -> String {
        let RenderedKind::RbacBinding { manifests, .. } = piece else {
            return String::new();
        };
        ns_name(&manifests.first().cloned().unwrap_or(Json::Null))
    }
    fn orphan_name(&self, piece: &RenderedKind) -> String {
        let RenderedKind::RbacBinding { manifests, .. } = piece else {
            return String::new();
        };
        manifests
            .first()
            .and_then(|m| m["metadata"]["name"].as_str())
            .unwrap_or("")
            .to_string()
    }
    fn mark_owned(&self, piece: &mut RenderedKind, stack: &str) {
        if let RenderedKind::RbacBinding { manifests, .. } = piece {
            manifests.iter_mut().for_each(|m| label_owned(m, stack));
        }
    }
    fn parts<'a>(&self, piece: &'a RenderedKind) -> Parts<'a> {
        let RenderedKind::RbacBinding { manifests, .. } = piece else {
            return Parts::default();
        };
        Parts {
            manifests: manifests.iter().collect(),
            ..Parts::default()
        }
    }
    /// `NAMESPACE/NAME`, or `NAME` for a ClusterRoleBinding.
    fn import_id_form(&self) -> &'static str {
        "NAMESPACE/NAME, or NAME for a ClusterRoleBinding"
    }
    /// `NAMESPACE/NAME` of each RoleBinding, or `NAME` (also `/NAME`) of a
    /// ClusterRoleBinding.
    fn import_ids(&self, _model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String> {
        let RenderedKind::RbacBinding { manifests, .. } = piece else {
            return vec![];
        };
        manifests
            .iter()
            .flat_map(|m| {
                let name = m["metadata"]["name"].as_str().unwrap_or("").to_string();
                match m["metadata"]["namespace"].as_str() {
                    Some(ns) if !ns.is_empty() => vec![format!("{ns}/{name}")],
                    _ => vec![name.clone(), format!("/{name}")],
                }
            })
            .collect()
    }
    /// One YAML file per manifest, `k8s/CLUSTER/NAMESPACE/KIND-NAME.yaml` (`_cluster` for a
    /// ClusterRoleBinding).
    fn files(&self, res: &RenderedResource) -> Vec<RenderFile> {
        let RenderedKind::RbacBinding { cluster, manifests } = &res.kind else {
            return vec![];
        };
        manifests
            .iter()
            .map(|m| {
                let kind = m["kind"].as_str().unwrap_or("binding").to_lowercase();
                let n = m["metadata"]["name"].as_str().unwrap_or("binding");
                let dir = m["metadata"]["namespace"].as_str().unwrap_or("_cluster");
                (
                    format!("k8s/{}/{dir}/{kind}-{n}.yaml", k8s_name(cluster)),
                    yaml_file(m),
                )
            })
            .collect()
    }
}
