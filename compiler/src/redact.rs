//! The text shown in place of a sensitive value, and the replacement of sensitive texts in
//! a message. A leaf: `diag` redacts its messages with it, `sensitive` finds the texts.

/// What text and markdown plans and diagnostics show in place of a sensitive value.
pub const REDACTED: &str = "(sensitive value)";

/// Replaces every sensitive text in `s` with [`REDACTED`].
pub fn redact_text(s: &str, secrets: &[String]) -> String {
    let mut out = s.to_string();
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}
