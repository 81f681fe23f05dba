//! Kubernetes API errors as eksfed reports them: one line with the server's message, reason
//! and code; a refused permission points at the roles eksfed needs, and a binding refused by
//! the API server's escalation check names the verb that would allow it.

use serde_json::Value as Json;

/// Where the permissions eksfed needs in a cluster are written down.
const RBAC_EXAMPLE: &str = "examples/ci/kubernetes-rbac.yaml";

/// An API error as one line: the server's message, reason and code (the server's message of a
/// 403 names the user, the verb and the resource).
pub(crate) fn api_err(what: &str, e: kube::Error) -> anyhow::Error {
    match e {
        kube::Error::Api(s) if s.code == 403 => anyhow::anyhow!(
            "Kubernetes {what}: {} ({}, {}); the permissions eksfed needs are in {RBAC_EXAMPLE}",
            s.message,
            s.reason,
            s.code
        ),
        kube::Error::Api(s) => anyhow::anyhow!(
            "Kubernetes {what}: {} ({}, {})",
            s.message,
            s.reason,
            s.code
        ),
        other => anyhow::anyhow!("Kubernetes {what}: {other}"),
    }
}

/// A binding refused by the API server's escalation check (the caller does not hold every
/// permission of the role it grants): the verb that would allow it.
pub(crate) fn escalation_hint(m: &Json, e: &kube::Error) -> Option<String> {
    let kube::Error::Api(s) = e else { return None };
    if s.code != 403
        || !s
            .message
            .contains("attempting to grant RBAC permissions not currently held")
    {
        return None;
    }
    let name = m["roleRef"]["name"].as_str()?;
    let target = match (
        m["roleRef"]["kind"].as_str()?,
        m["metadata"]["namespace"].as_str(),
    ) {
        ("Role", Some(ns)) => format!("roles/{name} in namespace {ns}"),
        _ => format!("clusterroles/{name}"),
    };
    Some(format!(
        "escalation refused: to grant a role whose permissions it does not hold, the caller needs the `bind` verb on {target} (API group rbac.authorization.k8s.io), as in {RBAC_EXAMPLE}; `escalate` is the verb for writing such a role itself, which eksfed never does"
    ))
}
