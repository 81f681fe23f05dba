//! Stage `render`: the desired objects in the forms AWS and Kubernetes use: canonical IAM
//! JSON documents, ServiceAccount / RoleBinding / ClusterRoleBinding objects carrying the
//! ownership labels, `aws-auth` entries (role path stripped) and EKS access-entry records.
//! `render --format json` prints [`Rendered`]; plan's before/after have the same shape.
//! The walk is here; each kind renders itself (`kinds::<kind>::render`, `files`), and the
//! shape lives in the leaf `rendered.rs` (re-exported here).

use crate::desired::model::*;
use crate::kinds;

use crate::plan::rendered::{Rendered, RenderedKind, RenderedResource};

pub const FORMAT_VERSION: u32 = 1;

pub fn render(desired: &DesiredState) -> Rendered {
    let stack = &desired.stack.name;
    let mut resources = vec![];
    for r in &desired.resources {
        if r.is_existing() {
            continue; // read, never rendered: see adopt.rs
        }
        let Some(kind) = kinds::render(r, desired) else {
            continue; // a cluster renders nothing
        };
        resources.push(RenderedResource {
            address: r.address.to_string(),
            kind,
        });
    }
    Rendered {
        format_version: FORMAT_VERSION,
        stack: stack.clone(),
        resources,
    }
}

/// Files for GitOps (`render --out DIR`): one JSON per IAM document, one YAML per Kubernetes
/// object, the `aws-auth` entries and access entries per cluster. Paths are relative.
pub fn files(r: &Rendered) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = r.resources.iter().flat_map(kinds::files).collect();
    let pieces: Vec<&RenderedKind> = r.resources.iter().map(|res| &res.kind).collect();
    out.extend(kinds::cluster_files(&pieces));
    out
}
