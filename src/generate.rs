//! `eksfed generate`: reads the account and one cluster and writes a stack (see
//! `eksfed_compiler::output::generate` for what is generated, `eksfed_runtime::generate` for
//! what is read).

use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;

pub const LONG_ABOUT: &str = "\
Write an eksfed stack from what is live: the account's IAM (read in bulk) and one EKS cluster
(DescribeCluster, the Kubernetes API through a kubeconfig context, access entries where the
cluster's authentication mode has the API).

Generated (in DIR/main.hcl, formatted as `eksfed fmt` writes it):
  - the `stack` and `cluster` blocks; access_mode from the cluster's authentication mode
    (API: access_entries; CONFIG_MAP or none: aws_auth; API_AND_CONFIG_MAP: where people are
    mapped — both places: both, only one: that one)
  - the cluster's OIDC provider, and the OIDC and SAML providers the roles trust
  - every role whose trust policy names the cluster's provider, that is mapped into the
    cluster (aws-auth entries, STANDARD access entries) or that a pod identity association
    uses, with its customer managed policies (as `statement` blocks), AWS managed policies
    (aws_managed_policy(\"Name\")) and inline policies
  - service accounts with an eks.amazonaws.com/role-arn annotation or a pod identity
    association; `access` entries; RBAC bindings whose subjects include a mapped group or
    username
  - in DIR/imports.hcl, an `import` block for every generated object eksfed may own
  - beside them, each SAML provider's metadata document (LABEL.saml-metadata.xml), which
    main.hcl reads with file()
References, never literal ARNs, between generated objects. Trust statements become typed
blocks where one compiles to exactly the live statement, otherwise `trust_statement` holding
it as is. Lints that fire on what is live are allowed on their block, with the reason.

Not generated (each named in a comment at the top of main.hcl): node roles and their
aws-auth or access entries, objects EKS or Kubernetes made, objects owned by another eksfed
stack, and what would not plan as a no-op. Used but never owned (`existing = true`): the
GitHub Actions OIDC provider and roles under /aws-reserved/ (SSO).

With --group, roles alike but for their name (and, for a service account trust, its namespace
and names) are one `role` block with `for_each` keyed by IAM name, their service accounts one
`service_account` block keyed by NAMESPACE/NAME; only groups of two or more, and only where
each instance compiles to exactly what its own block would.

Then: `eksfed validate DIR`, `eksfed plan DIR` (only imports, no change), `eksfed apply DIR`
(adds the ownership mark, nothing else).";

#[derive(Args)]
pub struct GenerateArgs {
    /// The EKS cluster's name
    #[arg(long)]
    pub cluster: String,
    /// AWS region (default: the SDK's, e.g. AWS_REGION)
    #[arg(long)]
    pub region: Option<String>,
    /// Directory to write (default ./CLUSTER); refused when it exists and is not empty
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The stack's name (default: the cluster's name)
    #[arg(long)]
    pub stack: Option<String>,
    /// kubeconfig context of the cluster (default: the current context)
    #[arg(long)]
    pub kube_context: Option<String>,
    /// Group repeated shapes with `for_each`: roles alike but for their name (and, for a
    /// service account trust, its namespace and names) become one `role` block, their service
    /// accounts one `service_account` block; only where each instance compiles to exactly
    /// what its own block would, so the round trip stays a no-op
    #[arg(long)]
    pub group: bool,
}

pub fn run(a: &GenerateArgs) -> Result<u8> {
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from(&a.cluster));
    if out.exists() {
        let non_empty = std::fs::read_dir(&out)
            .with_context(|| format!("cannot read {}", out.display()))?
            .next()
            .is_some();
        if non_empty {
            bail!(
                "{} exists and is not empty; give an empty or new directory with --out",
                out.display()
            );
        }
    }
    let stack = a.stack.clone().unwrap_or_else(|| a.cluster.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (snapshot, requests) = rt.block_on(async {
        let settings = eksfed_compiler::plan::AwsSettingsDoc {
            region: a.region.clone(),
            ..Default::default()
        };
        let aws = eksfed_runtime::aws::clients(&settings).await;
        let region = a
            .region
            .clone()
            .or_else(|| aws.eks.config().region().map(|r| r.to_string()))
            .unwrap_or_else(|| "us-east-1".into());
        let req = eksfed_runtime::generate::Request {
            cluster: &a.cluster,
            stack: &stack,
            region: &region,
            kube_context: a.kube_context.as_deref(),
        };
        let s = eksfed_runtime::generate::snapshot(&aws, &req).await?;
        anyhow::Ok((s, aws.request_count()))
    })?;
    let g = eksfed_compiler::output::generate::generate_with(
        &snapshot,
        &eksfed_compiler::output::generate::Options { group: a.group },
    );
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    std::fs::write(out.join("main.hcl"), &g.main)
        .with_context(|| format!("cannot write {}", out.join("main.hcl").display()))?;
    std::fs::write(out.join("imports.hcl"), &g.imports)
        .with_context(|| format!("cannot write {}", out.join("imports.hcl").display()))?;
    for (name, text) in &g.files {
        std::fs::write(out.join(name), text)
            .with_context(|| format!("cannot write {}", out.join(name).display()))?;
    }
    let counts: Vec<String> = g.counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    println!(
        "Generated stack `{stack}` in {}: {} (AWS requests: {requests}).",
        out.display(),
        if counts.is_empty() {
            "nothing".to_string()
        } else {
            counts.join(", ")
        }
    );
    for n in &g.notes {
        println!("  {n}");
    }
    println!(
        "Next: eksfed validate {0} && eksfed plan {0} (only imports), then eksfed apply {0}.",
        out.display()
    );
    Ok(0)
}
