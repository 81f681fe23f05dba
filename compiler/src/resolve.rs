//! Typed lowering: an evaluated block ([`EvBlock`]) becomes a typed resource of the model,
//! with its ARN computed from account, partition and path, and its exports for references.
//! Problems that need more than the schema (one of two attributes, enum values, documents)
//! are reported here.

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::existing::{identifying, EXISTING_META, E_EXISTING};
use crate::iam;
use crate::lower::EvBlock;
use crate::model::*;
use crate::value::{Address, Value};
use indexmap::IndexMap;
use std::collections::HashMap;

pub const E_SEMANTIC: &str = "E0501";
pub const E_ENUM: &str = "E0504";
pub const E_DOCUMENT: &str = "E0507";
pub const E_SAML: &str = "E0509";

/// EKS cluster access policies (`ListAccessPolicies`), for `access_policies`.
pub const EKS_ACCESS_POLICIES: &[&str] = &[
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
];

/// Placeholder account id when none is known yet (validate works without one).
pub const UNKNOWN_ACCOUNT: &str = "000000000000";

pub struct Ctx<'a> {
    pub account: &'a str,
    pub partition: &'a str,
    pub default_region: Option<&'a str>,
    /// Issuer URLs learned at plan time (DescribeCluster), by cluster address.
    pub issuers: &'a HashMap<String, String>,
}

pub fn iam_arn(ctx: &Ctx<'_>, kind: &str, path: &str, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:{}{}{}",
        ctx.partition, ctx.account, kind, path, name
    )
}

pub fn strip_https(url: &str) -> String {
    url.trim_start_matches("https://")
        .trim_end_matches('/')
        .to_string()
}

