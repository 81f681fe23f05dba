//! eksfed's runtime: all IO. Reads stacks from disk, live state from AWS (IAM, EKS, STS) and
//! Kubernetes, and applies plans. It never parses HCL itself: it calls the compiler.

pub mod aws;
pub mod error;
pub mod source;
