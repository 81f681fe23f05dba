//! The workspace file, `eksfed.workspace.hcl`: `workspace "NAME" { stacks = [globs] }` (and
//! `check` blocks, read by the checks). Its directory is the workspace root: the boundary
//! files are confined to (`call::Root`) for every stack below it. Stack names are unique
//! in a workspace (E0711 at both `stack` blocks). The runtime finds and reads the files; this
//! module only parses them.

use crate::diag::{Diagnostic, FileId, SourceFile, SourceMap, Span};
use crate::language::evblock::head_span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Structure;
use hcl_edit::Span as _;

/// The file name that makes a directory a workspace root.
pub const FILE_NAME: &str = "eksfed.workspace.hcl";

/// Two stacks of one workspace with the same name.
pub const E_DUPLICATE_STACK: &str = "E0711";

/// A workspace file, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workspace {
    pub name: String,
    /// Globs of stack directories relative to the root; `None`: every directory under the
    /// root holding a `stack` block.
    pub stacks: Option<Vec<String>>,
}

/// Parses the workspace file into `sources`. `None` with the errors when it is not one
/// `workspace` block (with a literal list of strings as `stacks`), `check` blocks aside.
pub fn parse(
    sources: &mut SourceMap,
    path: &str,
    text: &str,
) -> (Option<Workspace>, Vec<Diagnostic>) {
    let mut diags = crate::diag::Diagnostics::default();
    let bodies =
        crate::language::load::add_files(sources, vec![(path.into(), text.into())], &mut diags);
    let mut out: Vec<Diagnostic> = diags.iter().cloned().collect();
    let Some((file, body)) = bodies.into_iter().next() else {
        return (None, out);
    };
    let mut found: Option<Workspace> = None;
    for s in body.iter() {
        let Structure::Block(b) = s else {
            let at = s.span().map(|r| Span::new(file, r));
            out.push(
                Diagnostic::error("E0101", "a workspace file holds only blocks")
                    .at(at)
                    .help("write `workspace \"NAME\" { stacks = [\"accounts/*\"] }`"),
            );
            continue;
        };
        let head = head_span(file, b);
        match b.ident.value().as_str() {
            "check" => {}
            "workspace" if b.labels.len() == 1 && found.is_none() => {
                let name = b.labels[0].as_str().to_string();
                match stacks(file, b) {
                    Ok(stacks) => found = Some(Workspace { name, stacks }),
                    Err(d) => out.push(*d),
                }
            }
            "workspace" => out.push(
                Diagnostic::error(
                    "E0101",
                    "a workspace file holds one `workspace \"NAME\"` block",
                )
                .at(Some(head)),
            ),
            other => out.push(
                Diagnostic::error(
                    "E0101",
                    format!("unknown block `{other}` in the workspace file"),
                )
                .at(Some(head))
                .help("a workspace file holds one `workspace` block and `check` blocks"),
            ),
        }
    }
    if found.is_none() && out.is_empty() {
        out.push(
            Diagnostic::error(
                "E0103",
                "the workspace file has no `workspace \"NAME\"` block",
            )
            .at(Some(Span::new(file, 0..0))),
        );
    }
    if !out.is_empty() {
        return (None, out);
    }
    (found, out)
}

/// The `stacks` attribute: a literal list of strings, or absent.
fn stacks(
    file: FileId,
    b: &hcl_edit::structure::Block,
) -> Result<Option<Vec<String>>, Box<Diagnostic>> {
    let mut globs = None;
    for s in b.body.iter() {
        let at = s.span().map(|r| Span::new(file, r));
        let Structure::Attribute(a) = s else {
            return Err(Box::new(
                Diagnostic::error("E0101", "the `workspace` block holds no blocks").at(at),
            ));
        };
        if a.key.as_str() != "stacks" {
            let name = a.key.as_str();
            return Err(Box::new(
                Diagnostic::error(
                    "E0102",
                    format!("unknown attribute `{name}` in the `workspace` block"),
                )
                .at(at)
                .help("the `workspace` block has one attribute, `stacks`"),
            ));
        }
        let list = match &a.value {
            Expression::Array(items) => items
                .iter()
                .map(|e| match e {
                    Expression::String(s) => Some(s.value().to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>(),
            _ => None,
        };
        let Some(list) = list else {
            return Err(Box::new(
                Diagnostic::error(
                    "E0104",
                    "`stacks` must be a list of literal strings (globs of stack directories)",
                )
                .at(at),
            ));
        };
        globs = Some(list);
    }
    Ok(globs)
}

/// Adds a stack's files to `sources` and returns their `stack` blocks: (label, head span).
pub fn add_stack_blocks(
    sources: &mut SourceMap,
    files: &[(String, String)],
) -> Vec<(String, Span)> {
    let first = sources.files.len();
    for (path, text) in files {
        sources.add(SourceFile::new(path.clone(), text.clone()));
    }
    stack_blocks(sources, first..sources.files.len())
}

/// The `stack` blocks of some files of `sources`: (label, head span).
pub fn stack_blocks(sources: &SourceMap, files: std::ops::Range<FileId>) -> Vec<(String, Span)> {
    let mut out = vec![];
    for id in files {
        let Some(f) = sources.get(id) else { continue };
        let Ok(body) = hcl_edit::parser::parse_body(&f.text) else {
            continue;
        };
        for s in body.iter() {
            let Structure::Block(b) = s else { continue };
            if b.ident.value().as_str() == "stack" && b.labels.len() == 1 {
                out.push((b.labels[0].as_str().to_string(), head_span(id, b)));
            }
        }
    }
    out
}

/// E0711 at both `stack` blocks of two stacks of one workspace named alike: each (head
/// span, stack directory).
pub fn duplicate_stack(name: &str, a: (Span, &str), b: (Span, &str)) -> [Diagnostic; 2] {
    let d = |at: Span, other: &str| {
        Diagnostic::error(
            E_DUPLICATE_STACK,
            format!("stack name `{name}` is also the name of the stack in `{other}`"),
        )
        .at(Some(at))
        .help("stack names are unique in a workspace (the name is the ownership mark); rename one")
    };
    [d(a.0, b.1), d(b.0, a.1)]
}
