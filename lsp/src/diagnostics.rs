//! The compiler's diagnostics as LSP diagnostics, by file: the codes, messages, severities and
//! ranges of `eksfed validate`, the help line after the message, and the notes (where a module
//! was called) as related information.

use crate::pos::{self, Encoding};
use eksfed_compiler::desired::compile::Compiled;
use eksfed_compiler::diag::{Diagnostic, Severity};
use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Every file of the compiled stack (and of the modules it calls), with its diagnostics
/// (none for a clean file). A diagnostic without a place goes to the stack's first file.
pub fn by_file(c: &Compiled, enc: Encoding) -> BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> {
    let mut out: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> = c
        .sources
        .files
        .iter()
        .map(|f| (PathBuf::from(&f.path), vec![]))
        .collect();
    for d in c.diagnostics.iter().filter(|d| !d.allowed) {
        let (file, range) = match d
            .span
            .as_ref()
            .and_then(|s| c.sources.get(s.file).map(|f| (s, f)))
        {
            Some((s, f)) => (f, pos::range(&f.text, s.range.clone(), enc)),
            None => match c.sources.files.first() {
                Some(f) => (f, lsp_types::Range::default()),
                None => continue,
            },
        };
        let here = Location::new(crate::stack::uri_of(&PathBuf::from(&file.path)), range);
        let lsp = convert(c, d, range, here, enc);
        out.entry(PathBuf::from(&file.path)).or_default().push(lsp);
    }
    out
}

fn convert(
    c: &Compiled,
    d: &Diagnostic,
    range: lsp_types::Range,
    here: Location,
    enc: Encoding,
) -> lsp_types::Diagnostic {
    let json = c.sources.to_json(d);
    let text = |k: &str| json[k].as_str().unwrap_or_default().to_string();
    let mut message = text("message");
    if let Some(a) = json["address"].as_str() {
        message.push_str(&format!(" ({a})"));
    }
    if d.help.is_some() {
        message.push_str(&format!("\nhelp: {}", text("help")));
    }
    let related: Vec<_> = json["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .map(|n| DiagnosticRelatedInformation {
            location: note_location(c, n, enc).unwrap_or_else(|| here.clone()),
            message: n.to_string(),
        })
        .collect();
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.clone())),
        source: Some("eksfed".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// The place a note names at its end (`... called at FILE:LINE:COL`), when it is a file of
/// the stack.
fn note_location(c: &Compiled, note: &str, enc: Encoding) -> Option<Location> {
    let at = note.rsplit(' ').next()?;
    let mut parts = at.rsplitn(3, ':');
    let col: usize = parts.next()?.parse().ok()?;
    let line: usize = parts.next()?.parse().ok()?;
    let path = parts.next()?;
    let file = c.sources.files.iter().find(|f| f.path == path)?;
    // Columns in notes count characters; find the byte offset of that character.
    let line_start: usize = file
        .text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let offset = file.text[line_start..]
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(file.text.len(), |(i, _)| line_start + i);
    Some(Location::new(
        crate::stack::uri_of(&PathBuf::from(path)),
        pos::range(&file.text, offset..offset, enc),
    ))
}
