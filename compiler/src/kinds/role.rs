//! `role`: an IAM role, identified by its name (unique in an account whatever the path, so a
//! path change keeps the key and is a replace).

use super::kind::{sorted, sorted_map, Kind, ObjectKey};
use crate::iam;
use crate::model::{self, Trust};
use crate::rendered::{json_file, with_stack_tag, RenderFile, RenderedKind, RenderedResource};
use crate::value::Address;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

// ---- Render: typed model → `RenderedKind`; the files `eksfed render --out` writes.

/// The role as IAM holds it, with the stack's ownership tag.
pub fn render(role: &model::Role, stack: &str) -> RenderedKind {
    RenderedKind::Role {
        name: role.name.clone(),
        path: role.path.clone(),
        description: role.description.clone(),
        arn: role.arn.clone(),
        max_session_duration: role.max_session_duration,
        permissions_boundary: role.permissions_boundary.clone(),
        tags: with_stack_tag(&role.tags, stack),
        trust_policy: role.trust_policy.clone(),
        policies: role.policies.clone(),
        inline_policies: role.inline_policies.clone(),
    }
}

/// Its trust policy and each inline policy, under `iam/roles/NAME/`.
pub fn files(res: &RenderedResource) -> Vec<RenderFile> {
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

/// The clusters whose service accounts it trusts (IRSA), each with the issuer its trust
/// document names (without `https://`, read when the trust is lowered, not by an expression).
pub fn trusted_clusters(role: &model::Role) -> Vec<(&Address, &str)> {
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

// ---- Diff

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
