//! The shape of the code, held: the compiler's root lists folders (at most 12 files there), no
//! source file of the three crates is over 800 lines and no function over 150 (test modules
//! aside), and no module re-exports another module's items (`pub use crate::...`): an item is
//! imported from the module that defines it.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 150;
const MAX_ROOT_FILES: usize = 12;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source files of the crates, without the files that hold only tests.
fn sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in ["compiler/src", "runtime/src", "src"] {
        rust_files(&repo().join(d), &mut out);
    }
    out.retain(|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        name != "tests.rs" && name != "text_snapshots.rs"
    });
    out
}

/// The lines before a file's `#[cfg(test)] mod tests`.
fn non_test_lines(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let cut = (0..lines.len())
        .find(|&i| {
            lines[i].starts_with("#[cfg(test)]")
                && lines.get(i + 1).is_some_and(|l| l.starts_with("mod tests"))
        })
        .unwrap_or(lines.len());
    lines[..cut].to_vec()
}

/// A line's code with string and character literals and `//` comments removed, so braces
/// inside them are not counted; `in_str` carries a string literal across lines.
fn code_of(line: &str, in_str: &mut bool) -> String {
    let b = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if *in_str {
            match c {
                b'\\' => i += 2,
                b'"' => {
                    *in_str = false;
                    i += 1
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => break,
            b'"' => {
                *in_str = true;
                i += 1
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') => i += 3,
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                let end = line[i + 2..].find('\'').map_or(b.len(), |k| i + 3 + k);
                i = end
            }
            _ => {
                out.push(c as char);
                i += 1
            }
        }
    }
    out
}

/// Every function's name and length in lines.
fn functions(text: &str) -> Vec<(String, usize)> {
    let mut in_str = false;
    let code: Vec<String> = non_test_lines(text)
        .iter()
        .map(|l| code_of(l, &mut in_str))
        .collect();
    let mut out = Vec::new();
    for (i, l) in code.iter().enumerate() {
        let t = l.trim_start();
        let after = ["pub ", "pub(crate) ", "pub(super) ", "const ", "async "]
            .iter()
            .fold(t, |s, p| s.strip_prefix(p).unwrap_or(s));
        let Some(rest) = after.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let (mut depth, mut started) = (0i64, false);
        for (j, l) in code.iter().enumerate().skip(i) {
            depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
            started |= l.contains('{');
            if (started && depth <= 0) || (!started && l.trim_end().ends_with(';')) {
                out.push((name.clone(), j - i + 1));
                break;
            }
        }
    }
    out
}

#[test]
fn the_compiler_root_lists_folders() {
    let root: Vec<String> = std::fs::read_dir(repo().join("compiler/src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        root.len() <= MAX_ROOT_FILES,
        "{} files at compiler/src's root: {root:?}",
        root.len()
    );
}

#[test]
fn no_file_or_function_is_too_large() {
    let mut over = Vec::new();
    for p in sources() {
        let text = std::fs::read_to_string(&p).unwrap();
        let n = text.lines().count();
        if n > MAX_FILE_LINES {
            over.push(format!("{}: {n} lines", p.display()));
        }
        for (name, len) in functions(&text) {
            if len > MAX_FN_LINES {
                over.push(format!("{}: fn {name} is {len} lines", p.display()));
            }
        }
    }
    assert!(over.is_empty(), "too large:\n{}", over.join("\n"));
}

#[test]
fn no_module_re_exports_another_modules_items() {
    let mut found = Vec::new();
    for p in sources() {
        let text = std::fs::read_to_string(&p).unwrap();
        for (i, l) in text.lines().enumerate() {
            let t = l.trim_start();
            if t.starts_with("pub use crate::")
                || t.starts_with("pub use eksfed_")
                || t.starts_with("pub use super::")
            {
                found.push(format!("{}:{}: {t}", p.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "re-exports:\n{}", found.join("\n"));
}

#[test]
fn the_measure_sees_a_long_function_and_ignores_braces_in_strings() {
    let body = "    let s = \"{{{\";\n".repeat(200);
    let text = format!("fn long() {{\n{body}}}\nfn short() {{ let c = '}}'; }}\n");
    let fns = functions(&text);
    assert_eq!(
        fns,
        vec![("long".to_string(), 202), ("short".to_string(), 1)]
    );
}
