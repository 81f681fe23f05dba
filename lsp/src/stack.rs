//! The stack a file belongs to (its directory), read from the editor's open buffers over the
//! files on disk, and compiled with the compiler's public API. The only file IO of the server.

use eksfed_compiler::desired::compile::{compile, CompileInput, Compiled, Facts, VarInputs};
use eksfed_compiler::language::call::FileReader;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// The open buffers, by absolute path: they take precedence over the files on disk.
pub type Overlay = Arc<HashMap<PathBuf, String>>;

/// The path of a `file://` URI (percent-decoded), or `None` for another scheme.
pub fn path_of(uri: &lsp_types::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&a), Some(&b)) if hex(a).is_some() && hex(b).is_some() => {
                out.push((hex(a).unwrap_or(0) * 16 + hex(b).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(PathBuf::from(String::from_utf8_lossy(&out).into_owned()))
}

/// The `file://` URI of an absolute path, with what a URI path may not hold percent-encoded.
pub fn uri_of(path: &Path) -> lsp_types::Uri {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    lsp_types::Uri::from_str(&s)
        .unwrap_or_else(|_| lsp_types::Uri::from_str("file:///").expect("a constant URI parses"))
}

fn hcl_files(dir: &Path, overlay: &HashMap<PathBuf, String>) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "hcl"))
                .collect()
        })
        .unwrap_or_default();
    paths.extend(
        overlay
            .keys()
            .filter(|p| p.parent() == Some(dir) && p.extension().is_some_and(|x| x == "hcl"))
            .cloned(),
    );
    paths.sort();
    paths.dedup();
    paths
}

fn text_of(path: &Path, overlay: &HashMap<PathBuf, String>) -> Option<String> {
    match overlay.get(path) {
        Some(t) => Some(t.clone()),
        None => std::fs::read_to_string(path).ok(),
    }
}

/// The top-level blocks of a directory's `*.hcl` files that parse: (type, first label,
/// body's `source` string).
fn heads(dir: &Path, overlay: &HashMap<PathBuf, String>) -> Vec<(String, Option<String>)> {
    let mut out = vec![];
    for p in hcl_files(dir, overlay) {
        let Some(body) = text_of(&p, overlay).and_then(|t| hcl_edit::parser::parse_body(&t).ok())
        else {
            continue;
        };
        for b in body.blocks() {
            let source = b
                .body
                .get_attribute("source")
                .and_then(|a| a.value.as_str().map(str::to_string));
            out.push((b.ident.as_str().to_string(), source));
        }
    }
    out
}

/// The directories to compile for a file: its own when it holds a `stack` block (or no
/// stack calls it); else those of the stacks (in the three directories above it) whose
/// `module` blocks' `source` is the file's directory: a module is checked through its callers.
pub fn stack_dirs(path: &Path, overlay: &HashMap<PathBuf, String>) -> Vec<PathBuf> {
    let Some(dir) = path.parent() else {
        return vec![];
    };
    let own = heads(dir, overlay);
    if own.iter().any(|(t, _)| t == "stack") {
        return vec![dir.to_path_buf()];
    }
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let callers: Vec<PathBuf> = dir
        .ancestors()
        .skip(1)
        .take(3)
        .filter(|a| {
            let h = heads(a, overlay);
            h.iter().any(|(t, _)| t == "stack")
                && h.iter().any(|(t, src)| {
                    t == "module"
                        && src.as_ref().is_some_and(|s| {
                            std::fs::canonicalize(a.join(s)).is_ok_and(|r| r == real)
                        })
                })
        })
        .map(Path::to_path_buf)
        .collect();
    if callers.is_empty() {
        vec![dir.to_path_buf()]
    } else {
        callers
    }
}

/// The last compile of each stack (by directory), with the files and the open buffers it
/// compiled (a module's buffer is read through the stack): the worker fills it, hover reads
/// it when both are still the same.
pub type Compiles =
    Arc<std::sync::Mutex<HashMap<PathBuf, (Vec<(PathBuf, String)>, Overlay, Arc<Compiled>)>>>;

/// One stack as the editor sees it: its directory and its files' texts (absolute paths).
#[derive(Clone)]
pub struct Stack {
    pub dir: PathBuf,
    pub files: Vec<(PathBuf, String)>,
    overlay: Overlay,
}

impl Stack {
    /// The stack of the directory `dir`.
    pub fn read(dir: &Path, overlay: Overlay) -> Stack {
        let files = hcl_files(dir, &overlay)
            .into_iter()
            .filter_map(|p| text_of(&p, &overlay).map(|t| (p, t)))
            .collect();
        Stack {
            dir: dir.to_path_buf(),
            files,
            overlay,
        }
    }

