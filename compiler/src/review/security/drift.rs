//! Drift: what eksfed applied last time, so the review can tell a change the configuration
//! makes from one that puts back a live object someone changed by hand.
//!
//! eksfed keeps no state file: the live object is the `before` of every change. So that the
//! review knows what the configuration said at the last apply, apply records it on the object
//! itself, in the tag [`APPLIED_TAG`] of roles and managed policies: one short digest per part
//! of the object the review reports on (a role's trust policy, inline policies, attached
//! policies, permissions boundary and tags; a policy's document and tags). The reader moves the
//! tag into the live object's `meta` (key [`META_KEY`]), so the diff never sees it.
//!
//! At plan time, a part whose desired digest equals the recorded one has not changed in the
//! configuration since that apply: every difference the plan repairs there was made by hand,
//! and the review marks its items as drift (`"drift": true`, "(repairs drift)"). A part whose
//! digest differs, or an object with no record (created before this, imported, or with no room
//! for the tag), gets no mark. The mark never changes an item's effect.

use crate::plan::rendered::RenderedKind;
use crate::plan::rendered::STACK_TAG;
use serde_json::Value as Json;
use sha2::Digest as _;

/// The IAM tag holding the record.
pub const APPLIED_TAG: &str = "eksfed:applied";
/// Where the reader puts the record in [`crate::plan::live::LiveObject::meta`].
pub const META_KEY: &str = "applied";
/// IAM's limit of tags per role or policy.
const MAX_TAGS: usize = 50;

/// A part of an object the review reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Trust,
    Inline,
    Attached,
    Boundary,
    Tags,
    Document,
}

impl Part {
    fn letter(self) -> char {
        match self {
            Part::Trust => 't',
            Part::Inline => 'i',
            Part::Attached => 'p',
            Part::Boundary => 'b',
            Part::Tags => 'g',
            Part::Document => 'd',
        }
    }
}

