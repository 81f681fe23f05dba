//! `well_known_policy("NAME")`: the IAM policy an EKS add-on's own project publishes for its
//! service account, pinned to a release. The documents under `compiler/well_known/` are data
//! taken verbatim from upstream (release, path and URL below and in
//! `compiler/well_known/SOURCES.md`); only the substitutions documented here are ours:
//!
//! - the partition: `arn:aws:` becomes `arn:PARTITION:` in the stack's partition (upstream
//!   publishes the same files per partition);
//! - Karpenter's CloudFormation parameters (`${ClusterName}`, `${AWS::Region}`, ...), from the
//!   map given as the second argument.
//!
//! Add-ons whose policy AWS publishes as a managed policy are named by `aws_managed_policy`.

use crate::language::value::Value;

type FnResult = Result<Value, (String, Option<String>)>;

/// One published document.
pub struct WellKnown {
    pub name: &'static str,
    /// The add-on's own project.
    pub project: &'static str,
    /// The release the document is taken from.
    pub version: &'static str,
    pub path: &'static str,
    pub url: &'static str,
    /// Parameters the document needs (Karpenter's CloudFormation ones); `optional` have
    /// defaults computed from the others, as the upstream template names them.
    pub params: &'static [&'static str],
    pub text: &'static str,
}

const KARPENTER_PARAMS: &[&str] = &["cluster_name", "region", "account_id"];
const KARPENTER_VERSION: &str = "v1.14.1";
const KARPENTER_PATH: &str =
    "website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml";

macro_rules! karpenter {
    ($name:literal, $file:literal, $lines:literal) => {
        WellKnown {
            name: concat!("karpenter/", $name),
            project: "aws/karpenter-provider-aws",
            version: KARPENTER_VERSION,
            path: KARPENTER_PATH,
            url: concat!(
                "https://github.com/aws/karpenter-provider-aws/blob/v1.14.1/website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml#",
                $lines
            ),
            params: KARPENTER_PARAMS,
            text: include_str!(concat!("../../well_known/karpenter/", $file, ".json")),
        }
    };
}

/// Every document, in the order `eksfed explain well-known` lists them.
pub const DOCUMENTS: &[WellKnown] = &[
    WellKnown {
        name: "aws-load-balancer-controller",
        project: "kubernetes-sigs/aws-load-balancer-controller",
        version: "v3.5.0",
        path: "docs/install/iam_policy.json",
        url: "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v3.5.0/docs/install/iam_policy.json",
        params: &[],
        text: include_str!("../../well_known/aws-load-balancer-controller.json"),
    },
    WellKnown {
        name: "external-dns",
        project: "kubernetes-sigs/external-dns",
        version: "v0.22.0",
        path: "docs/tutorials/aws.md (the first policy, lines 13-37)",
        url: "https://github.com/kubernetes-sigs/external-dns/blob/v0.22.0/docs/tutorials/aws.md#L13-L37",
        params: &[],
        text: include_str!("../../well_known/external-dns.json"),
    },
    WellKnown {
        name: "cluster-autoscaler",
        project: "kubernetes/autoscaler",
        version: "cluster-autoscaler-1.36.1",
        path: "cluster-autoscaler/cloudprovider/aws/README.md (auto-discovery policy, lines 41-68)",
        url: "https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-1.36.1/cluster-autoscaler/cloudprovider/aws/README.md#L41-L68",
        params: &[],
        text: include_str!("../../well_known/cluster-autoscaler.json"),
    },
    WellKnown {
        name: "cert-manager",
        project: "cert-manager/website (cert-manager's documentation)",
        version: "v1.20 docs (commit 776e5dba5651; the website repository has no tags)",
        path: "content/v1.20-docs/configuration/acme/dns01/route53.md (lines 24-51)",
        url: "https://github.com/cert-manager/website/blob/776e5dba56510fc9de84206b806b568447077f25/content/v1.20-docs/configuration/acme/dns01/route53.md#L24-L51",
        params: &[],
        text: include_str!("../../well_known/cert-manager.json"),
    },
    karpenter!("node-lifecycle", "node-lifecycle", "L35-L169"),
    karpenter!("iam-integration", "iam-integration", "L178-L254"),
    karpenter!("eks-integration", "eks-integration", "L263-L273"),
    karpenter!("interruption", "interruption", "L282-L296"),
    karpenter!("zonal-shift", "zonal-shift", "L303-L320"),
    karpenter!("resource-discovery", "resource-discovery", "L329-L380"),
];

/// Add-ons whose policy AWS publishes as a managed policy: name, `aws_managed_policy` argument.
pub const AWS_MANAGED: &[(&str, &str)] = &[
    (
        "aws-ebs-csi-driver",
        "service-role/AmazonEBSCSIDriverPolicy",
    ),
    (
        "aws-efs-csi-driver",
        "service-role/AmazonEFSCSIDriverPolicy",
    ),
    ("vpc-cni", "AmazonEKS_CNI_Policy"),
];

fn err(msg: impl Into<String>, help: Option<String>) -> (String, Option<String>) {
    (msg.into(), help)
}

/// All names `well_known_policy` takes.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&str> = DOCUMENTS.iter().map(|d| d.name).collect();
    v.insert(4, "karpenter");
    v
}

