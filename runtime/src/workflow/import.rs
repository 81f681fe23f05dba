//! `eksfed import DIR ADDRESS ID`: adds the ownership mark to an existing object.

use super::hooks::{Hooks, PlanInputs};
use super::plan::{clusters_of, compile_stack, shown_diagnostics};
use crate::eks::EksObject;
use anyhow::{bail, Context, Result};
use eksfed_compiler::kinds;
use eksfed_compiler::{desired::compile::Facts, language::value::Address};

/// Marks the live object `id` as the stack's resource `addr`. `None` when the stack has
/// errors (shown through the hooks); otherwise the stack's name.
pub async fn import(
    inputs: &PlanInputs,
    addr: &str,
    id: &str,
    hooks: &dyn Hooks,
) -> Result<Option<String>> {
    let compiled = compile_stack(
        &inputs.dir,
        inputs.vars.clone(),
        inputs.account_id.as_deref(),
        Facts::default(),
        inputs.untrusted,
    )?;
    for d in shown_diagnostics(&compiled, true) {
        hooks.diagnostic(&compiled.sources, d);
    }
    if compiled.diagnostics.has_errors() {
        return Ok(None);
    }
    let Some(desired) = &compiled.desired else {
        return Ok(None);
    };
    let a = Address::parse(addr)
        .with_context(|| format!("`{addr}` is not an address like role.NAME"))?;
    let Some(res) = desired.get(&a) else {
        let all: Vec<String> = desired
            .resources
            .iter()
            .map(|r| r.address.to_string())
            .collect();
        let hint = eksfed_compiler::language::call::suggest(addr, all.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        bail!("no resource `{addr}` in the stack{hint}");
    };
    if res.is_existing() {
        bail!("`{addr}` is `existing = true`: it is only read, never owned; remove `existing = true` to manage it");
    }
    let stack = desired.stack.name.clone();
    let aws = crate::aws::clients(&(&desired.aws).into()).await;
    let clusters = clusters_of(desired);
    let kind = a.kind.as_str();
    // Where the object lives is what its rendered piece is made of.
    let Some(piece) = kinds::render(res, desired) else {
        bail!("clusters are read, never owned: nothing to import");
    };
    let parts = kinds::parts(&piece);
    if parts.iam {
        crate::iam::adopt(&aws.iam, &stack, kind, id).await?;
    } else {
        let cluster_addr = res.cluster().cloned().context("no cluster")?;
        let label = eksfed_compiler::plan::rendered::cluster_key(&cluster_addr);
        let target = clusters.get(&label).context("unknown cluster")?;
        if parts.eks() {
            let object = if parts.access_entry.is_some() {
                EksObject::AccessEntry { principal_arn: id }
            } else {
                let (namespace, service_account) = id
                    .split_once('/')
                    .context("expected NAMESPACE/SERVICE_ACCOUNT")?;
                EksObject::PodIdentity {
                    namespace,
                    service_account,
                }
            };
            crate::eks::adopt(&aws.eks, &target.name, &stack, object).await?;
        }
        if parts.kube() {
            let client = crate::state::kube_client(target.kube_context.as_deref()).await?;
            crate::k8s::adopt(&client, &stack, kube_object(&parts, id)?).await?;
        }
    }
    Ok(Some(stack))
}

/// The Kubernetes object `id` names among what the piece is made of: its `aws-auth` entry
/// (id: the ARN), or the manifest it names (id: `NAMESPACE/NAME`, or `NAME` for a
/// cluster-scoped object), whose `kind` the stack's manifest gives.
fn kube_object<'a>(
    parts: &kinds::kind::Parts<'a>,
    id: &'a str,
) -> Result<crate::k8s::KubeObject<'a>> {
    if parts.aws_auth.is_some() {
        return Ok(crate::k8s::KubeObject::AwsAuthEntry { arn: id });
    }
    let (namespace, name) = match id.split_once('/') {
        Some((ns, n)) if !ns.is_empty() => (Some(ns), n),
        Some((_, n)) => (None, n),
        None => (None, id),
    };
    let ns_of = |m: &serde_json::Value| {
        m["metadata"]["namespace"]
            .as_str()
            .filter(|ns| !ns.is_empty())
            .map(str::to_string)
    };
    // The manifest of that name, else one as namespaced as the id.
    let m = parts
        .manifests
        .iter()
        .find(|m| m["metadata"]["name"] == name && ns_of(m).as_deref() == namespace)
        .or_else(|| {
            parts
                .manifests
                .iter()
                .find(|m| ns_of(m).is_some() == namespace.is_some())
        })
        .context("the stack renders no Kubernetes object that id could name")?;
    Ok(crate::k8s::KubeObject::Manifest {
        kind: m["kind"].as_str().context("a manifest without a kind")?,
        namespace,
        name,
    })
}
