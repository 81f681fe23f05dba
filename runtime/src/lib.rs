//! eksfed's runtime: all IO. Reads stacks from disk, live state from AWS (IAM, EKS, STS) and
//! Kubernetes, and applies plans. It never parses HCL itself: it calls the compiler.

pub mod adopt;
pub mod apply;
pub mod aws;
pub mod eks;
pub mod error;
pub mod filter;
pub mod generate;
pub mod iam;
pub mod k8s;
pub mod k8s_error;
pub mod lease;
pub mod par;
pub mod plan_key;
pub mod retry;
pub mod source;
pub mod state;
pub mod workflow;
pub mod workspace;

/// kube (ring) and the AWS SDK (aws-lc-rs) both enable a rustls crypto provider, so rustls
/// cannot pick one by itself: install ring's, once, before any client is built.
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
