//! Files a stack may read: `file()`, `templatefile()`, templates' `include` and module
//! sources name paths relative to the stack directory, and only files inside its root (the
//! workspace root, or the stack directory: [`Root`]), so that a plan of an untrusted change
//! cannot read (and show) what the runner holds elsewhere. The lexical part is checked here,
//! for every [`crate::language::call::FileReader`]; the reader that touches the disk
//! (`runtime::source::FsReader`) also resolves symbolic links and, under `--untrusted`,
//! refuses files git does not track (E0205).

use crate::language::call::Root;
use std::path::{Component, Path};

/// A message of a reader that refused a file git does not track (`--untrusted`): E0205.
pub const UNTRACKED: &str = "is not tracked by git";

/// The help of E0205.
pub const UNTRACKED_HELP: &str = "with --untrusted eksfed reads only files git tracks in the workspace: commit the file if the stack needs it";

/// The code of a reader's refusal: E0205 for a file git does not track, E0203 otherwise.
pub fn code_of(message: &str) -> &'static str {
    if message.contains(UNTRACKED) {
        crate::language::call::E_UNTRACKED
    } else {
        crate::language::call::E_FUNC
    }
}

/// Refuses an absolute path, or one whose `..` components leave the stack directory it is
/// relative to. The message names the path as written.
pub fn check_relative(path: &str) -> Result<(), String> {
    check_in(path, &Root::default())
}

/// Refuses an absolute path, or one relative to the stack directory whose `..` components
/// leave `root`. The message names the path as written.
pub fn check_in(path: &str, root: &Root) -> Result<(), String> {
    let name = root.name();
    let absolute =
        || format!("`{path}` is an absolute path; only files inside the {name} can be read");
    let p = Path::new(path);
    if p.is_absolute() || path.starts_with('/') || path.starts_with('\\') || p.has_root() {
        return Err(absolute());
    }
    let mut depth: usize = root.stack.len();
    for c in p.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                if depth == 0 {
                    return Err(format!(
                        "`{path}` leaves the {name} (through `..`); only files inside it can be read"
                    ));
                }
                depth -= 1;
            }
            Component::RootDir | Component::Prefix(_) => return Err(absolute()),
        }
    }
    Ok(())
}

/// Reads a file named by the stack, refusing paths outside the confinement root (lexically
/// here; the reader resolves symbolic links). Errors are `(message, help)` as functions return.
pub fn read(
    files: &dyn crate::language::call::FileReader,
    path: &str,
) -> Result<String, (String, Option<String>)> {
    let root = files.root();
    check_in(path, &root).map_err(|m| (m, Some(root.help())))?;
    files.read(path).map_err(|m| {
        let help = if m.contains(UNTRACKED) {
            Some(UNTRACKED_HELP.to_string())
        } else {
            m.contains(root.name()).then(|| root.help())
        };
        (m, help)
    })
}

/// At most this many templates take part in one `templatefile()` (the named one and what it
/// includes), so a template that includes itself under ever-new names cannot loop.
const MAX_TEMPLATES: usize = 64;

/// `templatefile()`: renders like [`crate::language::functions::render_template`], with `include`,
/// `import` and `extends` resolved against the stack directory through the same confined
/// reader (names as paths relative to it).
pub fn render_template(
    files: &dyn crate::language::call::FileReader,
    name: &str,
    text: &str,
    vars: &crate::language::value::Value,
) -> Result<String, (String, Option<String>)> {
    let mut loaded: Vec<(String, String)> = vec![(name.to_string(), text.to_string())];
    loop {
        match render_once(&loaded, name, vars) {
            Ok(s) => return Ok(s),
            Err(Missing(Some(other))) if loaded.len() < MAX_TEMPLATES => {
                if loaded.iter().any(|(n, _)| *n == other) {
                    return Err((format!("template {name}: {other} cannot be loaded"), None));
                }
                let text = read(files, &other)
                    .map_err(|(m, h)| (format!("template {name}: include: {m}"), h))?;
                loaded.push((other, text));
            }
            Err(Missing(None)) | Err(Missing(Some(_))) => {
                return Err((
                    format!("template {name}: too many included templates"),
                    None,
                ))
            }
            Err(Failed(m)) => return Err((m, None)),
        }
    }
}

enum RenderError {
    /// A template it includes, not yet loaded (its name, when the error gives it).
    Missing(Option<String>),
    Failed(String),
}
use RenderError::{Failed, Missing};

fn render_once(
    loaded: &[(String, String)],
    name: &str,
    vars: &crate::language::value::Value,
) -> Result<String, RenderError> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter(
        "tojson_compact",
        |v: minijinja::Value| -> Result<String, minijinja::Error> {
            serde_json::to_string(&v).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
            })
        },
    );
    for (n, t) in loaded {
        env.add_template_owned(n.as_str(), t.as_str())
            .map_err(|e| Failed(format!("template {n}: {e}")))?;
    }
    let tmpl = env.get_template(name).map_err(|e| Failed(e.to_string()))?;
    tmpl.render(vars.to_json()).map_err(|e| {
        if e.kind() == minijinja::ErrorKind::TemplateNotFound {
            // The detail is `template "NAME" does not exist`.
            let n = e
                .detail()
                .and_then(|d| d.split_once('"'))
                .and_then(|(_, rest)| rest.rsplit_once('"'))
                .map(|(n, _)| n.replace("\\\"", "\"").replace("\\\\", "\\"));
            Missing(n)
        } else {
            Failed(format!("template {name}: {e}"))
        }
    })
}

/// E0203 for a stack file the reader did not open: it resolves outside the stack directory.
pub fn outside_stack(sources: &mut crate::diag::SourceMap, path: &str) -> crate::diag::Diagnostic {
    use crate::diag::{Diagnostic, SourceFile, Span};
    let id = sources.add(SourceFile::new(path, ""));
    Diagnostic::error(
        crate::language::call::E_FUNC,
        format!("`{path}` resolves outside the stack directory (through a symbolic link); it was not read"),
    )
    .at(Some(Span::new(id, 0..0)))
    .help("a stack's *.hcl files, like the files file() reads, must be inside the stack directory")
}

/// E0205 for a stack file the reader did not open under `--untrusted`: git does not track it.
pub fn untracked_file(sources: &mut crate::diag::SourceMap, path: &str) -> crate::diag::Diagnostic {
    use crate::diag::{Diagnostic, SourceFile, Span};
    let id = sources.add(SourceFile::new(path, ""));
    Diagnostic::error(
        crate::language::call::E_UNTRACKED,
        format!("`{path}` {UNTRACKED}; with --untrusted it was not read"),
    )
    .at(Some(Span::new(id, 0..0)))
    .help(UNTRACKED_HELP)
}

#[cfg(test)]
mod tests {
    use super::check_relative;

    #[test]
    fn relative_paths_inside_pass() {
        for p in [
            "a.json",
            "./a.json",
            "policies/a.json",
            "policies/../a.json",
        ] {
            assert_eq!(check_relative(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn absolute_and_escaping_paths_are_refused() {
        let e = check_relative("/etc/hostname").expect_err("absolute");
        assert!(e.contains("`/etc/hostname` is an absolute path"), "{e}");
        for p in ["..", "../x", "a/../../x", "./../../../../etc/passwd"] {
            let e = check_relative(p).expect_err(p);
            assert!(
                e.contains(&format!("`{p}` leaves the stack directory")),
                "{e}"
            );
        }
    }
}
