//! `--format sarif` and `--format github` of `validate` and `plan`: the writers are in
//! `eksfed_compiler::output::ci_formats`; this adds what only the CLI knows (the stack directory on
//! disk, the version).

use anyhow::Result;
use serde_json::Value;
use std::path::Path;

/// The SARIF log of these diagnostics (JSON form), pretty-printed.
pub fn sarif(dir: &Path, diagnostics: &[Value]) -> Result<String> {
    let abs = std::fs::canonicalize(dir).ok();
    let input = eksfed_compiler::output::ci_formats::SarifInput {
        stack_dir: &dir.display().to_string(),
        stack_dir_uri: abs
            .as_deref()
            .map(eksfed_compiler::output::ci_formats::dir_uri),
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    Ok(serde_json::to_string_pretty(
        &eksfed_compiler::output::ci_formats::sarif(diagnostics, &input),
    )?)
}

/// GitHub workflow commands, one line per diagnostic not silenced.
pub fn github(diagnostics: &[Value]) -> String {
    eksfed_compiler::output::ci_formats::github(diagnostics)
}
