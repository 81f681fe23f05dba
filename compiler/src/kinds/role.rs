//! `role`: an IAM role, identified by its name (unique in an account whatever the path, so a
//! path change keeps the key and is a replace).

use super::kind::{sorted, sorted_map, Kind, ObjectKey};
use crate::iam;
use crate::render::RenderedKind;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

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
