//! Reading a stack from disk: its `*.hcl` files in name order, and the files its `file()` /
//! `templatefile()` calls and module sources name (relative to the stack directory, inside
//! its confinement root: the workspace root, or the stack directory).

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::language::{call::Root, confine::UNTRACKED};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A stack directory's `*.hcl` files, read.
pub struct StackFiles {
    /// (path shown to the user, text), in name order.
    pub files: Vec<(String, String)>,
    /// Files (path shown to the user) that resolve outside the stack directory through a
    /// symbolic link: not opened, so nothing of it can be shown (E0203 at the file).
    pub outside: Vec<String>,
    /// Files (path shown to the user, size) over `load::MAX_FILE_BYTES`: not opened (E0002).
    pub too_large: Vec<(String, u64)>,
    /// Files (path shown to the user) git does not track, under `--untrusted`: not opened
    /// (E0205 at the file).
    pub untracked: Vec<String>,
}

/// The stack's `*.hcl` files, in name order. A file whose real path (symbolic links
/// resolved) is not inside the directory's real path is listed in `outside`, never opened.
/// The workspace file, when the directory is a workspace root, is one of them (`fmt` formats
/// it).
pub fn read_stack(dir: &Path) -> anyhow::Result<StackFiles> {
    read_files(dir, None, true)
}

/// The stack's own `*.hcl` files to compile: as [`read_stack`] without the workspace file;
/// under `--untrusted` (`tracked`: the canonical paths git tracks) a file not tracked is
/// listed in `untracked`, never opened.
pub fn read_stack_tracked(
    dir: &Path,
    tracked: Option<&HashSet<PathBuf>>,
) -> anyhow::Result<StackFiles> {
    read_files(dir, tracked, false)
}

fn read_files(
    dir: &Path,
    tracked: Option<&HashSet<PathBuf>>,
    workspace_file: bool,
) -> anyhow::Result<StackFiles> {
    let ws_name = eksfed_compiler::language::workspace::FILE_NAME;
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read stack directory {}: {e}", dir.display()))?;
    let base = std::fs::canonicalize(dir)
        .map_err(|e| anyhow::anyhow!("cannot read stack directory {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "hcl"))
        .filter(|p| workspace_file || p.file_name().is_none_or(|n| n != ws_name))
        .collect();
    paths.sort();
    if paths.is_empty() {
        anyhow::bail!("no *.hcl files in {}", dir.display());
    }
    let mut stack = StackFiles {
        files: vec![],
        outside: vec![],
        too_large: vec![],
        untracked: vec![],
    };
    for p in paths {
        let real = std::fs::canonicalize(&p).ok();
        let inside = real.as_ref().is_some_and(|real| real.starts_with(&base));
        if !inside {
            stack.outside.push(display_path(&p));
            continue;
        }
        if let (Some(t), Some(real)) = (tracked, &real) {
            if !t.contains(real) {
                stack.untracked.push(display_path(&p));
                continue;
            }
        }
        let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        if size > eksfed_compiler::language::load::MAX_FILE_BYTES as u64 {
            stack.too_large.push((display_path(&p), size));
            continue;
        }
        let text = std::fs::read_to_string(&p)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
        stack.files.push((display_path(&p), text));
    }
    Ok(stack)
}

fn display_path(p: &Path) -> String {
    let s = crate::workspace::clean(p);
    s.strip_prefix("./").map(String::from).unwrap_or(s)
}

/// Reads files relative to the stack directory, and only files inside its root (the
/// workspace root, or the stack directory): the path, with `..` and symbolic links
/// resolved, must stay under the root's canonical path, so a plan of an untrusted change
/// reads nothing else the runner holds. Nothing outside is opened; under `--untrusted`
/// nothing git does not track either.
pub struct FsReader {
    pub base: PathBuf,
    /// The stack directory below the root (`Root::default()`: the stack directory is it).
    pub root: Root,
    /// Under `--untrusted`: the canonical paths of the files git tracks in the root.
    pub tracked: Option<HashSet<PathBuf>>,
}

impl FsReader {
    /// A reader confined to the stack directory `base`, reading every file in it.
    pub fn stack(base: &Path) -> Self {
        FsReader {
            base: base.to_path_buf(),
            root: Root::default(),
            tracked: None,
        }
    }

    /// The canonical stack directory and the canonical root above it.
    fn bounds(&self) -> Result<(PathBuf, PathBuf), String> {
        let base = std::fs::canonicalize(&self.base).map_err(|e| {
            format!(
                "cannot read the stack directory {}: {e}",
                self.base.display()
            )
        })?;
        let top = base
            .ancestors()
            .nth(self.root.stack.len())
            .unwrap_or(&base)
            .to_path_buf();
        Ok((base, top))
    }
}

impl FileReader for FsReader {
    fn root(&self) -> Root {
        self.root.clone()
    }

    fn read(&self, path: &str) -> Result<String, String> {
        eksfed_compiler::language::confine::check_in(path, &self.root)?;
        let (base, top) = self.bounds()?;
        let full = std::fs::canonicalize(base.join(path))
            .map_err(|e| format!("cannot read `{path}`: {e}"))?;
        let name = self.root.name();
        if !full.starts_with(&top) {
            return Err(format!(
                "`{path}` leaves the {name} (through a symbolic link); only files inside it can be read"
            ));
        }
        if self.tracked.as_ref().is_some_and(|t| !t.contains(&full)) {
            return Err(format!(
                "`{path}` {UNTRACKED}; with --untrusted only files git tracks in the {name} are read"
            ));
        }
        let cap = eksfed_compiler::language::load::MAX_FILE_BYTES;
        let size = std::fs::metadata(&full).map(|m| m.len()).unwrap_or(0);
        if size > cap as u64 {
            return Err(format!(
                "`{path}` is {size} bytes, more than the {cap} bytes (16 MiB) eksfed reads from one file"
            ));
        }
        std::fs::read_to_string(&full).map_err(|e| format!("cannot read `{path}`: {e}"))
    }

    /// A module directory's `*.hcl` files, each inside the root once symbolic links are
    /// resolved (the directory, like every file in it); nothing outside is opened, and under
    /// `--untrusted` no file git does not track (the first one refuses the module).
    fn read_hcl_dir(&self, dir: &str) -> Result<Vec<(String, String)>, String> {
        eksfed_compiler::language::confine::check_in(dir, &self.root)?;
        let (_, top) = self.bounds()?;
        let shown = self.base.join(dir);
        let real =
            std::fs::canonicalize(&shown).map_err(|_| format!("`{dir}` is not a directory"))?;
        if !real.starts_with(&top) {
            return Err(format!(
                "`{dir}` leaves the {} (through a symbolic link); only files inside it can be read",
                self.root.name()
            ));
        }
        if !real.is_dir() {
            return Err(format!("`{dir}` is not a directory"));
        }
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&shown)
            .map_err(|e| format!("cannot read `{dir}`: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "hcl"))
            .collect();
        paths.sort();
        let mut out = vec![];
        for p in paths {
            let name = p.file_name().map(|n| n.to_string_lossy().to_string());
            let rel = format!("{dir}/{}", name.unwrap_or_default());
            out.push((display_path(&p), self.read(&rel)?));
        }
        Ok(out)
    }
}

/// `EKSFED_VAR_name` values from the environment.
pub fn env_vars() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix("EKSFED_VAR_").map(|n| (n.to_string(), v)))
        .collect();
    v.sort();
    v
}
