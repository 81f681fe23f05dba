//! `cluster`: an EKS cluster the stack binds into. It is read, never created, so it has no
//! rendered piece and implements only `Lower`: this file holds its schema, its lowering and
//! its exports.

use super::declared::Lower;
use super::id::KindId;
use crate::desired::model::{AccessMode, Cluster};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::lowering::{enum_value, iam_arn, string_exports, strip_https, Ctx, E_SEMANTIC};
use crate::language::evblock::EvBlock;
use crate::language::schema::types::{opt, req, BlockSchema, Ty};
use crate::language::value::{Address, Value};
use indexmap::IndexMap;

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

// ---- Lowering

/// The `cluster` kind: read, never rendered, so only its lowering.
pub struct ClusterKind;

impl Lower for ClusterKind {
    type Model = Cluster;
    const ID: KindId = KindId::Cluster;
    const SCHEMA: &'static BlockSchema = &SCHEMA;

    /// Lowers a `cluster` block: its ARN, region (default: the `aws` block's), issuer (given, or
    /// learned at plan time) and access mode.
    fn lower(addr: &Address, b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> Cluster {
        let name = b.str("name").unwrap_or_default();
        let region = b.str("region").or(ctx.default_region.map(String::from));
        let access_mode = match enum_value(
            b,
            "access_mode",
            &["aws_auth", "access_entries", "both"],
            "aws_auth",
            d,
        )
        .as_str()
        {
            "access_entries" => AccessMode::AccessEntries,
            "both" => AccessMode::Both,
            _ => AccessMode::AwsAuth,
        };
        let issuer = b
            .str("oidc_issuer_url")
            .or_else(|| ctx.issuers.get(&addr.to_string()).cloned());
        if let Some(i) = &issuer {
            if !i.starts_with("https://") {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        format!("`oidc_issuer_url` must start with https://, got \"{i}\""),
                    )
                    .at(Some(b.span_of("oidc_issuer_url"))),
                );
            }
        }
        Cluster {
            arn: format!(
                "arn:{}:eks:{}:{}:cluster/{}",
                ctx.partition,
                region.as_deref().unwrap_or("us-east-1"),
                ctx.account,
                name
            ),
            name,
            region,
            oidc_issuer_url: issuer,
            kube_context: b.str("kube_context"),
            access_mode,
        }
    }

    /// What other blocks may read of a cluster: `cluster.LABEL.ATTR`. Without a known issuer, a
    /// placeholder one (and the OIDC provider ARN it would have).
    fn exports(c: &Cluster, ctx: &Ctx<'_>) -> IndexMap<String, Value> {
        let issuer = c.oidc_issuer_url.clone().unwrap_or_else(|| {
            format!(
                "https://oidc.eks.{}.amazonaws.com/id/UNKNOWN-{}",
                c.region.as_deref().unwrap_or("us-east-1"),
                c.name
            )
        });
        let mut m = string_exports(&[
            ("name", &c.name),
            ("arn", &c.arn),
            (
                "oidc_provider_arn",
                &iam_arn(ctx, "oidc-provider/", "", &strip_https(&issuer)),
            ),
            ("oidc_issuer_url", &issuer),
        ]);
        m.insert(
            "region".into(),
            c.region
                .as_deref()
                .map(|r| Value::String(r.to_string()))
                .unwrap_or_default(),
        );
        m
    }
}
