//! Reading a stack from disk: its `*.hcl` files in name order, and the files its `file()` /
//! `templatefile()` calls name (relative to the stack directory).

use eksfed_compiler::language::call::FileReader;
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
}

/// The stack's `*.hcl` files, in name order. A file whose real path (symbolic links
/// resolved) is not inside the directory's real path is listed in `outside`, never opened.
pub fn read_stack(dir: &Path) -> anyhow::Result<StackFiles> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read stack directory {}: {e}", dir.display()))?;
    let base = std::fs::canonicalize(dir)
        .map_err(|e| anyhow::anyhow!("cannot read stack directory {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "hcl"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        anyhow::bail!("no *.hcl files in {}", dir.display());
    }
    let mut stack = StackFiles {
        files: vec![],
        outside: vec![],
        too_large: vec![],
    };
    for p in paths {
        let inside = std::fs::canonicalize(&p).is_ok_and(|real| real.starts_with(&base));
        if !inside {
            stack.outside.push(display_path(&p));
            continue;
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
    let s = p.display().to_string();
    s.strip_prefix("./").map(String::from).unwrap_or(s)
}

/// Reads files relative to the stack directory, and only files inside it: the path, with
/// `..` and symbolic links resolved, must stay under the directory's canonical path, so a
/// plan of an untrusted change reads nothing else the runner holds. Nothing outside is
/// opened.
pub struct FsReader {
    pub base: PathBuf,
}

impl FileReader for FsReader {
    fn read(&self, path: &str) -> Result<String, String> {
        eksfed_compiler::language::confine::check_relative(path)?;
        let base = std::fs::canonicalize(&self.base).map_err(|e| {
            format!(
                "cannot read the stack directory {}: {e}",
                self.base.display()
            )
        })?;
        let full = std::fs::canonicalize(base.join(path))
            .map_err(|e| format!("cannot read `{path}`: {e}"))?;
        if !full.starts_with(&base) {
            return Err(format!(
                "`{path}` leaves the stack directory (through a symbolic link); only files inside it can be read"
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

    /// A module directory's `*.hcl` files, each inside the stack directory once symbolic
    /// links are resolved (the directory, like every file in it); nothing outside is opened.
    fn read_hcl_dir(&self, dir: &str) -> Result<Vec<(String, String)>, String> {
        eksfed_compiler::language::confine::check_relative(dir)?;
        let base = std::fs::canonicalize(&self.base).map_err(|e| {
            format!(
                "cannot read the stack directory {}: {e}",
                self.base.display()
            )
        })?;
        let shown = self.base.join(dir);
        let real =
            std::fs::canonicalize(&shown).map_err(|_| format!("`{dir}` is not a directory"))?;
        if !real.starts_with(&base) {
            return Err(format!(
                "`{dir}` leaves the stack directory (through a symbolic link); only files inside it can be read"
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
