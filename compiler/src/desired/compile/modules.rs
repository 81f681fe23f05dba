//! Stage *modules*: the module directories the stack calls, read through the
//! [`FileReader`] (confined to the stack directory, as `file()` is) and parsed into the same
//! [`SourceMap`], so a diagnostic in a module's file points at that file. Each directory is
//! read once however many `module` blocks call it. A `source` is a literal path relative to
//! the directory of the file that holds the `module` block; one that leaves the stack
//! directory is E0203, one that is no directory of `*.hcl` files or that calls itself
//! (directly or not) E0803.

use super::inputs::E_MODULE_SOURCE;
use crate::diag::{Diagnostic, Diagnostics, FileId, SourceMap, Span};
use crate::language::call::{span_of, FileReader, E_FUNC};
use crate::language::evblock::head_span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};
use std::collections::HashMap;

/// One module directory, read and parsed.
pub(super) struct ModuleDir {
    /// Relative to the stack directory, `.` and `..` resolved (`modules/app`; in a workspace
    /// it may start with `..`: `../../modules/app`).
    pub dir: String,
    pub bodies: Vec<(FileId, Body)>,
}

/// Every module directory the stack calls, and which one each `module` block calls.
#[derive(Default)]
pub(super) struct ModuleTree {
    pub dirs: Vec<ModuleDir>,
    /// (file, start of the `module` block's head) -> index in `dirs`. A block whose source
    /// could not be read has none (its error is reported).
    pub calls: HashMap<(FileId, usize), usize>,
    /// The directory of each module file (files of the stack are not listed: "").
    pub file_dir: HashMap<FileId, String>,
}

impl ModuleTree {
    pub fn dir_of(&self, file: FileId) -> &str {
        self.file_dir.get(&file).map(String::as_str).unwrap_or("")
    }
}

/// A `module` block's source as found in a body: (file, head start, the literal path and its
/// span, or the span of a `source` that is no literal).
type Call = (FileId, usize, Result<(String, Span), Span>);

/// Reads every module directory reachable from the stack's `bodies`.
pub(super) fn load_modules(
    sources: &mut SourceMap,
    bodies: &[(FileId, Body)],
    reader: &dyn FileReader,
    diags: &mut Diagnostics,
) -> ModuleTree {
    let mut tree = ModuleTree::default();
    let mut by_dir: HashMap<String, usize> = HashMap::new();
    let mut loader = Loader {
        sources,
        reader,
        tree: &mut tree,
        by_dir: &mut by_dir,
        diags,
    };
    let calls = module_calls(bodies);
    loader.visit(calls, &mut vec![]);
    tree
}

struct Loader<'a> {
    sources: &'a mut SourceMap,
    reader: &'a dyn FileReader,
    tree: &'a mut ModuleTree,
    by_dir: &'a mut HashMap<String, usize>,
    diags: &'a mut Diagnostics,
}

impl Loader<'_> {
    /// Resolves the calls of one directory's files; `chain` is the directories on the way
    /// here (a call to one of them is a cycle).
    fn visit(&mut self, calls: Vec<Call>, chain: &mut Vec<String>) {
        for (file, start, source) in calls {
            let (source, at) = match source {
                Ok(s) => s,
                Err(at) => {
                    self.diags.push(
                        Diagnostic::error(E_MODULE_SOURCE, "a module `source` must be a literal path")
                            .at(Some(at))
                            .help("write the directory as a string, e.g. `source = \"./modules/app\"`; it cannot be computed"),
                    );
                    continue;
                }
            };
            let base = self.tree.dir_of(file).to_string();
            let root = self.reader.root();
            let dir = match normalise_in(&base, &source, &root.stack) {
                Ok(d) => d,
                Err(()) => {
                    let name = root.name();
                    self.diags.push(
                        Diagnostic::error(
                            E_FUNC,
                            format!("module source `{source}` leaves the {name}; it was not read"),
                        )
                        .at(Some(at))
                        .help(format!("a module's source, like the files file() reads, must be inside the {name}")),
                    );
                    continue;
                }
            };
            if dir.is_empty() || chain.contains(&dir) {
                let mut path: Vec<&str> = chain.iter().map(String::as_str).collect();
                path.push(&dir);
                let msg = if dir.is_empty() {
                    format!("module source `{source}` is the stack's own directory")
                } else {
                    format!(
                        "module `{dir}` calls itself: {}",
                        path.iter()
                            .skip_while(|d| **d != dir)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(" -> ")
                    )
                };
                self.diags.push(
                    Diagnostic::error(E_MODULE_SOURCE, msg)
                        .at(Some(at))
                        .help("a module cannot call itself, directly or through other modules"),
                );
                continue;
            }
            if let Some(i) = self.by_dir.get(&dir) {
                self.tree.calls.insert((file, start), *i);
                continue;
            }
            let files = match self.reader.read_hcl_dir(&dir) {
                Ok(f) if !f.is_empty() => f,
                Ok(_) => {
                    self.diags
                        .push(not_a_module(&source, &dir, "it holds no *.hcl files", at));
                    continue;
                }
                Err(m) => {
                    let code = if m.contains(crate::language::confine::UNTRACKED) {
                        crate::language::call::E_UNTRACKED
                    } else if m.contains(&format!("leaves the {}", root.name())) {
                        E_FUNC
                    } else {
                        E_MODULE_SOURCE
                    };
                    let mut d = not_a_module(&source, &dir, &m, at.clone()).code_as(code);
                    if code == crate::language::call::E_UNTRACKED {
                        d = d.help(crate::language::confine::UNTRACKED_HELP);
                    }
                    self.diags.push(d);
                    continue;
                }
            };
            let bodies = crate::language::load::add_files(self.sources, files, self.diags);
            for (f, _) in &bodies {
                self.tree.file_dir.insert(*f, dir.clone());
            }
            let calls = module_calls(&bodies);
            let i = self.tree.dirs.len();
            self.tree.dirs.push(ModuleDir {
                dir: dir.clone(),
                bodies,
            });
            self.by_dir.insert(dir.clone(), i);
            self.tree.calls.insert((file, start), i);
            chain.push(dir);
            self.visit(calls, chain);
            chain.pop();
        }
    }
}

