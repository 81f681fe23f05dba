//! `role`: an IAM role, identified by its name (unique in an account whatever the path, so a
//! path change keeps the key and is a replace).
//!
//! In this file, in order: the front half — the `role` block and its trust and `inline_policy`
//! blocks, the lowering (trust blocks into the trust policy, inline policies), the
//! existing-role form, exports (its `impl Lower`); its render (`impl Render`: the typed model
//! into the piece AWS or Kubernetes holds); its `Kind` impl (the diff side, the ids an
//! `import` block names it by, and the files `eksfed render --out` writes).

use super::declared::{Lower, Render};
use super::id::KindId;
use super::kind::{sorted, sorted_map, Kind, ObjectKey, Parts};
use crate::desired::model::{DesiredState, Resource, ResourceKind, Role, Trust, TrustBlock};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::iam;
use crate::kinds::lowering::{
    attr_str, iam_arn, name_or_label, policy_document, resource_ref, string_exports, strip_https,
    Ctx, E_SEMANTIC,
};
use crate::language::evblock::EvBlock;
use crate::language::schema::types::{opt, req, BlockSchema, Ty, EXISTING, STATEMENT};
use crate::language::value::{Address, Value};
use crate::plan::rendered::{
    json_file, with_stack_tag, RenderFile, RenderedKind, RenderedResource,
};
use indexmap::IndexMap;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

// ---- Schema

pub const INLINE_POLICY: BlockSchema = BlockSchema {
    name: "inline_policy",
    labels: &["name"],
    attrs: &[opt(
        "document",
        Ty::Any,
        "a JSON document instead of statement blocks",
    )],
    blocks: &[(&STATEMENT, true)],
    open: false,
    doc: "an inline policy of a role",
};

