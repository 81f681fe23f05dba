//! No file imports a file that imports it (issue 19), in `compiler/src`, `runtime/src` and
//! `src`. An edge is a `crate::` or `super::` path in a file (inside `use` trees too) that
//! names another file's module; comments (`//` to the end of the line) are skipped. A
//! module's own children (`mod x;`, `x::...`) are not edges. Any cycle of files fails.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file under `root` by its path relative to `root` (with `/`).
fn files(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, p);
            }
        }
    }
    out
}

/// The module path of a file: `a/mod.rs` and `a.rs` → `[a]`, `a/b.rs` → `[a, b]`.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The file holding the longest prefix of `path` that is a module file.
fn file_of(path: &[String], files: &BTreeMap<String, PathBuf>) -> Option<String> {
    (1..=path.len()).rev().find_map(|n| {
        let p = path[..n].join("/");
        [format!("{p}.rs"), format!("{p}/mod.rs")]
            .into_iter()
            .find(|f| files.contains_key(f))
    })
}

fn ident_at(s: &[u8], mut i: usize) -> (String, usize) {
    let start = i;
    while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
        i += 1;
    }
    (String::from_utf8_lossy(&s[start..i]).into_owned(), i)
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Parses a path tree (`a::b`, `a::{b, c::{d}}`, `*`) at `i`, pushing each full path
/// (prefixed by `prefix`) to `out`. Returns the index after it.
fn tree(s: &[u8], mut i: usize, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix.to_vec();
    loop {
        i = skip_ws(s, i);
        if i < s.len() && s[i] == b'{' {
            i += 1;
            loop {
                i = skip_ws(s, i);
                if i >= s.len() {
                    return i;
                }
                match s[i] {
                    b'}' => return i + 1,
                    b',' => i += 1,
                    _ => {
                        let before = i;
                        i = tree(s, i, &path, out);
                        if i == before {
                            i += 1;
                        }
                    }
                }
            }
        }
        let (id, j) = ident_at(s, i);
        if id.is_empty() {
            out.push(path);
            return i;
        }
        i = j;
        if id != "self" {
            path.push(id);
        }
        let k = skip_ws(s, i);
        if s[k..].starts_with(b"::") {
            i = k + 2;
        } else {
            out.push(path);
            return i;
        }
    }
}

/// The files `rel` imports.
fn edges_of(rel: &str, text: &str, files: &BTreeMap<String, PathBuf>) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let s = code.as_bytes();
    let module = module_of(rel);
    let mut paths = vec![];
    let mut i = 0;
    while i < s.len() {
        let word_start = i == 0 || !(s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b'_');
        if word_start && s[i..].starts_with(b"crate::") {
            i = tree(s, i + "crate::".len(), &[], &mut paths);
        } else if word_start && s[i..].starts_with(b"super::") {
            let mut base = module.clone();
            while s[i..].starts_with(b"super::") {
                base.pop();
                i += "super::".len();
            }
            i = tree(s, i, &base, &mut paths);
        } else {
            i += 1;
        }
    }
    paths
        .iter()
        .filter_map(|p| file_of(p, files))
        .filter(|f| f != rel)
        .collect()
}

fn graph(root: &Path) -> Graph {
    let files = files(root);
    files
        .iter()
        .map(|(rel, p)| {
            let text = std::fs::read_to_string(p).unwrap();
            (rel.clone(), edges_of(rel, &text, &files))
        })
        .collect()
}

/// Strongly connected components of more than one file (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = vec![];
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: vec![],
        on: BTreeSet::new(),
        out: vec![],
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn no_file_imports_a_file_that_imports_it() {
    for dir in ["compiler/src", "runtime/src", "src"] {
        let g = graph(&workspace().join(dir));
        assert!(g.len() > 5, "{dir}: too few files read ({})", g.len());
        let found = cycles(&g);
        assert!(
            found.is_empty(),
            "{dir}: files that import each other: {found:?}"
        );
    }
}

/// The checker itself finds the edges it must: a `use` tree with nested groups, `super::`,
/// and a mutual import between two files.
#[test]
fn the_checker_sees_use_trees_super_and_cycles() {
    let files: BTreeMap<String, PathBuf> = ["a.rs", "b.rs", "c/mod.rs", "c/d.rs", "e.rs"]
        .iter()
        .map(|f| (f.to_string(), PathBuf::new()))
        .collect();
    let e = edges_of(
        "a.rs",
        "use crate::{b::X, c::{d::Y, Z}};\n// crate::e::W in a comment\n",
        &files,
    );
    assert_eq!(
        e.into_iter().collect::<Vec<_>>(),
        ["b.rs", "c/d.rs", "c/mod.rs"]
    );
    let e = edges_of(
        "c/d.rs",
        "fn f() { super::super::e::g(); super::Z }",
        &files,
    );
    assert_eq!(e.into_iter().collect::<Vec<_>>(), ["c/mod.rs", "e.rs"]);
    let g: Graph = [
        ("a.rs", vec!["b.rs"]),
        ("b.rs", vec!["e.rs"]),
        ("e.rs", vec!["a.rs"]),
        ("c/mod.rs", vec!["a.rs"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
    .collect();
    assert_eq!(cycles(&g), vec![vec!["a.rs", "b.rs", "e.rs"]]);
}
