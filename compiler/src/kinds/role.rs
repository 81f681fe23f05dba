//! `role`: an IAM role, identified by its name (unique in an account whatever the path, so a
//! path change keeps the key and is a replace).

use super::kind::{sorted, sorted_map, Kind, ObjectKey};
use crate::iam;
use crate::render::RenderedKind;
use crate::schema::types::{opt, req, BlockSchema, Ty, STATEMENT};
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
            Ty::Ref(&["oidc_provider"]),
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
        Ty::Ref(&["saml_provider"]),
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
        req("provider", Ty::Ref(&["oidc_provider"]), "the OIDC provider"),
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
        opt(
            "existing",
            Ty::Bool,
            "made and owned elsewhere: only read (never created, changed, tagged or deleted); only the identifying attributes are allowed",
        ),
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

pub struct RoleKind;

/// Role names are unique in an account whatever the path, so a path change keeps the key.
pub fn key_role(name: &str) -> ObjectKey {
    format!("iam:role:{name}")
}

impl Kind for RoleKind {
    fn type_name(&self) -> &'static str {
        "role"
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
}
