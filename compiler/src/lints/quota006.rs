//! ### What it finds
//! An OIDC provider with more than 100 client ids (or one longer than 255 characters), more
//! than 5 thumbprints, a thumbprint that is not 40 hex digits; and two `oidc_provider`s of the
//! stack with the same URL (compared without scheme, trailing slash or host case:
//! `https://OIDC.example.com/id/X/` and `https://oidc.example.com/id/X` are one provider to
//! IAM). Each client id, thumbprint or duplicate is its own finding, pointing at the element.
//!
//! ### Why it matters
//! CreateOpenIDConnectProvider rejects the first ones; an account holds one provider per URL,
//! so the second create fails with EntityAlreadyExists (terraform-aws-oidc-github #23).
//! CreateOpenIDConnectProvider API reference; IAM user guide, "IAM and AWS STS quotas"
//! (`reference_iam-quotas`: client ids and thumbprints per OIDC provider).
//!
//! ### Fix
//! Keep one `oidc_provider` per URL and reference it from every role; fix the thumbprints (or
//! leave them out: AWS no longer needs them for most IdPs).

use super::util::normal_issuer;
use crate::desired::model::{DesiredState, ResourceKind};
use crate::diag::Diagnostic;
use std::collections::HashMap;

pub fn check(desired: &DesiredState, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<String, String> = HashMap::new();
    // In source order, so the duplicate reported is the one declared later.
    let mut providers: Vec<_> = desired
        .resources
        .iter()
        .filter(|r| matches!(r.kind, ResourceKind::OidcProvider(_)))
        .collect();
    providers.sort_by_key(|r| (r.block.span.file, r.block.span.range.start));
    for r in providers {
        let ResourceKind::OidcProvider(p) = &r.kind else {
            continue;
        };
        let addr = r.address.to_string();
        let err = |msg: String, attr: &str, i: Option<usize>| {
            Diagnostic::error("QUOTA006", msg)
                .at(Some(match i {
                    Some(i) => r.block.elem_span(attr, i),
                    None => r.block.span_of(attr),
                }))
                .address(addr.clone())
        };
        if p.client_ids.len() > 100 {
            out.push(
                err(
                    format!(
                        "{} client ids; an OIDC provider takes at most 100",
                        p.client_ids.len()
                    ),
                    "client_ids",
                    None,
                )
                .help("remove client ids"),
            );
        }
        for (i, c) in p.client_ids.iter().enumerate() {
            let n = c.chars().count();
            if n > 255 {
                out.push(
                    err(
                        format!(
                            "client id \"{}…\" is {n} characters; the limit is 255",
                            c.chars().take(20).collect::<String>()
                        ),
                        "client_ids",
                        Some(i),
                    )
                    .help("use the audience (client id) the IdP puts in its tokens, at most 255 characters"),
                );
            }
        }
        if let Some(t) = &p.thumbprints {
            if t.len() > 5 {
                out.push(
                    err(
                        format!("{} thumbprints; an OIDC provider takes at most 5", t.len()),
                        "thumbprints",
                        None,
                    )
                    .help("keep at most 5"),
                );
            }
            for (i, tp) in t.iter().enumerate() {
                if tp.len() != 40 || !tp.chars().all(|c| c.is_ascii_hexdigit()) {
                    out.push(err(format!("thumbprint \"{tp}\" is not 40 hex digits (a SHA-1 fingerprint)"), "thumbprints", Some(i)).help("use the SHA-1 fingerprint of the IdP's certificate, or leave thumbprints out"));
                }
            }
        }
        let key = normal_issuer(&p.url);
        if let Some(first) = seen.get(&key) {
            out.push(err(format!("{first} already declares an OIDC provider for {}; an account has one provider per URL", p.url), "url", None).help(format!("reference {first} instead")));
        } else {
            seen.insert(key, addr.clone());
        }
    }
}
