//! ### What it finds
//! A name or field over its IAM limit:
//!
//! - a role name over 64 characters, a policy or SAML provider name over 128;
//! - a role or policy `path` over 512 characters, or one that does not begin and end with `/`
//!   (or holds anything but printable ASCII: no spaces);
//! - a role or policy `description` over 1,000 characters;
//! - more than 50 tags on a role, policy, OIDC or SAML provider, a tag key over 128 characters
//!   or a tag value over 256. The count is of the tags IAM receives: the user's `tags` plus the
//!   `eksfed:stack` ownership tag eksfed adds to every object it creates, so 50 tags of your
//!   own are one too many;
//! - a role's `max_session_duration` outside 3,600..43,200 seconds.
//!
//! Lengths are counted in characters (Unicode scalar values), as IAM counts them.
//!
//! ### Why it matters
//! IAM rejects these at apply time (`ValidationError`, `LimitExceeded`), often after other
//! objects of the stack were already written. IAM user guide, "IAM and AWS STS quotas"
//! (`reference_iam-quotas`: name and path lengths, tags per resource, tag key and value
//! lengths) and the CreateRole / CreatePolicy / CreateSAMLProvider API references (a path is
//! `/` or `/` + printable ASCII + `/`; `MaxSessionDuration` 3600..43200).
//!
//! ### Fix
//! Shorten the value; keep paths like `/teams/payments/`; move long text out of tags into
//! the description (or the other way round); use a session duration from 1 to 12 hours.

use crate::desired::model::{DesiredState, Resource, ResourceKind};
use crate::diag::Diagnostic;
use crate::plan::rendered::with_stack_tag;
use crate::plan::rendered::STACK_TAG;
use indexmap::IndexMap;

pub const ROLE_NAME: usize = 64;
pub const POLICY_NAME: usize = 128;
pub const SAML_NAME: usize = 128;
pub const PATH: usize = 512;
pub const DESCRIPTION: usize = 1000;
pub const TAGS: usize = 50;
pub const TAG_KEY: usize = 128;
pub const TAG_VALUE: usize = 256;
pub const SESSION: std::ops::RangeInclusive<i64> = 3600..=43200;

fn len(s: &str) -> usize {
    s.chars().count()
}

fn push(out: &mut Vec<Diagnostic>, r: &Resource, attr: &str, msg: String, help: &str) {
    out.push(
        Diagnostic::error("QUOTA005", msg)
            .at(Some(r.block.span_of(attr)))
            .address(r.address.to_string())
            .help(help),
    );
}

/// A string shown in a message: the first characters of a long one.
fn shown(s: &str) -> String {
    if len(s) > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

fn name(out: &mut Vec<Diagnostic>, r: &Resource, what: &str, n: &str, limit: usize) {
    if len(n) > limit {
        push(
            out,
            r,
            "name",
            format!(
                "{what} name \"{}\" is {} characters; IAM allows {limit}",
                shown(n),
                len(n)
            ),
            "shorten the name",
        );
    }
}

fn path(out: &mut Vec<Diagnostic>, r: &Resource, p: &str) {
    if len(p) > PATH {
        push(
            out,
            r,
            "path",
            format!(
                "path \"{}\" is {} characters; IAM allows {PATH}",
                shown(p),
                len(p)
            ),
            "shorten the path",
        );
    }
    let problem = if !p.starts_with('/') || !p.ends_with('/') {
        Some("must begin and end with `/`")
    } else if !p.chars().all(|c| c.is_ascii_graphic()) {
        Some("may hold only printable ASCII, without spaces")
    } else {
        None
    };
    if let Some(problem) = problem {
        push(
            out,
            r,
            "path",
            format!("path \"{}\" {problem}", shown(p)),
            "write the path as \"/\" or \"/segment/.../\", e.g. \"/teams/payments/\"",
        );
    }
}

fn description(out: &mut Vec<Diagnostic>, r: &Resource, d: &str) {
    if len(d) > DESCRIPTION {
        push(
            out,
            r,
            "description",
            format!(
                "description is {} characters; IAM allows {DESCRIPTION}",
                len(d)
            ),
            "shorten the description",
        );
    }
}

fn tags(out: &mut Vec<Diagnostic>, r: &Resource, stack: &str, user: &IndexMap<String, String>) {
    let all = with_stack_tag(user, stack);
    if all.len() > TAGS {
        push(
            out,
            r,
            "tags",
            format!(
                "{} tags ({} of yours and {STACK_TAG}, which eksfed adds); IAM allows {TAGS} per object",
                all.len(),
                user.len()
            ),
            "remove tags: at most 49 of your own",
        );
    }
    for (k, v) in user {
        if len(k) > TAG_KEY {
            push(
                out,
                r,
                "tags",
                format!(
                    "tag key \"{}\" is {} characters; IAM allows {TAG_KEY}",
                    shown(k),
                    len(k)
                ),
                "shorten the key",
            );
        }
        if len(v) > TAG_VALUE {
            push(
                out,
                r,
                "tags",
                format!(
                    "the value of tag \"{}\" is {} characters; IAM allows {TAG_VALUE}",
                    shown(k),
                    len(v)
                ),
                "shorten the value",
            );
        }
    }
}

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    let stack = &desired.stack.name;
    for r in &desired.resources {
        match &r.kind {
            ResourceKind::Role(role) => {
                name(out, r, "role", &role.name, ROLE_NAME);
                path(out, r, &role.path);
                description(out, r, &role.description);
                if !SESSION.contains(&role.max_session_duration) {
                    push(
                        out,
                        r,
                        "max_session_duration",
                        format!(
                            "max_session_duration is {}; IAM accepts {} to {} seconds",
                            role.max_session_duration,
                            SESSION.start(),
                            SESSION.end()
                        ),
                        "use a value from 3600 (1 hour) to 43200 (12 hours)",
                    );
                }
                tags(out, r, stack, &role.tags);
            }
            ResourceKind::Policy(p) => {
                name(out, r, "policy", &p.name, POLICY_NAME);
                path(out, r, &p.path);
                description(out, r, &p.description);
                tags(out, r, stack, &p.tags);
            }
            ResourceKind::OidcProvider(p) => tags(out, r, stack, &p.tags),
            ResourceKind::SamlProvider(p) => {
                name(out, r, "SAML provider", &p.name, SAML_NAME);
                tags(out, r, stack, &p.tags);
            }
            _ => {}
        }
    }
}
