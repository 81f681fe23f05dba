//! Identity → role: who a trust policy admits, one identity per admitting pattern, written the
//! way `eksfed access --identity` takes them. Read from the policy document itself, so a live
//! role the stack does not describe is read the same way as a declared one.

use serde_json::Value as Json;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub text: String,
    /// From a `StringLike` condition: its wildcards match.
    pub pattern: bool,
    /// The cluster (EKS name) a service account or pod identity belongs to.
    pub cluster: Option<String>,
    /// Whether what admits it (a pod identity association) is owned by the stack.
    pub managed: bool,
}

impl Identity {
    pub fn literal(text: String) -> Identity {
        Identity {
            text,
            pattern: false,
            cluster: None,
            managed: true,
        }
    }
}

fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => vec![],
    }
}

/// Conditions of a statement as (operator, key, values).
fn conditions(st: &Json) -> Vec<(String, String, Vec<String>)> {
    let mut out = vec![];
    if let Some(ops) = st["Condition"].as_object() {
        for (op, keys) in ops {
            if let Some(keys) = keys.as_object() {
                for (k, v) in keys {
                    out.push((op.clone(), k.clone(), strings(v)));
                }
            }
        }
    }
    out
}

/// The identities a role's trust policy admits. `issuers` maps issuer (no `https://`) to the
/// cluster's EKS name; `pod_ids` are the pod identity associations naming this role.
pub fn identities(
    doc: &Json,
    issuers: &BTreeMap<String, String>,
    pod_ids: Option<&[(String, String, String, bool)]>,
) -> Vec<Identity> {
    let statements = match &doc["Statement"] {
        Json::Array(a) => a.clone(),
        Json::Object(_) => vec![doc["Statement"].clone()],
        _ => vec![],
    };
    let mut out: Vec<Identity> = vec![];
    let mut push = |i: Identity| {
        if !out.contains(&i) {
            out.push(i);
        }
    };
    for st in &statements {
        if st["Effect"].as_str() != Some("Allow") {
            continue;
        }
        let conds = conditions(st);
        let principal = &st["Principal"];
        if principal.as_str() == Some("*") {
            push(Identity::literal(with_conditions("aws:*", &conds)));
            continue;
        }
        for fed in strings(&principal["Federated"]) {
            if let Some(issuer) = fed.split_once(":oidc-provider/").map(|(_, i)| i) {
                let cluster = issuers.get(issuer).cloned();
                let eks = cluster.is_some() || issuer.starts_with("oidc.eks.");
                let subs: Vec<(bool, String)> = conds
                    .iter()
                    .filter(|(_, k, _)| k == &format!("{issuer}:sub"))
                    .flat_map(|(op, _, vs)| {
                        let like = op.contains("Like");
                        vs.iter().map(move |v| (like, v.clone()))
                    })
                    .collect();
                if subs.is_empty() {
                    if eks {
                        push(Identity {
                            text: "system:serviceaccount:*:*".to_string(),
                            pattern: true,
                            cluster: cluster.clone(),
                            managed: true,
                        });
                    } else {
                        let rest: Vec<_> = conds
                            .iter()
                            .map(|(o, k, v)| {
                                (
                                    o.clone(),
                                    k.trim_start_matches(&format!("{issuer}:")).to_string(),
                                    v.clone(),
                                )
                            })
                            .collect();
                        push(Identity {
                            text: with_conditions(&format!("oidc:{issuer}"), &rest),
                            pattern: rest.iter().any(|(o, _, _)| o.contains("Like")),
                            cluster: None,
                            managed: true,
                        });
                    }
                }
                for (like, sub) in subs {
                    if sub.starts_with("system:serviceaccount:") {
                        push(Identity {
                            text: sub,
                            pattern: like,
                            cluster: cluster.clone(),
                            managed: true,
                        });
                    } else {
                        push(Identity {
                            text: format!("oidc:{issuer} sub={sub}"),
                            pattern: like,
                            cluster: None,
                            managed: true,
                        });
                    }
                }
            } else {
                push(Identity::literal(format!("saml:{fed}")));
            }
        }
        for svc in strings(&principal["Service"]) {
            if svc == "pods.eks.amazonaws.com" {
                match pod_ids {
                    Some(list) if !list.is_empty() => {
                        for (cluster, ns, sa, managed) in list {
                            push(Identity {
                                text: format!("pod-identity:{ns}/{sa}"),
                                pattern: false,
                                cluster: Some(cluster.clone()),
                                managed: *managed,
                            });
                        }
                    }
                    _ => push(Identity {
                        text: "pod-identity:*/*".to_string(),
                        pattern: true,
                        cluster: None,
                        managed: true,
                    }),
                }
            } else {
                push(Identity::literal(format!("aws:{svc}")));
            }
        }
        for p in strings(&principal["AWS"]) {
            push(Identity::literal(with_conditions(
                &format!("aws:{p}"),
                &conds,
            )));
        }
    }
    out
}

/// `BASE key=value ...` for conditions, the keys as written.
fn with_conditions(base: &str, conds: &[(String, String, Vec<String>)]) -> String {
    let mut s = base.to_string();
    for (_, k, vs) in conds {
        for v in vs {
            s.push_str(&format!(" {k}={v}"));
        }
    }
    s
}
