//! `cluster`: an EKS cluster the stack binds into. It is read, never created, so it has no
//! rendered piece and no `Kind` impl: this file holds its schema, its lowering and its exports.

use crate::schema::types::{opt, req, BlockSchema, Ty};

// ---- Schema

/// The `cluster` block: its labels, attributes and nested blocks.
pub const SCHEMA: BlockSchema = BlockSchema {
    name: "cluster",
    labels: &["label"],
    attrs: &[
        req("name", Ty::String, "EKS cluster name"),
        opt(
            "region",
            Ty::String,
            "cluster region (default: the aws block's)",
        ),
        opt(
            "oidc_issuer_url",
            Ty::String,
            "OIDC issuer; read with DescribeCluster when omitted",
        ),
        opt(
            "kube_context",
            Ty::String,
            "kubeconfig context (default: current context)",
        ),
        opt(
            "access_mode",
            Ty::String,
            "aws_auth | access_entries | both",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "an EKS cluster the stack binds into (read, never created)",
};
