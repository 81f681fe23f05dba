//! Shared helpers for the rules: walking policy documents with the spans of the blocks that
//! wrote them, matching IAM action patterns.

use crate::desired::model::{DesiredState, Resource, ResourceKind};
use crate::diag::Span;
use crate::iam::statement::{statements, Statement};
use crate::language::evblock::EvBlock;
use serde_json::Value as Json;

/// A permissions document of the stack: a managed policy's or a role's inline policy.
pub struct Doc<'a> {
    pub res: &'a Resource,
    pub doc: &'a Json,
    /// "policy `reports-read`" or "inline policy `extra` of role `x`".
    pub what: String,
    /// The block holding `statement` blocks or `document`.
    pub block: &'a EvBlock,
}

impl Doc<'_> {
    pub fn statements(&self) -> Vec<Statement> {
        statements(self.doc)
    }
    /// The statement block that wrote statement `i`, when the document came from blocks.
    pub fn stmt_block(&self, i: usize) -> Option<&EvBlock> {
        if self.block.get("document").is_some() {
            return None;
        }
        self.block.blocks_of("statement").nth(i)
    }
    /// Where to point for statement `i`'s `attr` (element `elem` when known).
    pub fn span(&self, i: usize, attr: &str, elem: Option<usize>) -> Span {
        match self.stmt_block(i) {
            Some(b) => match elem {
                Some(e) => b.elem_span(attr, e),
                None => b.span_of(attr),
            },
            None => self.block.span_of("document"),
        }
    }
}

/// Every managed and inline policy document of the stack.
pub fn documents(desired: &DesiredState) -> Vec<Doc<'_>> {
    let mut out = vec![];
    for r in &desired.resources {
        match &r.kind {
            ResourceKind::Policy(p) => out.push(Doc {
                res: r,
                doc: &p.document,
                what: format!("policy `{}`", p.name),
                block: &r.block,
            }),
            ResourceKind::Role(role) => {
                for ip in r.block.blocks_of("inline_policy") {
                    let name = ip.labels.first().cloned().unwrap_or_default();
                    if let Some(doc) = role.inline_policies.get(&name) {
                        out.push(Doc {
                            res: r,
                            doc,
                            what: format!("inline policy `{name}` of role `{}`", role.name),
                            block: ip,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// An Allow statement: `Effect` is `Allow` or not a string (lints check what the statement
/// would allow).
pub fn is_allow(stmt: &Statement) -> bool {
    stmt.effect.as_deref().unwrap_or("Allow") == "Allow"
}

/// The index of the first action in `actions` that matches `target`.
pub fn matching(actions: &[String], target: &str) -> Option<usize> {
    actions
        .iter()
        .position(|a| crate::iam::pattern::matches(a, target, true))
}

pub fn has_wildcard(s: &str) -> bool {
    s.contains('*') || s.contains('?')
}

/// An issuer or provider URL as IAM identifies it: no scheme, no trailing slash, host in
/// lower case (the path keeps its case). `https://OIDC.example.com/id/X/` and
/// `oidc.example.com/id/X` are the same issuer.
pub fn normal_issuer(url: &str) -> String {
    let rest = match url.split_once("://") {
        Some((_, r)) => r,
        None => url,
    };
    let rest = rest.trim_end_matches('/');
    match rest.split_once('/') {
        Some((host, path)) => format!("{}/{path}", host.to_lowercase()),
        None => rest.to_lowercase(),
    }
}

/// The claim of an OIDC condition key `ISSUER:claim` (lower case), and its issuer part.
pub fn claim_of(key: &str) -> Option<(&str, String)> {
    key.rsplit_once(':').map(|(p, c)| (p, c.to_lowercase()))
}

/// The first attribute span of a trust block, falling back to the block.
pub fn trust_span(t: &crate::desired::model::TrustBlock, attrs: &[&str]) -> Span {
    attrs
        .iter()
        .find_map(|a| t.spans.get(*a).cloned())
        .unwrap_or_else(|| t.span.clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn glob_matches_like_iam() {
        assert!(crate::iam::pattern::matches("iam:*", "iam:PassRole", true));
        assert!(crate::iam::pattern::matches(
            "IAM:pass*",
            "iam:PassRole",
            true
        ));
        assert!(crate::iam::pattern::matches("*", "s3:GetObject", true));
        assert!(!crate::iam::pattern::matches(
            "iam:Get*",
            "iam:PassRole",
            true
        ));
        assert!(crate::iam::pattern::matches(
            "iam:?assRole",
            "iam:PassRole",
            true
        ));
    }

    #[test]
    fn issuers_compare_without_scheme_slash_or_host_case() {
        use super::normal_issuer as n;
        assert_eq!(
            n("https://OIDC.EKS.us-east-1.amazonaws.com/id/ABC/"),
            n("oidc.eks.us-east-1.amazonaws.com/id/ABC")
        );
        assert_eq!(
            n("HTTPS://Token.Actions.GithubUserContent.com"),
            "token.actions.githubusercontent.com"
        );
        assert_ne!(n("https://a.example/id/ABC"), n("https://a.example/id/abc"));
    }
}
