//! Completion. The context comes from the text before the cursor (which need not parse while
//! the user types): after `NS.` the names of that namespace; in an expression the functions
//! and namespaces; at the top level the block types; inside a block its attributes and nested
//! blocks from the schema.

use crate::analysis::Analysis;
use crate::hover::{block_doc, schema_of, signature};
use eksfed_compiler::language::functions::{all_names, spec};
use eksfed_compiler::language::schema::{self, RESOURCE_KINDS};
use lsp_types::{CompletionItem, CompletionItemKind, Documentation, MarkupContent, MarkupKind};
use std::path::Path;

fn item(label: &str, kind: CompletionItemKind, detail: String, doc: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then_some(detail),
        documentation: (!doc.is_empty()).then(|| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: doc.to_string(),
            })
        }),
        ..Default::default()
    }
}

pub fn complete(a: &Analysis, path: &Path, offset: usize) -> Vec<CompletionItem> {
    let text = a.text(path);
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    if let Some(ns) = namespace_before(line) {
        return names(a, ns);
    }
    if let Some(module) = module_before(line) {
        return a
            .module_outputs(module)
            .into_iter()
            .map(|(_, _, d)| {
                item(
                    &d.name,
                    CompletionItemKind::FIELD,
                    format!("module.{module}.{}", d.name),
                    "",
                )
            })
            .collect();
    }
    let ctx = context(before);
    let in_expr = line.contains('=') || ctx.iter().any(Option::is_none);
    if in_expr {
        return expression_items();
    }
    let path: Vec<String> = ctx.into_iter().flatten().collect();
    if path.is_empty() {
        return schema::TOP_LEVEL
            .iter()
            .map(|b| {
                item(
                    b.name,
                    CompletionItemKind::CLASS,
                    String::new(),
                    &block_doc(b),
                )
            })
            .collect();
    }
    let Some(s) = schema_of(&path) else {
        return vec![];
    };
    let mut items: Vec<CompletionItem> = s
        .attr_names()
        .into_iter()
        .filter_map(|n| s.attr(n))
        .map(|at| {
            item(
                at.name,
                CompletionItemKind::PROPERTY,
                at.ty.describe(),
                at.doc,
            )
        })
        .collect();
    let nested = s.blocks.iter().map(|(b, _)| *b).chain(
        RESOURCE_KINDS
            .contains(&s.name)
            .then_some(&schema::LIFECYCLE),
    );
    items.extend(nested.map(|b| {
        item(
            b.name,
            CompletionItemKind::MODULE,
            "block".into(),
            &block_doc(b),
        )
    }));
    items
}

/// `NS` when the line ends in `NS.` or `NS.partial` (a reference being typed).
fn namespace_before(line: &str) -> Option<&str> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let partial = line.trim_end_matches(word);
    let head = partial.strip_suffix('.')?;
    let ns_start = head.rfind(|c: char| !word(c)).map_or(0, |i| i + 1);
    let ns = &head[ns_start..];
    let dotted = head[..ns_start].ends_with('.');
    (!dotted && crate::index::is_namespace(ns)).then_some(ns)
}

/// `NAME` when the line ends in `module.NAME.` or `module.NAME.partial`.
fn module_before(line: &str) -> Option<&str> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let head = line.trim_end_matches(word).strip_suffix('.')?;
    let name_start = head.rfind(|c: char| !word(c)).map_or(0, |i| i + 1);
    let before = head[..name_start].strip_suffix("module.")?;
    let clean = before.is_empty() || !before.ends_with(|c: char| word(c) || c == '.');
    clean.then_some(&head[name_start..])
}

fn names(a: &Analysis, ns: &str) -> Vec<CompletionItem> {
    let mut seen = std::collections::BTreeSet::new();
    a.names_in(ns)
        .into_iter()
        .filter(|d| seen.insert(d.name.clone()))
        .map(|d| {
            item(
                &d.name,
                CompletionItemKind::VARIABLE,
                format!("{ns}.{}", d.name),
                "",
            )
        })
        .collect()
}

fn expression_items() -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = all_names()
        .filter_map(spec)
        .map(|s| item(s.name, CompletionItemKind::FUNCTION, signature(s), s.doc))
        .collect();
    let namespaces = ["var", "local", "module"]
        .into_iter()
        .chain(RESOURCE_KINDS.iter().copied());
    items.extend(namespaces.map(|n| item(n, CompletionItemKind::MODULE, "reference".into(), "")));
    items
}

/// The open braces before the cursor, outermost first: `Some(block type)` for a block,
/// `None` for an object or any other expression (`(`, `[`). Strings and comments skipped.
fn context(before: &str) -> Vec<Option<String>> {
    let mut stack: Vec<Option<String>> = vec![];
    let bytes = before.as_bytes();
    let mut line_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line_start = i + 1,
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => i = skip_line(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_line(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = before[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |j| i + 2 + j + 1);
            }
            b'{' => {
                let head = before[line_start..i].trim();
                let first = head.split_whitespace().next().unwrap_or("");
                let block = !head.is_empty()
                    && !head.contains('=')
                    && !head.ends_with(['(', '[', ',', ':', '?'])
                    && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                stack.push(block.then(|| first.to_string()));
            }
            b'(' | b'[' => stack.push(None),
            b'}' | b')' | b']' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack
}

fn skip_line(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |j| i + j - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_sees_blocks_objects_strings_and_comments() {
        let t = "role \"a\" { # {\n  tags = {\n    x = \"}{\"\n  }\n  trust_service_account {\n";
        assert_eq!(
            context(t),
            [
                Some("role".to_string()),
                Some("trust_service_account".to_string())
            ]
        );
        assert_eq!(
            context("locals {\n  x = {\n"),
            [Some("locals".to_string()), None]
        );
        assert_eq!(namespace_before("  name = role.ap"), Some("role"));
        assert_eq!(namespace_before("  name = var."), Some("var"));
        assert_eq!(namespace_before("  name = role.app.ar"), None);
        assert_eq!(module_before("  v = module.web.ro"), Some("web"));
        assert_eq!(module_before("  v = module.web."), Some("web"));
        assert_eq!(module_before("  v = role.web."), None);
    }
}
