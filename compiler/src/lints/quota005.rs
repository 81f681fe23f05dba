//! ### What it finds
//! A name or field over its IAM limit: role name 64 characters, policy name 128, path 512
//! (and it must begin and end with `/`), description 1,000, more than 50 tags on an object,
//! a tag key over 128 or a value over 256 characters, `max_session_duration` outside
//! 3,600..43,200 seconds. Tag counts include the `eksfed:stack` tag eksfed adds.
//!
//! ### Why it matters
//! IAM rejects these at apply time (ValidationError / LimitExceeded), often after other
//! objects were already written. IAM user guide, "IAM and AWS STS quotas" and the CreateRole
//! / CreatePolicy API references.
//!
//! ### Fix
//! Shorten the value, or move information out of tags into descriptions (or vice versa).

use crate::diag::{Diagnostic, Span};
use crate::model::{DesiredState, Resource, ResourceKind};
use indexmap::IndexMap;

fn push(out: &mut Vec<Diagnostic>, r: &Resource, attr: &str, msg: String, help: &str) {
    let span: Span = r.block.span_of(attr);
    out.push(
        Diagnostic::error("QUOTA005", msg)
            .at(Some(span))
            .address(r.address.to_string())
            .help(help),
    );
}

fn tags(out: &mut Vec<Diagnostic>, r: &Resource, tags: &IndexMap<String, String>) {
    if tags.len() + 1 > 50 {
        push(
            out,
            r,
            "tags",
            format!(
                "{} tags (with eksfed:stack); IAM allows 50 per object",
                tags.len() + 1
            ),
            "remove tags",
        );
    }
    for (k, v) in tags {
        if k.chars().count() > 128 {
            push(
                out,
                r,
                "tags",
                format!(
                    "tag key \"{k}\" is {} characters; the limit is 128",
                    k.chars().count()
                ),
                "shorten the key",
            );
        }
        if v.chars().count() > 256 {
            push(
                out,
                r,
                "tags",
                format!(
                    "the value of tag \"{k}\" is {} characters; the limit is 256",
                    v.chars().count()
                ),
                "shorten the value",
            );
        }
    }
}

fn path(out: &mut Vec<Diagnostic>, r: &Resource, p: &str) {
    if p.chars().count() > 512 {
        push(
            out,
            r,
            "path",
            format!("path is {} characters; the limit is 512", p.chars().count()),
            "shorten the path",
        );
    }
}

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    for r in &desired.resources {
        match &r.kind {
            ResourceKind::Role(role) => {
                if role.name.chars().count() > 64 {
                    push(
                        out,
                        r,
                        "name",
                        format!(
                            "role name \"{}\" is {} characters; the limit is 64",
                            role.name,
                            role.name.chars().count()
                        ),
                        "shorten the name",
                    );
                }
                path(out, r, &role.path);
                if role.description.chars().count() > 1000 {
                    push(
                        out,
                        r,
                        "description",
                        format!(
                            "description is {} characters; the limit is 1,000",
                            role.description.chars().count()
                        ),
                        "shorten the description",
                    );
                }
                if !(3600..=43200).contains(&role.max_session_duration) {
                    push(
                        out,
                        r,
                        "max_session_duration",
                        format!(
                            "max_session_duration is {}; IAM accepts 3600 to 43200 seconds",
                            role.max_session_duration
                        ),
                        "use a value from 3600 (1 hour) to 43200 (12 hours)",
                    );
                }
                tags(out, r, &role.tags);
            }
            ResourceKind::Policy(p) => {
                if p.name.chars().count() > 128 {
                    push(
                        out,
                        r,
                        "name",
                        format!(
                            "policy name \"{}\" is {} characters; the limit is 128",
                            p.name,
                            p.name.chars().count()
                        ),
                        "shorten the name",
                    );
                }
                path(out, r, &p.path);
                if p.description.chars().count() > 1000 {
                    push(
                        out,
                        r,
                        "description",
                        format!(
                            "description is {} characters; the limit is 1,000",
                            p.description.chars().count()
                        ),
                        "shorten the description",
                    );
                }
                tags(out, r, &p.tags);
            }
            ResourceKind::OidcProvider(p) => tags(out, r, &p.tags),
            ResourceKind::SamlProvider(p) => tags(out, r, &p.tags),
            _ => {}
        }
    }
}