    /// The open buffers this stack was read with.
    pub fn overlay(&self) -> Overlay {
        self.overlay.clone()
    }

    pub fn text(&self, path: &Path) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }

    /// The stack compiled: the worker's last compile when it compiled these same texts, else
    /// a compile now (the worker has not caught up with the last change).
    pub fn compiled(&self, cache: &Compiles) -> Arc<Compiled> {
        let cached = cache.lock().ok().and_then(|m| {
            m.get(&self.dir)
                .filter(|(files, overlay, _)| *files == self.files && **overlay == *self.overlay)
                .map(|(_, _, c)| c.clone())
        });
        cached.unwrap_or_else(|| Arc::new(self.compile()))
    }

    /// Compiles the stack as `eksfed validate` does (variables from `EKSFED_VAR_name`).
    pub fn compile(&self) -> Compiled {
        let reader = Reader {
            base: self.dir.clone(),
            overlay: self.overlay.clone(),
        };
        let env: Vec<(String, String)> = std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix("EKSFED_VAR_").map(|n| (n.to_string(), v)))
            .collect();
        compile(CompileInput {
            files: self
                .files
                .iter()
                .map(|(p, t)| (p.to_string_lossy().into_owned(), t.clone()))
                .collect(),
            reader: &reader,
            vars: VarInputs {
                env,
                ..Default::default()
            },
            facts: Facts::default(),
        })
    }
}

/// Reads what `file()`, `templatefile()` and module `source`s name, relative to the stack
/// directory and confined to it (as `eksfed validate` reads), open buffers first.
struct Reader {
    base: PathBuf,
    overlay: Overlay,
}

impl Reader {
    fn inside(&self, rel: &str) -> Result<PathBuf, String> {
        eksfed_compiler::language::confine::check_relative(rel)?;
        let full = self.base.join(rel);
        let base = std::fs::canonicalize(&self.base).unwrap_or_else(|_| self.base.clone());
        match std::fs::canonicalize(&full) {
            Ok(real) if !real.starts_with(&base) => Err(format!(
                "`{rel}` leaves the stack directory (through a symbolic link); only files inside it can be read"
            )),
            _ => Ok(full),
        }
    }
}

impl FileReader for Reader {
    fn read(&self, path: &str) -> Result<String, String> {
        let full = self.inside(path)?;
        text_of(&full, &self.overlay).ok_or_else(|| format!("cannot read `{path}`"))
    }

    fn read_hcl_dir(&self, dir: &str) -> Result<Vec<(String, String)>, String> {
        let full = self.inside(dir)?;
        if !full.is_dir() {
            return Err(format!("`{dir}` is not a directory"));
        }
        Ok(hcl_files(&full, &self.overlay)
            .into_iter()
            .filter_map(|p| {
                text_of(&p, &self.overlay).map(|t| (p.to_string_lossy().into_owned(), t))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_paths_round_trip_with_percent_encoding() {
        let p = PathBuf::from("/tmp/my stack/é.hcl");
        let uri = uri_of(&p);
        assert_eq!(uri.as_str(), "file:///tmp/my%20stack/%C3%A9.hcl");
        assert_eq!(path_of(&uri), Some(p));
    }

    #[test]
    fn hover_reuses_the_workers_compile_only_for_the_same_texts() {
        let dir = std::env::temp_dir().join(format!("eksfed-lsp-cache-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("main.hcl");
        let open = |t: &str| Arc::new(HashMap::from([(file.clone(), t.to_string())]));
        let stack = Stack::read(&dir, open("stack \"a\" {}\n"));
        let cache = Compiles::default();
        let first = Arc::new(stack.compile());
        cache
            .lock()
            .map(|mut m| {
                m.insert(
                    dir.clone(),
                    (stack.files.clone(), stack.overlay(), first.clone()),
                )
            })
            .expect("lock");
        assert!(Arc::ptr_eq(&stack.compiled(&cache), &first));
        let edited = Stack::read(&dir, open("stack \"b\" {}\n"));
        assert!(!Arc::ptr_eq(&edited.compiled(&cache), &first));
        // The same stack files, but another open buffer (a module's file the stack reads).
        let mut with_module = (*stack.overlay()).clone();
        with_module.insert(dir.join("app/main.hcl"), "variable \"x\" {}\n".into());
        let module_edited = Stack::read(&dir, Arc::new(with_module));
        assert_eq!(module_edited.files, stack.files);
        assert!(!Arc::ptr_eq(&module_edited.compiled(&cache), &first));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
