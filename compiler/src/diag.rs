//! Diagnostics: one type for every problem a stage finds, with the source span it concerns.
//!
//! Byte ranges are stored; line and column are computed only when a diagnostic is rendered.

use serde::Serialize;
use std::ops::Range;

/// Index of a source file in a [`SourceMap`].
pub type FileId = usize;

/// A region of one source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Self {
        Span { file, range }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable code: `E####` for language errors, lint codes (`IAM001`, ...) for checks.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// The resource the diagnostic concerns, when there is one.
    pub address: Option<String>,
    pub help: Option<String>,
    /// Silenced by `allow_lints`: still reported in JSON, never counted.
    pub allowed: bool,
    /// Where the problem comes from when its place alone does not say: the module instance
    /// and the `module` block that called it (innermost first).
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.to_string(),
            severity: Severity::Error,
            message: message.into(),
            span: None,
            address: None,
            help: None,
            allowed: false,
            notes: vec![],
        }
    }
    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }
    pub fn at(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }
    pub fn address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        let h = help.into();
        self.help = (!h.is_empty()).then_some(h);
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error && !self.allowed
    }
}

/// A list of diagnostics collected by the stages.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// By file and position (diagnostics without a place first), then code, so output is
    /// stable.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let ka = (a.span.as_ref().map(|s| (s.file, s.range.start)), &a.code);
            let kb = (b.span.as_ref().map(|s| (s.file, s.range.start)), &b.code);
            ka.cmp(&kb)
        });
    }
}

/// One source file of a stack.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user should see it (relative to where they ran the command).
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line + 1, col + 1)
    }

    /// The text of a 1-based line, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// The most characters of a source line a diagnostic shows.
pub const MAX_LINE_CHARS: usize = 200;

/// A source line cut to [`MAX_LINE_CHARS`] around the caret (`…` marks a cut end), with the
/// caret's start column and (on the same line) end column in the cut text.
fn clip_line(
    text: &str,
    col: usize,
    line: usize,
    span: &Span,
    file: &SourceFile,
) -> (String, usize, Option<usize>) {
    let (end_line, end_col) = file.line_col(span.range.end.max(span.range.start));
    let end_col = (end_line == line).then_some(end_col);
    let n = text.chars().count();
    if n <= MAX_LINE_CHARS {
        return (text.to_string(), col, end_col);
    }
    // Window of MAX_LINE_CHARS characters with the caret a quarter in (or at the line's ends).
    let start = (col - 1)
        .saturating_sub(MAX_LINE_CHARS / 4)
        .min(n - MAX_LINE_CHARS);
    let end = start + MAX_LINE_CHARS;
    let mut cut: Vec<char> = text.chars().skip(start).take(MAX_LINE_CHARS).collect();
    if start > 0 {
        cut[0] = '…';
    }
    if end < n {
        cut[MAX_LINE_CHARS - 1] = '…';
    }
    let shift = |c: usize| c.saturating_sub(start).clamp(1, MAX_LINE_CHARS + 1);
    (cut.into_iter().collect(), shift(col), end_col.map(shift))
}

/// All source files that make up a stack, by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub files: Vec<SourceFile>,
    /// Texts diagnostics never show (values of sensitive variables and what derives from
    /// them): replaced by `(sensitive value)` in messages, help and source lines.
    pub secrets: Vec<String>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        self.files.len() - 1
    }
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id)
    }

    /// `file`, `line`, `column` of a span's start, when it has one.
    pub fn locate(&self, span: &Span) -> Option<(&str, usize, usize)> {
        let f = self.get(span.file)?;
        let (l, c) = f.line_col(span.range.start);
        Some((f.path.as_str(), l, c))
    }

    /// Renders one diagnostic the way compilers do:
    /// `file:line:col: error[CODE]: message`, the source line, and a caret under the span.
    pub fn render(&self, d: &Diagnostic) -> String {
        let sev = match (d.severity, d.allowed) {
            (_, true) => "allowed",
            (Severity::Error, _) => "error",
            (Severity::Warning, _) => "warning",
        };
        let mut out = String::new();
        let addr = d
            .address
            .as_deref()
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        match d
            .span
            .as_ref()
            .and_then(|s| self.get(s.file).map(|f| (s, f)))
        {
            Some((span, file)) => {
                let (line, col) = file.line_col(span.range.start);
                out.push_str(&format!(
                    "{}:{}:{}: {}[{}]: {}{}\n",
                    file.path, line, col, sev, d.code, d.message, addr
                ));
                let (text, col, end_col) = clip_line(file.line_text(line), col, line, span, file);
                let text = text.as_str();
                let width = end_col.map(|e| e.saturating_sub(col).max(1)).unwrap_or(1);
                let gutter = line.to_string();
                out.push_str(&format!("{} |\n", " ".repeat(gutter.len())));
                out.push_str(&format!("{gutter} | {text}\n"));
                out.push_str(&format!(
                    "{} | {}{}\n",
                    " ".repeat(gutter.len()),
                    " ".repeat(col - 1),
                    "^".repeat(width.min(text.chars().count().saturating_sub(col - 1).max(1)))
                ));
            }
            None => out.push_str(&format!("{}[{}]: {}{}\n", sev, d.code, d.message, addr)),
        }
        for n in &d.notes {
            out.push_str(&format!("  = note: {n}\n"));
        }
        if let Some(h) = &d.help {
            out.push_str(&format!("  = help: {h}\n"));
        }
        crate::desired::redact::redact_text(&out, &self.secrets)
    }

    /// The JSON form: code, severity, message, file, line, column, address.
    pub fn to_json(&self, d: &Diagnostic) -> serde_json::Value {
        let loc = d.span.as_ref().and_then(|s| self.locate(s));
        let mut v = serde_json::json!({
            "code": d.code,
            "severity": d.severity,
            "message": crate::desired::redact::redact_text(&d.message, &self.secrets),
            "file": loc.map(|l| l.0),
            "line": loc.map(|l| l.1),
            "column": loc.map(|l| l.2),
            "address": d.address.as_deref().map(|a| crate::desired::redact::redact_text(a, &self.secrets)),
        });
        if let Some(h) = &d.help {
            v["help"] =
                serde_json::Value::String(crate::desired::redact::redact_text(h, &self.secrets));
        }
        if d.allowed {
            v["allowed"] = serde_json::Value::Bool(true);
        }
        if !d.notes.is_empty() {
            v["notes"] = serde_json::json!(d
                .notes
                .iter()
                .map(|n| crate::desired::redact::redact_text(n, &self.secrets))
                .collect::<Vec<_>>());
        }
        v
    }
}