/// JSON with object keys sorted at every level, so the digest does not depend on key order.
fn sorted(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn digest(v: &Json) -> String {
    let d = sha2::Sha256::digest(sorted(v).to_string().as_bytes());
    d.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

fn user_tags(tags: &indexmap::IndexMap<String, String>) -> Json {
    let mut t: Vec<(&String, &String)> = tags
        .iter()
        .filter(|(k, _)| k.as_str() != STACK_TAG && k.as_str() != APPLIED_TAG)
        .collect();
    t.sort();
    Json::Array(
        t.into_iter()
            .map(|(k, v)| serde_json::json!([k, v]))
            .collect(),
    )
}

/// The parts of an object and their digests; empty for kinds that carry no record.
pub fn parts(kind: &RenderedKind) -> Vec<(Part, String)> {
    match kind {
        RenderedKind::Role {
            trust_policy,
            policies,
            inline_policies,
            permissions_boundary,
            tags,
            ..
        } => {
            let mut attached = policies.clone();
            attached.sort();
            attached.dedup();
            let inline: serde_json::Map<String, Json> = inline_policies
                .iter()
                .map(|(k, d)| (k.clone(), crate::iam::canonical(d)))
                .collect();
            vec![
                (Part::Trust, digest(&crate::iam::canonical(trust_policy))),
                (Part::Inline, digest(&Json::Object(inline))),
                (Part::Attached, digest(&serde_json::json!(attached))),
                (
                    Part::Boundary,
                    digest(&serde_json::json!(permissions_boundary)),
                ),
                (Part::Tags, digest(&user_tags(tags))),
            ]
        }
        RenderedKind::Policy { document, tags, .. } => vec![
            (Part::Document, digest(&crate::iam::canonical(document))),
            (Part::Tags, digest(&user_tags(tags))),
        ],
        RenderedKind::OidcProvider { .. }
        | RenderedKind::SamlProvider { .. }
        | RenderedKind::ServiceAccount { .. }
        | RenderedKind::Access { .. }
        | RenderedKind::RbacBinding { .. } => vec![],
    }
}

/// The record apply writes for an object it leaves as `after`: `1 t=… i=… …`. `None` for kinds
/// that carry none, and when the object's tags leave no room for one more.
pub fn record(after: &RenderedKind) -> Option<String> {
    let tags = match after {
        RenderedKind::Role { tags, .. } | RenderedKind::Policy { tags, .. } => tags,
        RenderedKind::OidcProvider { .. }
        | RenderedKind::SamlProvider { .. }
        | RenderedKind::ServiceAccount { .. }
        | RenderedKind::Access { .. }
        | RenderedKind::RbacBinding { .. } => return None,
    };
    let used = tags
        .keys()
        .filter(|k| k.as_str() != STACK_TAG && k.as_str() != APPLIED_TAG)
        .count()
        + 1;
    if used + 1 > MAX_TAGS {
        return None;
    }
    let mut s = "1".to_string();
    for (p, d) in parts(after) {
        s.push_str(&format!(" {}={d}", p.letter()));
    }
    Some(s)
}

/// The parts of `after` unchanged in the configuration since the apply that wrote `record`.
pub fn unchanged_parts(record: &str, after: &RenderedKind) -> Vec<Part> {
    let mut words = record.split(' ');
    if words.next() != Some("1") {
        return vec![];
    }
    let recorded: Vec<&str> = words.collect();
    parts(after)
        .into_iter()
        .filter(|(p, d)| recorded.contains(&format!("{}={d}", p.letter()).as_str()))
        .map(|(p, _)| p)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn role(trust: Json, actions: &[&str]) -> RenderedKind {
        let mut inline = indexmap::IndexMap::new();
        inline.insert(
            "jobs".to_string(),
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}),
        );
        let mut tags = indexmap::IndexMap::new();
        tags.insert(STACK_TAG.to_string(), "s".to_string());
        RenderedKind::Role {
            name: "r".into(),
            path: "/".into(),
            description: String::new(),
            arn: "arn:aws:iam::1:role/r".into(),
            max_session_duration: 3600,
            permissions_boundary: None,
            tags,
            trust_policy: trust,
            policies: vec![],
            inline_policies: inline,
        }
    }

    #[test]
    fn a_record_names_the_parts_that_did_not_change() {
        let trust = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}]});
        let applied = role(trust.clone(), &["sqs:SendMessage"]);
        let rec = record(&applied).unwrap();
        assert!(rec.starts_with("1 t="), "{rec}");
        assert!(
            rec.len() < 256,
            "an IAM tag value holds 256 characters: {rec}"
        );
        // The same configuration: every part unchanged.
        assert_eq!(unchanged_parts(&rec, &applied).len(), 5);
        // An action added in the configuration: the inline part changed, the rest did not.
        let now = role(trust, &["sqs:SendMessage", "sqs:DeleteMessage"]);
        let same = unchanged_parts(&rec, &now);
        assert!(!same.contains(&Part::Inline), "{same:?}");
        assert!(same.contains(&Part::Trust), "{same:?}");
        // A record of another version (or none) marks nothing.
        assert!(unchanged_parts("2 t=x", &now).is_empty());
    }

    #[test]
    fn key_order_and_the_ownership_tag_do_not_change_a_digest() {
        let a = serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        let b = serde_json::json!({"Statement": [{"Resource": "*", "Action": "s3:GetObject", "Effect": "Allow"}]});
        assert_eq!(
            digest(&crate::iam::canonical(&a)),
            digest(&crate::iam::canonical(&b))
        );
        let mut t1 = indexmap::IndexMap::new();
        t1.insert("team".to_string(), "x".to_string());
        let mut t2 = t1.clone();
        t2.insert(STACK_TAG.to_string(), "s".to_string());
        assert_eq!(digest(&user_tags(&t1)), digest(&user_tags(&t2)));
    }

    #[test]
    fn no_record_when_the_tags_leave_no_room() {
        let trust = serde_json::json!({"Statement": []});
        let mut r = role(trust, &["s3:GetObject"]);
        if let RenderedKind::Role { tags, .. } = &mut r {
            for i in 0..48 {
                tags.insert(format!("k{i}"), "v".into());
            }
        }
        assert!(record(&r).is_some(), "48 user tags + stack + record = 50");
        if let RenderedKind::Role { tags, .. } = &mut r {
            tags.insert("k48".into(), "v".into());
        }
        assert!(record(&r).is_none());
    }
}
