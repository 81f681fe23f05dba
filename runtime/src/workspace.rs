//! The workspace a stack is in: the nearest `eksfed.workspace.hcl` in its directory or above
//! it. Its directory is the root files are confined to; its `stacks` globs name the stacks
//! whose names must differ (E0711). Under `--untrusted`, the files git tracks in the root
//! (`git ls-files`) are the only ones read.

use eksfed_compiler::desired::compile::Compiled;
use eksfed_compiler::language::call::Root;
use eksfed_compiler::language::workspace::{self, FILE_NAME};
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

/// Where a stack directory is: its confinement root and, when that is a workspace's, the
/// workspace file.
pub struct Located {
    /// The canonical root: the workspace's directory, or the stack directory.
    pub root: PathBuf,
    /// The stack below the root, for the compiler's lexical checks.
    pub confine: Root,
    /// The workspace file, as shown to the user (relative to where the stack was named).
    pub file: Option<String>,
}

/// Finds the workspace of the stack directory `dir`.
pub fn locate(dir: &Path) -> anyhow::Result<Located> {
    let real = std::fs::canonicalize(dir)
        .map_err(|e| anyhow::anyhow!("cannot read stack directory {}: {e}", dir.display()))?;
    for (up, candidate) in real.ancestors().enumerate() {
        if candidate.join(FILE_NAME).is_file() {
            let stack: Vec<String> = real
                .strip_prefix(candidate)
                .unwrap_or(Path::new(""))
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect();
            let mut shown = dir.to_path_buf();
            for _ in 0..up {
                shown.push("..");
            }
            shown.push(FILE_NAME);
            return Ok(Located {
                root: candidate.to_path_buf(),
                confine: Root {
                    stack,
                    workspace: true,
                },
                file: Some(clean(&shown)),
            });
        }
    }
    Ok(Located {
        root: real,
        confine: Root::default(),
        file: None,
    })
}

/// The files git tracks under `root`, as canonical paths (`--untrusted`). An error when git
/// cannot list them (no repository): then nothing could be read.
pub fn tracked(root: &Path) -> anyhow::Result<HashSet<PathBuf>> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z", "--cached"])
        .output()
        .map_err(|e| anyhow::anyhow!("--untrusted: cannot run git in {}: {e}", root.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "--untrusted: `git ls-files` failed in {}: {}",
            root.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| root.join(String::from_utf8_lossy(p).as_ref()))
        .collect())
}

/// A path with `.` and `..` resolved lexically, for display (`a/b/../c` is `a/c`).
pub fn clean(p: &Path) -> String {
    let mut out: Vec<Component> = vec![];
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    let s: PathBuf = out.iter().collect();
    let s = s.display().to_string();
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// Reads and parses the workspace file into `compiled`, and reports E0711 for each other
/// stack of the workspace named like this one. `tracked`: under `--untrusted`, the files that
/// may be read (an untracked workspace file is E0205; untracked stacks are not read).
pub fn check(
    compiled: &mut Compiled,
    loc: &Located,
    dir: &Path,
    tracked: Option<&HashSet<PathBuf>>,
) {
    let Some(file) = &loc.file else { return };
    let real = loc.root.join(FILE_NAME);
    if tracked.is_some_and(|t| !t.contains(&real)) {
        let d = eksfed_compiler::language::confine::untracked_file(&mut compiled.sources, file);
        compiled.refuse(d);
        return;
    }
    let text = match std::fs::read_to_string(&real) {
        Ok(t) => t,
        Err(e) => {
            compiled.refuse(eksfed_compiler::diag::Diagnostic::error(
                "E0001",
                format!("cannot read {file}: {e}"),
            ));
            return;
        }
    };
    let (ws, diags) = workspace::parse(&mut compiled.sources, file, &text);
    for d in diags {
        compiled.refuse(d);
    }
    let Some(ws) = ws else { return };
    let own = workspace::stack_blocks(&compiled.sources, 0..compiled.sources.files.len())
        .into_iter()
        .next();
    let Some((name, here)) = own else { return };
    let me = loc.root.join(loc.confine.stack.join("/"));
    for other in stack_dirs(&loc.root, ws.stacks.as_deref()) {
        if other == me {
            continue;
        }
        let shown = clean(&dir.join(relative(&me, &other)));
        let files = hcl_files(&other, Path::new(&shown), tracked);
        for (n, there) in workspace::add_stack_blocks(&mut compiled.sources, &files) {
            if n == name {
                let here_dir = clean(dir);
                let [a, b] =
                    workspace::duplicate_stack(&name, (here.clone(), &here_dir), (there, &shown));
                compiled.refuse(a);
                compiled.refuse(b);
            }
        }
    }
}

/// `to` relative to `from` (both canonical, under one root), with `..` as needed.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

/// The `*.hcl` files of a directory inside it (symbolic links resolved), in name order, read
/// (only tracked ones under `--untrusted`); paths as shown: under `shown`.
fn hcl_files(
    dir: &Path,
    shown: &Path,
    tracked: Option<&HashSet<PathBuf>>,
) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "hcl"))
        .filter(|p| p.file_name().is_some_and(|n| n != FILE_NAME))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| std::fs::canonicalize(p).is_ok_and(|r| r.starts_with(dir)))
        .filter(|p| tracked.is_none_or(|t| t.contains(p)))
        .filter(|p| {
            std::fs::metadata(p)
                .is_ok_and(|m| m.len() <= eksfed_compiler::language::load::MAX_FILE_BYTES as u64)
        })
        .filter_map(|p| {
            let name = p.file_name()?;
            let text = std::fs::read_to_string(&p).ok()?;
            Some((clean(&shown.join(name)), text))
        })
        .collect()
}

