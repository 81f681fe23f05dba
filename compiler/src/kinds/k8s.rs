//! What the Kubernetes kinds (ServiceAccounts, RBAC bindings) share: the key of a manifest
//! and its comparable view.

use super::kind::ObjectKey;
use crate::plan::rendered::ROLE_ARN_ANNOTATION;
use serde_json::{json, Value as Json};

/// The namespaces a declared Kubernetes object goes into, which must exist before it is
/// applied (W0703 when the plan creates it and they are missing).
pub struct Namespaces {
    /// The cluster label (`prod`, `prod["key"]`).
    pub cluster: String,
    pub namespaces: Vec<String>,
    /// eksfed creates them when missing (a service account's `create_namespace`).
    pub created: bool,
    /// The attribute naming them (where W0703 points) and how to fix a missing one.
    pub attr: &'static str,
    pub fix: &'static str,
}

impl Namespaces {
    /// Each (cluster label, namespace).
    pub fn each(self) -> impl Iterator<Item = (String, String)> {
        let cluster = self.cluster;
        self.namespaces
            .into_iter()
            .map(move |ns| (cluster.clone(), ns))
    }
}

pub fn key_manifest(cluster: &str, m: &Json) -> ObjectKey {
    let kind = m["kind"].as_str().unwrap_or("");
    let ns = m["metadata"]["namespace"].as_str().unwrap_or("");
    let name = m["metadata"]["name"].as_str().unwrap_or("");
    format!("k8s:{cluster}:{kind}:{ns}/{name}")
}

/// Labels/annotations: the desired ones must be present with the same values; others' are
/// not compared. `eks.amazonaws.com/role-arn` is compared both ways (it decides what pods get).
fn meta_subset(desired: &Json, live: &Json, field: &str) -> (Json, Json) {
    let d = desired["metadata"][field]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let l = live["metadata"][field]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut lv = serde_json::Map::new();
    for k in d.keys() {
        lv.insert(k.clone(), l.get(k).cloned().unwrap_or(Json::Null));
    }
    if field == "annotations" {
        if let Some(v) = l.get(ROLE_ARN_ANNOTATION) {
            lv.insert(ROLE_ARN_ANNOTATION.into(), v.clone());
        }
    }
    let mut dv: serde_json::Map<String, Json> = d;
    if field == "annotations"
        && lv.contains_key(ROLE_ARN_ANNOTATION)
        && !dv.contains_key(ROLE_ARN_ANNOTATION)
    {
        dv.insert(ROLE_ARN_ANNOTATION.into(), Json::Null);
    }
    (Json::Object(dv), Json::Object(lv))
}

/// The comparable view of a manifest: what `reference` (the desired manifest) specifies of
/// its labels and annotations, its role reference and its subjects in any order.
pub fn manifest_view(m: &Json, reference: &Json) -> Json {
    if m.is_null() {
        return Json::Null;
    }
    let (_, labels) = meta_subset(reference, m, "labels");
    let (_, annotations) = meta_subset(reference, m, "annotations");
    let mut subjects: Vec<Json> = m["subjects"].as_array().cloned().unwrap_or_default();
    subjects.sort_by_key(|s| s.to_string());
    json!({
        "kind": m["kind"], "name": m["metadata"]["name"], "namespace": m["metadata"]["namespace"],
        "labels": labels, "annotations": annotations, "roleRef": m["roleRef"], "subjects": subjects,
    })
}