fn enum_value(
    b: &EvBlock,
    attr: &str,
    allowed: &[&str],
    default: &str,
    d: &mut Diagnostics,
) -> String {
    let v = b.str(attr).unwrap_or_else(|| default.to_string());
    if !allowed.contains(&v.as_str()) {
        d.push(
            Diagnostic::error(
                E_ENUM,
                format!(
                    "`{attr}` must be one of {}, got \"{v}\"",
                    allowed
                        .iter()
                        .map(|a| format!("\"{a}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .at(Some(b.span_of(attr))),
        );
        return default.to_string();
    }
    v
}

/// Access entry types (CreateAccessEntry `type`); all but STANDARD are for nodes.
const ENTRY_TYPES: &[&str] = &[
    "STANDARD",
    "EC2",
    "EC2_LINUX",
    "EC2_WINDOWS",
    "FARGATE_LINUX",
    "HYBRID_LINUX",
];

/// A node entry (any type but STANDARD) gets its username and groups from EKS, which refuses
/// them in CreateAccessEntry; its principal must be a role, and only Auto Mode's `EC2` type
/// takes access policies.
fn check_node_entry(
    b: &EvBlock,
    entry_type: &str,
    principal: &PrincipalKind,
    has_policies: bool,
    d: &mut Diagnostics,
) {
    if entry_type == "STANDARD" {
        return;
    }
    let refuse = |attr: &str, d: &mut Diagnostics| {
        d.push(
            Diagnostic::error(
                E_SEMANTIC,
                format!("an access entry of type {entry_type} cannot set `{attr}`"),
            )
            .at(Some(b.span_of(attr)))
            .help("EKS assigns the username and groups of node entries; remove the attribute or use type STANDARD"),
        );
    };
    for attr in ["username", "groups"] {
        if b.get(attr).is_some() && (attr != "groups" || !b.list(attr).is_empty()) {
            refuse(attr, d);
        }
    }
    if has_policies && entry_type != "EC2" {
        refuse("access_policies", d);
    }
    if *principal == PrincipalKind::User {
        d.push(
            Diagnostic::error(
                E_SEMANTIC,
                format!("an access entry of type {entry_type} must be for a role, not a user"),
            )
            .at(Some(b.span_of("user_arn"))),
        );
    }
}

fn resource_ref(b: &EvBlock, attr: &str) -> Option<(Address, IndexMap<String, Value>)> {
    match b.get(attr) {
        Some(Value::Resource(r)) => Some((r.address.clone(), r.attrs.clone())),
        _ => None,
    }
}

fn attr_str(attrs: &IndexMap<String, Value>, name: &str) -> String {
    attrs
        .get(name)
        .and_then(Value::as_string)
        .unwrap_or_default()
}

/// `{ key = ["v"] }` or `{ key = "v" }` as key -> values.
fn conditions(b: &EvBlock, attr: &str, d: &mut Diagnostics) -> IndexMap<String, Vec<String>> {
    let mut out = IndexMap::new();
    match b.get(attr) {
        None => {}
        Some(Value::Map(m)) => {
            for (k, v) in m {
                let vals = match v {
                    Value::List(l) => l.iter().filter_map(Value::as_string).collect(),
                    other => other.as_string().into_iter().collect(),
                };
                out.insert(k.clone(), vals);
            }
        }
        Some(other) => d.push(
            Diagnostic::error(
                crate::lower::E_TYPE,
                format!(
                    "`{attr}` must be a map of condition key to values, got a {}",
                    other.type_name()
                ),
            )
            .at(Some(b.span_of(attr))),
        ),
    }
    out
}

/// A policy document from statement blocks or a `document` attribute (JSON string or object).
fn policy_document(b: &EvBlock, what: &str, d: &mut Diagnostics) -> serde_json::Value {
    let statements: Vec<&EvBlock> = b.blocks_of("statement").collect();
    match b.get("document") {
        Some(doc) => {
            if !statements.is_empty() {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        format!("{what} has both `document` and `statement` blocks; use one"),
                    )
                    .at(Some(b.span_of("document"))),
                );
            }
            let json = match doc {
                Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
                    Ok(j) => j,
                    Err(e) => {
                        d.push(
                            Diagnostic::error(
                                E_DOCUMENT,
                                format!("`document` is not valid JSON: {e}"),
                            )
                            .at(Some(b.span_of("document"))),
                        );
                        return iam::document(vec![]);
                    }
                },
                other => other.to_json(),
            };
            if !json
                .get("Statement")
                .is_some_and(|s| s.is_array() || s.is_object())
            {
                d.push(
                    Diagnostic::error(
                        E_DOCUMENT,
                        "`document` must be an IAM policy document with a `Statement`",
                    )
                    .at(Some(b.span_of("document"))),
                );
            }
            json
        }
        None => {
            if statements.is_empty() {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        format!("{what} needs `statement` blocks or a `document`"),
                    )
                    .at(Some(b.span.clone())),
                );
            }
            for s in &statements {
                enum_value(s, "effect", &["Allow", "Deny"], "Allow", d);
                if s.get("actions").is_none() && s.get("not_actions").is_none() {
                    d.push(
                        Diagnostic::error(
                            E_SEMANTIC,
                            "a statement needs `actions` or `not_actions`",
                        )
                        .at(Some(s.span.clone())),
                    );
                }
            }
            iam::document(statements.iter().map(|s| iam::statement(s)).collect())
        }
    }
}

