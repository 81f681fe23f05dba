//! The CLI side of issue 18: `eksfed explain well-known`, and the new examples and fixtures
//! through `eksfed validate`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn eksfed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(args)
        .output()
        .unwrap()
}

fn path(p: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .display()
        .to_string()
}

#[test]
fn explain_well_known_lists_documents_versions_and_sources() {
    let out = eksfed(&["explain", "well-known"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "aws-load-balancer-controller",
        "v3.5.0",
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v3.5.0/docs/install/iam_policy.json",
        "external-dns",
        "v0.22.0",
        "cluster-autoscaler-1.36.1",
        "cert-manager",
        "karpenter/node-lifecycle",
        "v1.14.1",
        "aws_managed_policy(\"service-role/AmazonEBSCSIDriverPolicy\")",
        "aws_managed_policy(\"service-role/AmazonEFSCSIDriverPolicy\")",
        "aws_managed_policy(\"AmazonEKS_CNI_Policy\")",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    // Lint codes still work.
    let out = eksfed(&["explain", "IAM009"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("MalformedPolicyDocument"));
}

#[test]
fn validate_new_examples_and_dynamic_errors() {
    for ex in ["examples/dynamic-buckets", "examples/addon-policies"] {
        let out = eksfed(&["validate", &path(ex)]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{ex}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = eksfed(&["validate", &path("tests/fixtures/err_dynamic")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "main.hcl:12:36: error[E0201]: reference to undeclared attribute `statement.vlaue`"
        ),
        "{err}"
    );
    assert_eq!(err.matches("error[E0201]").count(), 1, "{err}");
}