fn not_a_module(source: &str, dir: &str, why: &str, at: Span) -> Diagnostic {
    Diagnostic::error(
        E_MODULE_SOURCE,
        format!("module source `{source}` is not a module directory (`{dir}`): {why}"),
    )
    .at(Some(at))
    .help("a module is a directory of *.hcl files inside the stack directory")
}

trait CodeAs {
    fn code_as(self, code: &str) -> Self;
}

impl CodeAs for Diagnostic {
    fn code_as(mut self, code: &str) -> Self {
        self.code = code.to_string();
        self
    }
}

/// The `module` blocks of some files, with their sources.
fn module_calls(bodies: &[(FileId, Body)]) -> Vec<Call> {
    let mut out = vec![];
    for (file, body) in bodies {
        for s in body.iter() {
            let Structure::Block(b) = s else { continue };
            if b.ident.value().as_str() != "module" || b.labels.len() != 1 {
                continue;
            }
            let head = head_span(*file, b);
            // A missing `source` is E0103 when the block is lowered.
            let Some(a) = b.body.get_attribute("source") else {
                continue;
            };
            let at = Span::new(*file, span_of(&a.value));
            let source = match &a.value {
                Expression::String(s) => Ok((s.value().to_string(), at)),
                _ => Err(at),
            };
            out.push((*file, head.range.start, source));
        }
    }
    out
}

/// `source` joined to `base` (both relative to the stack directory), `.` and `..` resolved;
/// `Err` when it leaves the stack directory or is absolute.
#[cfg(test)]
pub(super) fn normalise(base: &str, source: &str) -> Result<String, ()> {
    normalise_in(base, source, &[])
}

/// `source` joined to `base` (both relative to the stack directory, which is `stack` below
/// the confinement root), `.` and `..` resolved; the result is relative to the stack
/// directory, starting with `..` when it is outside it (`../../modules/app`), one spelling
/// per directory. `Err` when it leaves the root or is absolute.
pub(super) fn normalise_in(base: &str, source: &str, stack: &[String]) -> Result<String, ()> {
    if source.starts_with('/') || source.starts_with('\\') || source.contains(':') {
        return Err(());
    }
    // In the root's coordinates.
    let mut parts: Vec<&str> = stack.iter().map(String::as_str).collect();
    for c in base.split('/').chain(source.split(['/', '\\'])) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(())?;
            }
            c => parts.push(c),
        }
    }
    // Back to the stack directory's.
    let common = parts
        .iter()
        .zip(stack)
        .take_while(|(a, b)| **a == b.as_str())
        .count();
    let mut out: Vec<&str> = vec![".."; stack.len() - common];
    out.extend(&parts[common..]);
    Ok(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn sources_resolve_against_the_calling_directory() {
        assert_eq!(normalise("", "./modules/app"), Ok("modules/app".into()));
        assert_eq!(normalise("modules/app", "../iam"), Ok("modules/iam".into()));
        assert_eq!(normalise("modules/app", "../../x"), Ok("x".into()));
        assert_eq!(normalise("", "."), Ok(String::new()));
        assert_eq!(normalise("", "../x"), Err(()));
        assert_eq!(normalise("modules", "../../x"), Err(()));
        assert_eq!(normalise("", "/etc"), Err(()));
    }

    #[test]
    fn sources_may_leave_the_stack_but_not_the_workspace() {
        let stack = vec!["accounts".to_string(), "prod".to_string()];
        let n = |b: &str, s: &str| super::normalise_in(b, s, &stack);
        assert_eq!(n("", "../../modules/app"), Ok("../../modules/app".into()));
        assert_eq!(
            n("../../modules/app", "../iam"),
            Ok("../../modules/iam".into())
        );
        assert_eq!(n("", "../prod/local"), Ok("local".into()));
        assert_eq!(n("", "../../accounts/prod"), Ok(String::new()));
        assert_eq!(n("", "../dev"), Ok("../dev".into()));
        assert_eq!(n("", "../../../x"), Err(()));
    }
}
