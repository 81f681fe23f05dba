//! Signed plan files (README "Plans of untrusted changes"). A plan file travels between CI
//! jobs and may be edited on the way; with `EKSFED_PLAN_KEY` set, `plan --out` signs it (an
//! HMAC-SHA256 over the plan as serialized without its `signature`) and `apply PLANFILE`
//! refuses a plan that is unsigned or whose signature does not match. Without the key, apply
//! takes nothing the plan records on trust: its inputs must be what apply is given.

use anyhow::{bail, Result};
use eksfed_compiler::plan::Plan;
use ring::hmac;

/// The environment variable holding the key (any text; a long random secret).
pub const KEY_ENV: &str = "EKSFED_PLAN_KEY";

const PREFIX: &str = "hmac-sha256:";

/// The key from the environment, when set and not empty.
pub fn key_from_env() -> Option<Vec<u8>> {
    std::env::var(KEY_ENV)
        .ok()
        .filter(|k| !k.is_empty())
        .map(String::into_bytes)
}

/// What is signed: the plan as serialized, without its signature.
fn signed_bytes(plan: &Plan) -> Result<Vec<u8>> {
    let mut p = plan.clone();
    p.signature = None;
    Ok(serde_json::to_vec(&p)?)
}

/// Signs `plan` with `key` (replacing any signature).
pub fn sign(plan: &mut Plan, key: &[u8]) -> Result<()> {
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        &signed_bytes(plan)?,
    );
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    plan.signature = Some(format!("{PREFIX}{hex}"));
    Ok(())
}

/// Checks `plan`'s signature with `key` (in constant time); the error says why it fails.
pub fn verify(plan: &Plan, key: &[u8]) -> Result<()> {
    let Some(sig) = &plan.signature else {
        bail!("is not signed, and {KEY_ENV} is set: only plans signed with that key are applied")
    };
    let Some(hex) = sig.strip_prefix(PREFIX) else {
        bail!("has a signature that is not {PREFIX}HEX")
    };
    let tag = decode_hex(hex).ok_or_else(|| anyhow::anyhow!("has a malformed signature"))?;
    hmac::verify(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        &signed_bytes(plan)?,
        &tag,
    )
    .map_err(|_| {
        anyhow::anyhow!("does not match its signature under {KEY_ENV}: it was edited after it was made, or signed with another key")
    })
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        serde_json::from_value(serde_json::json!({
            "format_version": eksfed_compiler::plan::PLAN_FORMAT_VERSION,
            "stack": "s", "account_id": "111122223333", "partition": "aws", "changes": [],
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_signed_plan_verifies_and_any_edit_does_not() {
        let mut p = plan();
        sign(&mut p, b"k").unwrap_or_else(|e| panic!("{e}"));
        assert!(verify(&p, b"k").is_ok());
        assert!(verify(&p, b"other").is_err());
        let mut edited = p.clone();
        edited.account_id = "444455556666".into();
        assert!(verify(&edited, b"k").is_err());
        let mut unsigned = p.clone();
        unsigned.signature = None;
        assert!(verify(&unsigned, b"k").is_err());
    }
}