fn trust(b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> Option<TrustBlock> {
    let spans: IndexMap<String, Span> = b
        .attrs
        .iter()
        .map(|(k, a)| (k.clone(), a.span.clone()))
        .collect();
    let t = match b.kind.as_str() {
        "trust_service_account" => {
            let cluster = resource_ref(b, "cluster");
            let provider = resource_ref(b, "provider");
            let (issuer, provider_arn) = match (&cluster, &provider) {
                (Some((_, c)), None) => (
                    strip_https(&attr_str(c, "oidc_issuer_url")),
                    attr_str(c, "oidc_provider_arn"),
                ),
                (None, Some((_, p))) => (strip_https(&attr_str(p, "url")), attr_str(p, "arn")),
                _ => {
                    d.push(
                        Diagnostic::error(
                            E_SEMANTIC,
                            "`trust_service_account` needs exactly one of `cluster` or `provider`",
                        )
                        .at(Some(b.span.clone())),
                    );
                    return None;
                }
            };
            let _ = ctx;
            Trust::ServiceAccount {
                cluster: cluster.map(|c| c.0),
                provider: provider.map(|p| p.0),
                issuer,
                provider_arn,
                namespace: b.str("namespace").unwrap_or_default(),
                names: b.list("names"),
                allow_wildcard: b.bool("allow_wildcard").unwrap_or(false),
            }
        }
        "trust_pod_identity" => Trust::PodIdentity {
            conditions: conditions(b, "conditions", d),
        },
        "trust_saml" => {
            let (provider, attrs) = resource_ref(b, "provider")?;
            Trust::Saml {
                provider,
                provider_arn: attr_str(&attrs, "arn"),
            }
        }
        "trust_oidc" => {
            let (provider, attrs) = resource_ref(b, "provider")?;
            Trust::Oidc {
                provider,
                provider_arn: attr_str(&attrs, "arn"),
                issuer: strip_https(&attr_str(&attrs, "url")),
                conditions: conditions(b, "conditions", d),
            }
        }
        "trust_aws" => Trust::Aws {
            principals: b.list("principals"),
            conditions: conditions(b, "conditions", d),
        },
        "trust_statement" => Trust::Raw {
            statement: raw_statement(b, d)?,
        },
        _ => return None,
    };
    Some(TrustBlock {
        trust: t,
        spans,
        span: b.span.clone(),
    })
}

/// `trust_statement { statement = ... }`: a JSON string or an object, which must be one
/// statement (an object with `Effect`).
pub(crate) fn raw_statement(b: &EvBlock, d: &mut Diagnostics) -> Option<serde_json::Value> {
    let v = match b.get("statement") {
        Some(Value::String(s)) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(j) => j,
            Err(e) => {
                d.push(
                    Diagnostic::error(E_SEMANTIC, format!("`statement` is not valid JSON: {e}"))
                        .at(Some(b.span_of("statement"))),
                );
                return None;
            }
        },
        Some(other) => other.to_json(),
        None => return None,
    };
    if v.get("Effect").is_none() {
        d.push(
            Diagnostic::error(
                E_SEMANTIC,
                "`statement` must be one trust policy statement: an object with `Effect`, `Principal`, `Action`",
            )
            .at(Some(b.span_of("statement"))),
        );
        return None;
    }
    Some(v)
}

const TRUST_KINDS: &[&str] = &[
    "trust_service_account",
    "trust_pod_identity",
    "trust_saml",
    "trust_oidc",
    "trust_aws",
    "trust_statement",
];

