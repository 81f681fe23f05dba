//! Stage `load`: source text -> hcl-edit bodies with byte spans. Syntax errors become
//! diagnostics; a file that does not parse contributes no blocks.

use crate::diag::{Diagnostic, Diagnostics, FileId, SourceFile, SourceMap, Span};
use hcl_edit::structure::Body;

pub const E_SYNTAX: &str = "E0001";

pub struct Loaded {
    pub sources: SourceMap,
    pub bodies: Vec<(FileId, Body)>,
}

/// Parses every file (already in name order).
pub fn load(files: Vec<(String, String)>) -> (Loaded, Diagnostics) {
    let mut sources = SourceMap::default();
    let mut bodies = Vec::new();
    let mut diags = Diagnostics::default();
    for (path, text) in files {
        let parsed = hcl_edit::parser::parse_body(&text);
        let id = sources.add(SourceFile::new(path, text));
        match parsed {
            Ok(body) => bodies.push((id, body)),
            Err(e) => {
                let offset = e.location().offset();
                let msg = e
                    .message()
                    .lines()
                    .next()
                    .unwrap_or("syntax error")
                    .to_string();
                diags.push(
                    Diagnostic::error(E_SYNTAX, format!("syntax error: {}", msg.trim()))
                        .at(Some(Span::new(id, offset..offset + 1))),
                );
            }
        }
    }
    (Loaded { sources, bodies }, diags)
}