pub const TRUST_SERVICE_ACCOUNT: BlockSchema = BlockSchema {
    name: "trust_service_account",
    labels: &[],
    attrs: &[
        opt(
            "cluster",
            Ty::Ref(&["cluster"]),
            "the cluster whose issuer signs the tokens",
        ),
        opt(
            "provider",
            Ty::Ref(&[KindId::OidcProvider.name()]),
            "or the OIDC provider directly",
        ),
        req("namespace", Ty::String, "Kubernetes namespace"),
        req("names", Ty::ListString, "service account names"),
        opt(
            "allow_wildcard",
            Ty::Bool,
            "allow * and ? in names and namespace (EKS001 becomes a warning)",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "IRSA: trust Kubernetes service accounts",
};

pub const TRUST_POD_IDENTITY: BlockSchema = BlockSchema {
    name: "trust_pod_identity",
    labels: &[],
    attrs: &[opt(
        "conditions",
        Ty::Any,
        "extra StringEquals conditions, e.g. on aws:RequestTag/eks-cluster-name",
    )],
    blocks: &[],
    open: false,
    doc: "EKS Pod Identity (pods.eks.amazonaws.com)",
};

pub const TRUST_SAML: BlockSchema = BlockSchema {
    name: "trust_saml",
    labels: &[],
    attrs: &[req(
        "provider",
        Ty::Ref(&[KindId::SamlProvider.name()]),
        "the SAML provider",
    )],
    blocks: &[],
    open: false,
    doc: "people signing in through a SAML IdP",
};

pub const TRUST_OIDC: BlockSchema = BlockSchema {
    name: "trust_oidc",
    labels: &[],
    attrs: &[
        req(
            "provider",
            Ty::Ref(&[KindId::OidcProvider.name()]),
            "the OIDC provider",
        ),
        opt("conditions", Ty::Any, "condition key -> list of values"),
    ],
    blocks: &[],
    open: false,
    doc: "any other OIDC IdP, e.g. GitHub Actions",
};

pub const TRUST_AWS: BlockSchema = BlockSchema {
    name: "trust_aws",
    labels: &[],
    attrs: &[
        req(
            "principals",
            Ty::ListString,
            "AWS principal ARNs or account ids",
        ),
        opt(
            "conditions",
            Ty::Any,
            "condition key -> list of values (StringEquals)",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "plain cross-account trust",
};

pub const TRUST_STATEMENT: BlockSchema = BlockSchema {
    name: "trust_statement",
    labels: &[],
    attrs: &[req(
        "statement",
        Ty::Any,
        "one trust policy statement, written as is: a JSON string (jsonencode({...})) or an object",
    )],
    blocks: &[],
    open: false,
    doc: "a raw trust statement, for what the typed trust blocks cannot express (a Deny, other operators or principals); `eksfed generate` writes it",
};

/// The `role` block: its labels, attributes and nested blocks.
pub const SCHEMA: BlockSchema = BlockSchema {
    name: "role",
    labels: &["label"],
    attrs: &[
        opt("name", Ty::String, "role name (default: the label)"),
        opt("path", Ty::String, "IAM path (default /)"),
        opt("description", Ty::String, "description"),
        opt("max_session_duration", Ty::Number, "seconds, 3600..43200"),
        opt("permissions_boundary", Ty::String, "policy ARN"),
        opt("tags", Ty::MapString, "IAM tags"),
        opt(
            "policies",
            Ty::ListString,
            "managed policy ARNs attached exclusively",
        ),
        EXISTING,
    ],
    blocks: &[
        (&TRUST_SERVICE_ACCOUNT, true),
        (&TRUST_POD_IDENTITY, true),
        (&TRUST_SAML, true),
        (&TRUST_OIDC, true),
        (&TRUST_AWS, true),
        (&TRUST_STATEMENT, true),
        (&INLINE_POLICY, true),
    ],
    open: false,
    doc: "an IAM role and who may assume it",
};

// ---- Lowering

/// The blocks that say who may assume a role.
const TRUST_KINDS: &[&str] = &[
    "trust_service_account",
    "trust_pod_identity",
    "trust_saml",
    "trust_oidc",
    "trust_aws",
    "trust_statement",
];

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
                crate::language::evblock::E_TYPE,
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

/// One trust block of a role, typed (`None` when a reference did not evaluate or is missing).
fn trust(b: &EvBlock, d: &mut Diagnostics) -> Option<TrustBlock> {
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

/// The `role` kind: its lowering, render and diff side.
pub struct RoleKind;

impl Lower for RoleKind {
    type Model = Role;
    const ID: KindId = KindId::Role;
    const SCHEMA: &'static BlockSchema = &SCHEMA;

    /// Lowers a `role` block: its trust blocks (at least one) into the trust policy, its inline
    /// policies (names unique) and its attributes.
    fn lower(addr: &Address, b: &EvBlock, ctx: &Ctx<'_>, d: &mut Diagnostics) -> Role {
        let name = name_or_label(addr, b);
        let path = b.str("path").unwrap_or_else(|| "/".into());
        let trusts: Vec<TrustBlock> = b
            .blocks
            .iter()
            .filter(|x| TRUST_KINDS.contains(&x.kind.as_str()))
            .filter_map(|x| trust(x, d))
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
                        crate::language::evblock::E_DUPLICATE,
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
        Role {
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
        }
    }

    /// An `existing = true` role: its name, path and ARN only.
    fn lower_existing(
        addr: &Address,
        b: &EvBlock,
        ctx: &Ctx<'_>,
        _d: &mut Diagnostics,
    ) -> Option<Role> {
        let name = name_or_label(addr, b);
        let path = b.str("path").unwrap_or_else(|| "/".into());
        Some(Role {
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
        })
    }

    /// What other blocks may read of a role: `role.LABEL.ATTR`.
    fn exports(r: &Role, _ctx: &Ctx<'_>) -> IndexMap<String, Value> {
        string_exports(&[("arn", &r.arn), ("name", &r.name), ("path", &r.path)])
    }
}

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

impl Render for RoleKind {
    /// The role as IAM holds it, with the stack's ownership tag.
    fn render(role: &Role, _r: &Resource, desired: &DesiredState) -> RenderedKind {
        RenderedKind::Role {
            name: role.name.clone(),
            path: role.path.clone(),
            description: role.description.clone(),
            arn: role.arn.clone(),
            max_session_duration: role.max_session_duration,
            permissions_boundary: role.permissions_boundary.clone(),
            tags: with_stack_tag(&role.tags, &desired.stack.name),
            trust_policy: role.trust_policy.clone(),
            policies: role.policies.clone(),
            inline_policies: role.inline_policies.clone(),
        }
    }

    /// The identity-only rendered piece of an `existing = true` role (no mark): read, never
    /// rendered as a desired object, so the plan can say whether it exists.
    fn existing_piece(role: &Role) -> Option<RenderedKind> {
        Some(RenderedKind::Role {
            name: role.name.clone(),
            path: role.path.clone(),
            description: String::new(),
            arn: role.arn.clone(),
            max_session_duration: role.max_session_duration,
            permissions_boundary: None,
            tags: IndexMap::new(),
            trust_policy: role.trust_policy.clone(),
            policies: vec![],
            inline_policies: IndexMap::new(),
        })
    }

    /// The clusters whose service accounts it trusts (IRSA), each with the issuer its trust
    /// document names (without `https://`, read when the trust is lowered, not by an expression).
    fn trusted_clusters(role: &Role) -> Vec<(&Address, &str)> {
        role.trusts
            .iter()
            .filter_map(|t| match &t.trust {
                Trust::ServiceAccount {
                    cluster: Some(c),
                    issuer,
                    ..
                } => Some((c, issuer.as_str())),
                _ => None,
            })
            .collect()
    }
}

// ---- Diff

/// Role names are unique in an account whatever the path, so a path change keeps the key.
pub fn key_role(name: &str) -> ObjectKey {
    format!("iam:role:{name}")
}

impl Kind for RoleKind {
    fn type_name(&self) -> &'static str {
        KindId::Role.name()
    }
    fn keys(&self, piece: &RenderedKind) -> Vec<ObjectKey> {
        match piece {
            RenderedKind::Role { name, .. } => vec![key_role(name)],
            _ => vec![],
        }
    }
    /// Documents in canonical form; attached policies in any order.
    fn normalize(&self, piece: &RenderedKind, _desired: &RenderedKind) -> Json {
        match piece {
            RenderedKind::Role {
                name,
                path,
                description,
                max_session_duration,
                permissions_boundary,
                tags,
                trust_policy,
                policies,
                inline_policies,
                ..
            } => json!({
                "name": name, "path": path, "description": description, "max_session_duration": max_session_duration,
                "permissions_boundary": permissions_boundary, "tags": sorted_map(tags),
                "trust_policy": iam::canonical(trust_policy), "policies": sorted(policies),
                "inline_policies": inline_policies.iter().map(|(k, v)| (k.clone(), iam::canonical(v))).collect::<BTreeMap<_, _>>(),
            }),
            _ => serde_json::to_value(piece).unwrap_or_default(),
        }
    }
    fn replace_reason(&self, before: &RenderedKind, after: &RenderedKind) -> Option<String> {
        match (before, after) {
            (RenderedKind::Role { path: a, .. }, RenderedKind::Role { path: b, .. }) if a != b => {
                Some(format!("path changed from {a} to {b}"))
            }
            _ => None,
        }
    }
    fn delete_tier(&self) -> u8 {
        1
    }
    fn renamed_by(&self) -> Option<&'static str> {
        Some("name")
    }
    fn describe(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::Role { name, .. } => format!("the role {name}"),
            _ => String::new(),
        }
    }
    fn import_id(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::Role { name, .. } => name.clone(),
            _ => String::new(),
        }
    }
    fn orphan_name(&self, piece: &RenderedKind) -> String {
        match piece {
            RenderedKind::Role { name, .. } => name.clone(),
            _ => String::new(),
        }
    }
    fn mark_owned(&self, piece: &mut RenderedKind, stack: &str) {
        if let RenderedKind::Role { tags, .. } = piece {
            *tags = crate::plan::rendered::with_stack_tag(tags, stack);
        }
    }
    fn parts<'a>(&self, piece: &'a RenderedKind) -> Parts<'a> {
        Parts::iam_object(matches!(piece, RenderedKind::Role { .. }))
    }
    /// Its name.
    fn import_id_form(&self) -> &'static str {
        "its name"
    }
    /// Its name.
    fn import_ids(&self, _model: Option<&ResourceKind>, piece: &RenderedKind) -> Vec<String> {
        match piece {
            RenderedKind::Role { name, .. } => vec![name.clone()],
            _ => vec![],
        }
    }
    /// Its trust policy and each inline policy, under `iam/roles/NAME/`.
    fn files(&self, res: &RenderedResource) -> Vec<RenderFile> {
        let RenderedKind::Role {
            name,
            trust_policy,
            inline_policies,
            ..
        } = &res.kind
        else {
            return vec![];
        };
        let mut out = vec![(
            format!("iam/roles/{name}/trust-policy.json"),
            json_file(trust_policy),
        )];
        for (p, doc) in inline_policies {
            out.push((format!("iam/roles/{name}/inline-{p}.json"), json_file(doc)));
        }
        out
    }
}
