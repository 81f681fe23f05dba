//! The text shown in place of a sensitive value, and the replacement of sensitive texts in
//! a message. A leaf: `diag` redacts its messages with it, `sensitive` finds the texts.

/// What text and markdown plans and diagnostics show in place of a sensitive value.
pub const REDACTED: &str = "(sensitive value)";

/// Where a message cuts a long text short (QUOTA005's names, long source lines).
const CUT: char = '…';

/// Replaces every sensitive text in `s` with [`REDACTED`], and the beginning of one that a
/// message cut short (the text before a `…` ending with a prefix of a sensitive text).
pub fn redact_text(s: &str, secrets: &[String]) -> String {
    let mut out = s.to_string();
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    if out.contains(CUT) {
        out = redact_cut_prefixes(&out, secrets);
    }
    out
}

/// Each `…` preceded by the beginning of a sensitive text (the longest one) gets that
/// beginning replaced.
fn redact_cut_prefixes(s: &str, secrets: &[String]) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find(CUT) {
        let before = &rest[..at];
        let longest = secrets
            .iter()
            .flat_map(|secret| {
                secret
                    .char_indices()
                    .map(|(i, c)| &secret[..i + c.len_utf8()])
                    .filter(|prefix| before.ends_with(prefix))
            })
            .map(str::len)
            .max();
        match longest {
            Some(n) => {
                out.push_str(&before[..before.len() - n]);
                out.push_str(REDACTED);
            }
            None => out.push_str(before),
        }
        out.push(CUT);
        rest = &rest[at + CUT.len_utf8()..];
    }
    out.push_str(rest);
    out
}