fn saml_metadata_ok(xml: &str) -> Result<(), String> {
    let doc = roxmltree::Document::parse(xml)
        .map_err(|e| format!("metadata is not well-formed XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "EntityDescriptor" {
        return Err(format!(
            "metadata root element is <{}>, expected a SAML 2.0 <EntityDescriptor>",
            root.tag_name().name()
        ));
    }
    if root.tag_name().namespace() != Some("urn:oasis:names:tc:SAML:2.0:metadata") {
        return Err("the EntityDescriptor is not in the SAML 2.0 metadata namespace (urn:oasis:names:tc:SAML:2.0:metadata)".into());
    }
    Ok(())
}

/// Lowers one evaluated resource block to its typed form.
pub fn resolve(addr: &Address, b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> ResourceKind {
    let label = addr.key.clone().unwrap_or_else(|| addr.label.clone());
    let name_or_label = |b: &EvBlock| b.str("name").unwrap_or_else(|| label.clone());
    if crate::existing::is_existing(b) {
        return resolve_existing(addr, b, ctx, d);
    }
    match addr.kind.as_str() {
        "cluster" => {
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
            ResourceKind::Cluster(Cluster {
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
            })
        }
        "oidc_provider" => {
            let url = b.str("url").unwrap_or_default();
            if !url.starts_with("https://") {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        format!("`url` must start with https://, got \"{url}\""),
                    )
                    .at(Some(b.span_of("url"))),
                );
            }
            ResourceKind::OidcProvider(OidcProvider {
                arn: iam_arn(ctx, "oidc-provider/", "", &strip_https(&url)),
                url,
                client_ids: if b.get("client_ids").is_some() {
                    b.list("client_ids")
                } else {
                    vec!["sts.amazonaws.com".into()]
                },
                // `thumbprints = []` means "not specified": AWS fills in its own, and an empty
                // list would otherwise drift forever (terraform-aws-eks #3601).
                thumbprints: b
                    .get("thumbprints")
                    .filter(|_| !b.list("thumbprints").is_empty())
                    .map(|_| {
                        b.list("thumbprints")
                            .iter()
                            .map(|t| t.to_lowercase())
                            .collect()
                    }),
                tags: b.map("tags"),
            })
        }
        "saml_provider" => {
            let name = name_or_label(b);
            let metadata = b.str("metadata").unwrap_or_default();
            if b.get("metadata").is_some() {
                let n = metadata.chars().count();
                if !(1000..=10_000_000).contains(&n) {
                    d.push(
                        Diagnostic::error(E_SAML, format!("SAML metadata is {n} characters; IAM accepts 1,000 to 10,000,000"))
                            .at(Some(b.span_of("metadata")))
                            .help("use the IdP's full metadata document (it includes the signing certificate)"),
                    );
                }
                if let Err(e) = saml_metadata_ok(&metadata) {
                    d.push(Diagnostic::error(E_SAML, e).at(Some(b.span_of("metadata"))));
                }
            }
            ResourceKind::SamlProvider(SamlProvider {
                arn: iam_arn(ctx, "saml-provider/", "", &name),
                name,
                metadata,
                tags: b.map("tags"),
            })
        }
        "policy" => {
            let name = name_or_label(b);
            let path = b.str("path").unwrap_or_else(|| "/".into());
            let document = policy_document(b, &format!("policy `{addr}`"), d);
            ResourceKind::Policy(Policy {
                arn: iam_arn(ctx, "policy", &path, &name),
                name,
                path,
                description: b.str("description").unwrap_or_default(),
                document,
                tags: b.map("tags"),
            })
        }
        "role" => {
            let name = name_or_label(b);
            let path = b.str("path").unwrap_or_else(|| "/".into());
            let trusts: Vec<TrustBlock> = b
                .blocks
                .iter()
                .filter(|x| TRUST_KINDS.contains(&x.kind.as_str()))
                .filter_map(|x| trust(x, ctx, d))
                .collect();
            if !b
                .blocks
                .iter()
                .any(|x| TRUST_KINDS.contains(&x.kind.as_str()))
            {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        format!(
                            "role `{addr}` needs at least one trust block ({})",
                            TRUST_KINDS.join(", ")
                        ),
                    )
                    .at(Some(b.span.clone())),
                );
            }
            let mut inline_policies = IndexMap::new();
            for ip in b.blocks_of("inline_policy") {
                let pname = ip.labels.first().cloned().unwrap_or_default();
                let doc = policy_document(ip, &format!("inline policy `{pname}`"), d);
                if inline_policies.insert(pname.clone(), doc).is_some() {
                    d.push(
                        Diagnostic::error(
                            crate::lower::E_DUPLICATE,
                            format!("two inline policies named `{pname}`"),
                        )
                        .at(Some(ip.span.clone())),
                    );
                }
            }
            let trust_policy = iam::document(
                trusts
                    .iter()
                    .map(|t| iam::trust_statement(&t.trust))
                    .collect(),
            );
            ResourceKind::Role(Role {
                arn: iam_arn(ctx, "role", &path, &name),
                name,
                path,
                description: b.str("description").unwrap_or_default(),
                max_session_duration: b
                    .num("max_session_duration")
                    .map(|n| n as i64)
                    .unwrap_or(3600),
                permissions_boundary: b.str("permissions_boundary"),
                tags: b.map("tags"),
                trusts,
                policies: b.list("policies"),
                inline_policies,
                trust_policy,
            })
        }
        "service_account" => {
            let mode = match enum_value(b, "mode", &["irsa", "pod_identity"], "irsa", d).as_str() {
                "pod_identity" => ServiceAccountMode::PodIdentity,
                _ => ServiceAccountMode::Irsa,
            };
            let role = resource_ref(b, "role");
            if mode == ServiceAccountMode::PodIdentity && role.is_none() {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        "a `service_account` in `pod_identity` mode needs a `role`",
                    )
                    .at(Some(b.span.clone())),
                );
            }
            ResourceKind::ServiceAccount(ServiceAccount {
                cluster: resource_ref(b, "cluster")
                    .map(|c| c.0)
                    .unwrap_or_else(|| Address::new("cluster", "?", None)),
                namespace: b.str("namespace").unwrap_or_default(),
                name: name_or_label(b),
                role_arn: role.as_ref().map(|r| attr_str(&r.1, "arn")),
                role: role.map(|r| r.0),
                mode,
                labels: b.map("labels"),
                annotations: b.map("annotations"),
                create_namespace: b.bool("create_namespace").unwrap_or(false),
            })
        }
        "access" => {
            let role = resource_ref(b, "role");
            let given = [
                b.get("role").is_some(),
                b.get("role_arn").is_some(),
                b.get("user_arn").is_some(),
            ];
            if given.iter().filter(|g| **g).count() != 1 {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        "`access` needs exactly one of `role`, `role_arn` or `user_arn`",
                    )
                    .at(Some(b.span.clone())),
                );
            }
            let (principal_kind, principal_arn) =
                match (&role, b.str("role_arn"), b.str("user_arn")) {
                    (Some((_, attrs)), _, _) => (PrincipalKind::Role, attr_str(attrs, "arn")),
                    (None, Some(r), _) => (PrincipalKind::Role, r),
                    (None, None, Some(u)) => (PrincipalKind::User, u),
                    _ => (PrincipalKind::Role, String::new()),
                };
            let mut access_policies = vec![];
            if let Some(Value::List(items)) = b.get("access_policies") {
                for item in items {
                    let Value::Map(m) = item else { continue };
                    let policy = m
                        .get("policy")
                        .and_then(Value::as_string)
                        .unwrap_or_default();
                    let scope = m
                        .get("scope")
                        .and_then(Value::as_string)
                        .unwrap_or_else(|| "cluster".into());
                    if scope != "cluster" && scope != "namespace" {
                        d.push(Diagnostic::error(E_ENUM, format!("access policy scope must be \"cluster\" or \"namespace\", got \"{scope}\"")).at(Some(b.span_of("access_policies"))));
                    }
                    let namespaces = match m.get("namespaces") {
                        Some(Value::List(l)) => l.iter().filter_map(Value::as_string).collect(),
                        _ => vec![],
                    };
                    if scope == "namespace" && namespaces.is_empty() {
                        d.push(Diagnostic::error(E_SEMANTIC, format!("access policy `{policy}` has namespace scope but no `namespaces`")).at(Some(b.span_of("access_policies"))));
                    }
                    let short = policy.rsplit('/').next().unwrap_or(&policy).to_string();
                    if !EKS_ACCESS_POLICIES.contains(&short.as_str()) {
                        let hint =
                            crate::eval::suggest(&short, EKS_ACCESS_POLICIES.iter().copied())
                                .map(|s| format!("did you mean `{s}`? "))
                                .unwrap_or_default();
                        d.push(
                            Diagnostic::error(
                                E_ENUM,
                                format!("`{policy}` is not an EKS cluster access policy"),
                            )
                            .at(Some(b.span_of("access_policies")))
                            .help(format!(
                                "{hint}known policies: {}",
                                EKS_ACCESS_POLICIES.join(", ")
                            )),
                        );
                    }
                    let policy_arn = if policy.starts_with("arn:") {
                        policy
                    } else {
                        format!(
                            "arn:{}:eks::aws:cluster-access-policy/{policy}",
                            ctx.partition
                        )
                    };
                    access_policies.push(AccessPolicy {
                        policy_arn,
                        scope,
                        namespaces,
                    });
                }
            }
            let entry_type = enum_value(b, "type", ENTRY_TYPES, "STANDARD", d);
            check_node_entry(
                b,
                &entry_type,
                &principal_kind,
                !access_policies.is_empty(),
                d,
            );
            ResourceKind::Access(Access {
                cluster: resource_ref(b, "cluster")
                    .map(|c| c.0)
                    .unwrap_or_else(|| Address::new("cluster", "?", None)),
                role: role.map(|r| r.0),
                principal_kind,
                principal_arn,
                username: b.str("username"),
                groups: b.list("groups"),
                access_policies,
                entry_type,
            })
        }
        "rbac_binding" => {
            let subjects = match b.get("subjects") {
                Some(Value::List(l)) => l
                    .iter()
                    .filter_map(|s| match s {
                        Value::Map(m) => Some(Subject {
                            kind: m.get("kind").and_then(Value::as_string).unwrap_or_default(),
                            name: m.get("name").and_then(Value::as_string).unwrap_or_default(),
                            namespace: m.get("namespace").and_then(Value::as_string),
                        }),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            };
            for s in &subjects {
                if !["Group", "User", "ServiceAccount"].contains(&s.kind.as_str()) {
                    d.push(
                        Diagnostic::error(
                            E_ENUM,
                            format!(
                                "subject kind must be Group, User or ServiceAccount, got \"{}\"",
                                s.kind
                            ),
                        )
                        .at(Some(b.span_of("subjects"))),
                    );
                }
            }
            let (cr, r) = (b.str("cluster_role"), b.str("role"));
            if cr.is_some() == r.is_some() {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        "`rbac_binding` needs exactly one of `cluster_role` or `role`",
                    )
                    .at(Some(b.span.clone())),
                );
            }
            let namespaces = b.list("namespaces");
            if r.is_some() && namespaces.is_empty() {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        "a binding to a namespaced `role` needs `namespaces`",
                    )
                    .at(Some(b.span_of("role"))),
                );
            }
            ResourceKind::RbacBinding(RbacBinding {
                cluster: resource_ref(b, "cluster")
                    .map(|c| c.0)
                    .unwrap_or_else(|| Address::new("cluster", "?", None)),
                name: b.str("name"),
                subjects,
                cluster_role: cr,
                role: r,
                namespaces,
            })
        }
        other => unreachable_kind(other),
    }
}