/// The document for `name`, in `partition`, with `params` substituted.
pub fn document(name: &str, params: Option<&Value>, partition: &str) -> FnResult {
    if let Some((_, managed)) = AWS_MANAGED.iter().find(|(n, _)| *n == name) {
        return Err(err(
            format!("AWS publishes the policy of `{name}` as a managed policy"),
            Some(format!(
                "attach it by ARN: aws_managed_policy(\"{managed}\")"
            )),
        ));
    }
    let parts: Vec<&WellKnown> = if name == "karpenter" {
        DOCUMENTS
            .iter()
            .filter(|d| d.name.starts_with("karpenter/"))
            .collect()
    } else {
        DOCUMENTS.iter().filter(|d| d.name == name).collect()
    };
    if parts.is_empty() {
        let names = names();
        return Err(err(
            format!("no well-known policy `{name}`"),
            Some(
                crate::language::call::suggest(name, names.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("known: {}", names.join(", "))),
            ),
        ));
    }
    let needs = parts[0].params;
    let map = match params {
        None | Some(Value::Null) => Default::default(),
        Some(Value::Map(m)) => m.clone(),
        Some(other) => {
            return Err(err(
                format!("the parameters must be a map, not {}", other.type_name()),
                None,
            ))
        }
    };
    if needs.is_empty() && !map.is_empty() {
        return Err(err(format!("`{name}` takes no parameters"), None));
    }
    let allowed: Vec<&str> = needs
        .iter()
        .copied()
        .chain(
            (!needs.is_empty())
                .then_some(["node_role_arn", "interruption_queue_arn"])
                .into_iter()
                .flatten(),
        )
        .collect();
    for k in map.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(err(
                format!("unknown parameter `{k}` for `{name}`"),
                Some(format!("it takes: {}", allowed.join(", "))),
            ));
        }
    }
    let get = |k: &str| -> Result<String, (String, Option<String>)> {
        map.get(k).and_then(Value::as_string).ok_or_else(|| {
            err(
                format!("`{name}` needs the parameter `{k}`"),
                Some(format!(
                    "well_known_policy(\"{name}\", {{ {} }})",
                    needs
                        .iter()
                        .map(|p| format!("{p} = ..."))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            )
        })
    };
    let subst = |text: &str| -> Result<String, (String, Option<String>)> {
        if needs.is_empty() {
            return Ok(if partition == "aws" {
                text.to_string()
            } else {
                text.replace("\"arn:aws:", &format!("\"arn:{partition}:"))
            });
        }
        let cluster = get("cluster_name")?;
        let region = get("region")?;
        let account = get("account_id")?;
        let node_role = match map.get("node_role_arn").and_then(Value::as_string) {
            Some(a) => a,
            None => format!("arn:{partition}:iam::{account}:role/KarpenterNodeRole-{cluster}"),
        };
        let queue = match map.get("interruption_queue_arn").and_then(Value::as_string) {
            Some(a) => a,
            None => format!("arn:{partition}:sqs:{region}:{account}:{cluster}"),
        };
        Ok(text
            .replace("${AWS::Partition}", partition)
            .replace("${AWS::Region}", &region)
            .replace("${AWS::AccountId}", &account)
            .replace("${ClusterName}", &cluster)
            .replace("${KarpenterNodeRole.Arn}", &node_role)
            .replace("${KarpenterInterruptionQueue.Arn}", &queue))
    };
    if parts.len() == 1 {
        return subst(parts[0].text).map(Value::String);
    }
    // `karpenter`: the statements of all its parts in one document (over the 6,144-character
    // limit of a managed policy: use it as an inline policy, or the parts as managed ones).
    let mut statements = vec![];
    for p in parts {
        let text = subst(p.text)?;
        let j: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| err(format!("{}: {e}", p.name), None))?;
        statements.extend(super::statement::raw_statements(&j).into_iter().cloned());
    }
    let doc = serde_json::json!({ "Version": "2012-10-17", "Statement": statements });
    serde_json::to_string_pretty(&doc)
        .map(Value::String)
        .map_err(|e| err(e.to_string(), None))
}

/// `eksfed explain well-known`.
pub fn listing() -> String {
    let mut out = String::from(
        "Well-known policies: well_known_policy(\"NAME\") gives the IAM policy document the \
         add-on's own project publishes,\npinned to the release below (in the stack's partition).\n\n",
    );
    for d in DOCUMENTS {
        out.push_str(&format!(
            "{}\n  project: {}\n  release: {}\n  file:    {}\n  source:  {}\n",
            d.name, d.project, d.version, d.path, d.url
        ));
        if !d.params.is_empty() {
            out.push_str(&format!(
                "  params:  {} (optional: node_role_arn, interruption_queue_arn)\n",
                d.params.join(", ")
            ));
        }
        out.push('\n');
    }
    out.push_str(
        "karpenter\n  all the karpenter/* documents above in one document (too large for a \
         managed policy:\n  use it in an inline_policy, or the parts as managed policies)\n\n",
    );
    out.push_str("Published by AWS as managed policies (attach with aws_managed_policy):\n");
    for (n, m) in AWS_MANAGED {
        out.push_str(&format!("  {n:<20} aws_managed_policy(\"{m}\")\n"));
    }
    out
}
