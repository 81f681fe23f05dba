//! Go to definition, find references, rename and document symbols.

use crate::analysis::{Analysis, Target};
use crate::pos::{self, Encoding};
use crate::stack::uri_of;
use lsp_types::{DocumentSymbol, Location, SymbolKind, TextEdit, WorkspaceEdit};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

fn location(a: &Analysis, path: &Path, r: Range<usize>, enc: Encoding) -> Location {
    Location::new(uri_of(path), pos::range(a.text(path), r, enc))
}

pub fn definition(a: &Analysis, path: &Path, offset: usize, enc: Encoding) -> Vec<Location> {
    // `module.NAME.OUTPUT` on the output: into the module.
    let module_output = a.file(path).and_then(|ix| {
        ix.refs.iter().find(|r| {
            r.ns == "module"
                && r.attr_range
                    .as_ref()
                    .is_some_and(|x| x.start <= offset && offset <= x.end)
        })
    });
    if let Some(r) = module_output {
        return a
            .module_outputs(&r.name)
            .into_iter()
            .filter(|(_, _, d)| Some(&d.name) == r.attr.as_ref())
            .map(|(p, text, d)| Location::new(uri_of(&p), pos::range(&text, d.name_range, enc)))
            .collect();
    }
    let Some(t) = a.target_at(path, offset) else {
        return vec![];
    };
    a.decls(&t)
        .map(|(p, d)| location(a, p, d.name_range.clone(), enc))
        .collect()
}

pub fn references(
    a: &Analysis,
    path: &Path,
    offset: usize,
    include_declaration: bool,
    enc: Encoding,
) -> Vec<Location> {
    let Some(t) = a.target_at(path, offset) else {
        return vec![];
    };
    let decls = a
        .decls(&t)
        .filter(|_| include_declaration)
        .map(|(p, d)| location(a, p, d.name_range.clone(), enc));
    let refs = a
        .refs(&t)
        .map(|(p, r)| location(a, p, r.name_range.clone(), enc));
    decls.chain(refs).collect()
}

/// Whether a name is an identifier of the language (a label references can name).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The range of the name to rename at `offset`, and its current text.
pub fn prepare_rename(a: &Analysis, path: &Path, offset: usize) -> Option<(Range<usize>, Target)> {
    let t = a.target_at(path, offset)?;
    if t.ns == "output" && a.decls(&t).next().is_none() {
        return None;
    }
    let ix = a.file(path)?;
    let r = ix
        .refs
        .iter()
        .map(|r| r.name_range.clone())
        .chain(ix.decls.iter().map(|d| d.name_range.clone()))
        .find(|r| r.start <= offset && offset <= r.end)
        .or_else(|| a.ref_at(path, offset).map(|r| r.name_range.clone()))?;
    Some((r, t))
}

/// One edit over every file that declares or references the name; an error for a new name
/// that is no identifier or that the namespace already declares.
// `WorkspaceEdit::changes` is keyed by `Uri`, whose parse cache clippy sees as mutable.
#[allow(clippy::mutable_key_type)]
pub fn rename(
    a: &Analysis,
    path: &Path,
    offset: usize,
    new_name: &str,
    enc: Encoding,
) -> Result<WorkspaceEdit, String> {
    let t = a
        .target_at(path, offset)
        .ok_or("nothing to rename here: place the cursor on a resource label, variable, local, module or output")?;
    if !is_identifier(new_name) {
        return Err(format!(
            "`{new_name}` is not an identifier: use letters, digits, `_` and `-`, starting with a letter or `_`"
        ));
    }
    let clash = Target {
        ns: t.ns.clone(),
        name: new_name.to_string(),
    };
    if new_name != t.name && a.decls(&clash).next().is_some() {
        return Err(format!("`{}.{new_name}` is already declared", t.ns));
    }
    let mut changes: HashMap<lsp_types::Uri, Vec<TextEdit>> = HashMap::new();
    let ranges = a
        .decls(&t)
        .map(|(p, d)| (p, d.name_range.clone()))
        .chain(a.refs(&t).map(|(p, r)| (p, r.name_range.clone())));
    for (p, r) in ranges {
        let l = location(a, p, r, enc);
        changes
            .entry(l.uri)
            .or_default()
            .push(TextEdit::new(l.range, new_name.to_string()));
    }
    Ok(WorkspaceEdit::new(changes))
}

/// The file's blocks, each with its nested blocks (and a `locals` block with its locals).
pub fn symbols(a: &Analysis, path: &Path, enc: Encoding) -> Vec<DocumentSymbol> {
    let Some(ix) = a.file(path) else {
        return vec![];
    };
    let text = a.text(path);
    let mut top: Vec<DocumentSymbol> = vec![];
    for b in &ix.blocks {
        let mut name = b.path.last().cloned().unwrap_or_default();
        for l in &b.labels {
            name.push_str(&format!(" \"{l}\""));
        }
        let kind = match b.path[0].as_str() {
            "variable" => SymbolKind::VARIABLE,
            "locals" => SymbolKind::NAMESPACE,
            "module" => SymbolKind::MODULE,
            "output" => SymbolKind::PROPERTY,
            _ if b.path.len() > 1 => SymbolKind::STRUCT,
            _ => SymbolKind::OBJECT,
        };
        let children = (b.path == ["locals"]).then(|| {
            ix.decls
                .iter()
                .filter(|d| {
                    d.ns == "local" && d.range.start >= b.range.start && d.range.end <= b.range.end
                })
                .map(|d| {
                    symbol(
                        d.name.clone(),
                        SymbolKind::CONSTANT,
                        text,
                        d.range.clone(),
                        d.name_range.clone(),
                        enc,
                    )
                })
                .collect()
        });
        let mut s = symbol(
            name,
            kind,
            text,
            b.range.clone(),
            b.ident_range.clone(),
            enc,
        );
        s.children = children;
        // Nested blocks follow their parent in the index: attach to the innermost open one.
        match nest(&mut top, b.path.len()) {
            Some(parent) => parent.children.get_or_insert_with(Vec::new).push(s),
            None => top.push(s),
        }
    }
    top
}

fn nest(top: &mut [DocumentSymbol], depth: usize) -> Option<&mut DocumentSymbol> {
    let mut cur = top.last_mut()?;
    for _ in 2..depth {
        cur = cur.children.as_mut()?.last_mut()?;
    }
    (depth > 1).then_some(cur)
}

#[allow(deprecated)] // `deprecated` is a required field of the type
fn symbol(
    name: String,
    kind: SymbolKind,
    text: &str,
    range: Range<usize>,
    selection: Range<usize>,
    enc: Encoding,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail: None,
        kind,
        tags: None,
        deprecated: None,
        range: pos::range(text, range, enc),
        selection_range: pos::range(text, selection, enc),
        children: None,
    }
}