/// The typed form of an `existing = true` block: identity and ARN only. Anything else
/// written in the block is an error (E0530) at that attribute or block.
pub fn resolve_existing(
    addr: &Address,
    b: &EvBlock,
    ctx: &Ctx<'_>,
    d: &mut Diagnostics,
) -> ResourceKind {
    let kind = addr.kind.as_str();
    let ident = identifying(kind);
    let ident_text = ident
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    for (name, a) in &b.attrs {
        if ident.contains(&name.as_str()) || EXISTING_META.contains(&name.as_str()) {
            continue;
        }
        d.push(
            Diagnostic::error(
                E_EXISTING,
                format!(
                    "`{name}` cannot be set on `{addr}`: it is `existing = true`, so eksfed only reads it and never creates, changes or tags it"
                ),
            )
            .at(Some(a.span.clone()))
            .address(addr.to_string())
            .help(format!(
                "only {ident_text} identify an existing {kind}; remove `{name}`, or remove `existing = true` to manage it here"
            )),
        );
    }
    for nb in &b.blocks {
        d.push(
            Diagnostic::error(
                E_EXISTING,
                format!(
                    "`{}` block in `{addr}`: it is `existing = true`, so eksfed only reads it and never creates or changes it",
                    nb.kind
                ),
            )
            .at(Some(nb.span.clone()))
            .address(addr.to_string())
            .help(format!(
                "only {ident_text} identify an existing {kind}; remove the block, or remove `existing = true` to manage it here"
            )),
        );
    }
    let label = addr.key.clone().unwrap_or_else(|| addr.label.clone());
    let name = b.str("name").unwrap_or(label);
    let path = b.str("path").unwrap_or_else(|| "/".into());
    match kind {
        "oidc_provider" => {
            let url = b.str("url").unwrap_or_default();
            if b.get("url").is_some() && !url.starts_with("https://") {
                d.push(
                    Diagnostic::error(
                        E_SEMANTIC,
                        format!("`url` must start with https://, got \"{url}\""),
                    )
                    .at(Some(b.span_of("url"))),
                );
            }
            ResourceKind::OidcProvider(OidcProvider {
                arn: iam_arn(ctx, "oidc-provider/", "", &strip_https(&url)),
                url,
                client_ids: vec![],
                thumbprints: None,
                tags: IndexMap::new(),
            })
        }
        "saml_provider" => ResourceKind::SamlProvider(SamlProvider {
            arn: iam_arn(ctx, "saml-provider/", "", &name),
            name,
            metadata: String::new(),
            tags: IndexMap::new(),
        }),
        "policy" => ResourceKind::Policy(Policy {
            arn: iam_arn(ctx, "policy", &path, &name),
            name,
            path,
            description: String::new(),
            document: iam::document(vec![]),
            tags: IndexMap::new(),
        }),
        _ => ResourceKind::Role(Role {
            arn: iam_arn(ctx, "role", &path, &name),
            name,
            path,
            description: String::new(),
            max_session_duration: 3600,
            permissions_boundary: None,
            tags: IndexMap::new(),
            trusts: vec![],
            policies: vec![],
            inline_policies: IndexMap::new(),
            trust_policy: iam::document(vec![]),
        }),
    }
}

