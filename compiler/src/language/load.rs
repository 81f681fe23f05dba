//! Stage `load`: source text -> hcl-edit bodies with byte spans. Syntax errors become
//! diagnostics; a file that does not parse contributes no blocks.

use crate::diag::{Diagnostic, Diagnostics, FileId, SourceFile, SourceMap, Span};
use hcl_edit::structure::Body;

pub const E_SYNTAX: &str = "E0001";
pub const E_TOO_LARGE: &str = "E0002";

/// The largest stack file eksfed reads, in bytes (16 MiB). A larger file is E0002 and is not
/// parsed: a stack is hand-written or generated configuration, and evaluation time and memory
/// grow with the text, so the cap bounds what one file of an untrusted pull request can cost.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

pub struct Loaded {
    pub sources: SourceMap,
    pub bodies: Vec<(FileId, Body)>,
}

/// Parses every file (already in name order).
pub fn load(files: Vec<(String, String)>) -> (Loaded, Diagnostics) {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let bodies = add_files(&mut sources, files, &mut diags);
    (Loaded { sources, bodies }, diags)
}

/// Parses files into `sources` (a stack's, or a module directory's), in the order given.
pub fn add_files(
    sources: &mut SourceMap,
    files: Vec<(String, String)>,
    diags: &mut Diagnostics,
) -> Vec<(FileId, Body)> {
    let mut bodies = Vec::new();
    for (path, text) in files {
        if text.len() > MAX_FILE_BYTES {
            diags.push(too_large(sources, &path, text.len() as u64));
            continue;
        }
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
    bodies
}

/// E0002 for a file of `size` bytes: the file is registered without its text, so the
/// diagnostic shows no source line.
pub fn too_large(sources: &mut SourceMap, path: &str, size: u64) -> Diagnostic {
    let id = sources.add(SourceFile::new(path, String::new()));
    Diagnostic::error(
        E_TOO_LARGE,
        format!(
            "file too large: {size} bytes, more than the {MAX_FILE_BYTES} bytes (16 MiB) a stack file may have"
        ),
    )
    .at(Some(Span::new(id, 0..0)))
    .help("split the stack into smaller files, or generate less in one file")
}