/// The stack directories of a workspace (canonical): those its globs match, or every
/// directory under the root (hidden ones skipped) holding a `stack` block.
pub fn stack_dirs(root: &Path, globs: Option<&[String]>) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut todo = vec![root.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut subdirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        subdirs.sort();
        todo.extend(subdirs.into_iter().rev());
        let rel = relative(root, &d);
        let rel = rel.to_string_lossy().replace('\\', "/");
        let listed = match globs {
            Some(g) => g.iter().any(|g| glob_match(g, &rel)),
            None => has_stack_block(&d),
        };
        if listed {
            out.push(d);
        }
    }
    out
}

fn has_stack_block(dir: &Path) -> bool {
    let files = hcl_files(dir, dir, None);
    !files.is_empty()
        && !workspace::add_stack_blocks(&mut eksfed_compiler::diag::SourceMap::default(), &files)
            .is_empty()
}

/// A glob of directories: components separated by `/`, `*` and `?` within one component,
/// `**` any number of components.
pub fn glob_match(glob: &str, path: &str) -> bool {
    let g: Vec<&str> = glob
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let p: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    fn go(g: &[&str], p: &[&str]) -> bool {
        match (g.first(), p.first()) {
            (None, None) => true,
            (Some(&"**"), _) => go(&g[1..], p) || (!p.is_empty() && go(g, &p[1..])),
            (Some(c), Some(x)) => component(c.as_bytes(), x.as_bytes()) && go(&g[1..], &p[1..]),
            _ => false,
        }
    }
    fn component(g: &[u8], s: &[u8]) -> bool {
        match (g.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => component(&g[1..], s) || (!s.is_empty() && component(g, &s[1..])),
            (Some(b'?'), Some(_)) => component(&g[1..], &s[1..]),
            (Some(a), Some(b)) => a == b && component(&g[1..], &s[1..]),
            _ => false,
        }
    }
    go(&g, &p)
}

#[cfg(test)]
mod tests {
    use super::{clean, glob_match};
    use std::path::Path;

    #[test]
    fn globs_match_directories() {
        assert!(glob_match("accounts/*", "accounts/prod"));
        assert!(!glob_match("accounts/*", "accounts/prod/x"));
        assert!(!glob_match("accounts/*", "accounts"));
        assert!(glob_match("clusters/*/*", "clusters/eu/prod"));
        assert!(glob_match("**/stack", "a/b/stack"));
        assert!(glob_match("./accounts/p?od", "accounts/prod"));
        assert!(!glob_match("accounts/dev", "accounts/prod"));
    }

    #[test]
    fn paths_are_cleaned_for_display() {
        assert_eq!(clean(Path::new("a/b/../../c.hcl")), "c.hcl");
        assert_eq!(clean(Path::new("./a/./b")), "a/b");
        assert_eq!(clean(Path::new("../x/../y")), "../y");
    }
}