fn unreachable_kind(kind: &str) -> ResourceKind {
    // The loader only hands resource kinds of the schema; keep a harmless value otherwise.
    ResourceKind::RbacBinding(RbacBinding {
        cluster: Address::new("cluster", kind, None),
        name: None,
        subjects: vec![],
        cluster_role: None,
        role: None,
        namespaces: vec![],
    })
}

/// What other blocks may read of a resource: `TYPE.LABEL.ATTR`.
pub fn exports(kind: &ResourceKind, ctx: &Ctx<'_>) -> IndexMap<String, Value> {
    let s = |v: &str| Value::String(v.to_string());
    let mut m = IndexMap::new();
    match kind {
        ResourceKind::Cluster(c) => {
            let issuer = c.oidc_issuer_url.clone().unwrap_or_else(|| {
                format!(
                    "https://oidc.eks.{}.amazonaws.com/id/UNKNOWN-{}",
                    c.region.as_deref().unwrap_or("us-east-1"),
                    c.name
                )
            });
            m.insert("name".into(), s(&c.name));
            m.insert("arn".into(), s(&c.arn));
            m.insert(
                "oidc_provider_arn".into(),
                s(&iam_arn(ctx, "oidc-provider/", "", &strip_https(&issuer))),
            );
            m.insert("oidc_issuer_url".into(), s(&issuer));
            m.insert(
                "region".into(),
                c.region.as_deref().map(s).unwrap_or_default(),
            );
        }
        ResourceKind::OidcProvider(p) => {
            m.insert("arn".into(), s(&p.arn));
            m.insert("url".into(), s(&p.url));
        }
        ResourceKind::SamlProvider(p) => {
            m.insert("arn".into(), s(&p.arn));
            m.insert("name".into(), s(&p.name));
        }
        ResourceKind::Policy(p) => {
            m.insert("arn".into(), s(&p.arn));
            m.insert("name".into(), s(&p.name));
            m.insert("path".into(), s(&p.path));
        }
        ResourceKind::Role(r) => {
            m.insert("arn".into(), s(&r.arn));
            m.insert("name".into(), s(&r.name));
            m.insert("path".into(), s(&r.path));
        }
        ResourceKind::ServiceAccount(sa) => {
            m.insert("name".into(), s(&sa.name));
            m.insert("namespace".into(), s(&sa.namespace));
        }
        ResourceKind::Access(a) => {
            m.insert("principal_arn".into(), s(&a.principal_arn));
        }
        ResourceKind::RbacBinding(_) => {}
    }
    m
}
