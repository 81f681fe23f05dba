//! Fixture tests: every folder under `tests/fixtures/` is a stack. Expected diagnostics are
//! marked inline on the line they must point at (`# ERROR: E0201`, `# WARNING: IAM001`,
//! `# ALLOWED: IAM001`); the run must produce exactly those. A folder without errors also
//! snapshots its rendered JSON (insta).
#![allow(clippy::unwrap_used)]

use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Facts,
    desired::compile::VarInputs, language::call::FileReader, language::call::Root,
    language::workspace::FILE_NAME, plan::render,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Reads a fixture's files; `.1`: its confinement root (a workspace's, for the examples in one).
struct DirReader(PathBuf, Root);
impl FileReader for DirReader {
    fn root(&self) -> Root {
        self.1.clone()
    }
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    }
    /// A module directory's files, shown relative to the fixture (`modules/app/main.hcl`).
    fn read_hcl_dir(&self, dir: &str) -> Result<Vec<(String, String)>, String> {
        let full = self.0.join(dir);
        if !full.is_dir() {
            return Err(format!("`{dir}` is not a directory"));
        }
        Ok(hcl_files(&full)
            .into_iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (
                    format!("{dir}/{name}"),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect())
    }
}

/// The confinement root of a directory: the nearest workspace file's, or the directory itself.
fn root_of(dir: &Path) -> Root {
    for up in dir.ancestors() {
        if up.join(FILE_NAME).is_file() {
            let stack = dir.strip_prefix(up).unwrap();
            return Root {
                stack: stack
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().to_string())
                    .collect(),
                workspace: true,
            };
        }
    }
    Root::default()
}

fn hcl_files(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "hcl"))
        .collect();
    names.sort();
    names
}

/// The `*.hcl` files under the subfolders of a stack (its modules), shown relative to it:
/// where markers of diagnostics inside modules are.
fn module_files(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    subs.sort();
    for sub in subs {
        for p in hcl_files(&sub) {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
        module_files(root, &sub, out);
    }
}

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// (file, line, severity, code) expected from inline markers.
fn expected(files: &[(String, String)]) -> BTreeSet<(String, usize, String, String)> {
    let mut out = BTreeSet::new();
    for (path, text) in files {
        for (i, line) in text.lines().enumerate() {
            for sev in ["ERROR", "WARNING", "ALLOWED"] {
                let marker = format!("# {sev}:");
                if let Some(pos) = line.find(&marker) {
                    for code in line[pos + marker.len()..]
                        .split([',', ' '])
                        .filter(|c| !c.is_empty())
                    {
                        out.insert((
                            path.clone(),
                            i + 1,
                            sev.to_lowercase(),
                            code.trim().to_string(),
                        ));
                    }
                }
            }
        }
    }
    out
}

pub fn check_fixture(dir: &Path) -> (String, Option<String>) {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
        .collect();
    names.sort();
    let files: Vec<(String, String)> = names
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    let mut marked = files.clone();
    module_files(dir, dir, &mut marked);
    let want = expected(&marked);
    let reader = DirReader(dir.to_path_buf(), root_of(dir));
    let vars = VarInputs::default();
    let compiled = compile(CompileInput {
        files,
        reader: &reader,
        vars,
        facts: Facts::default(),
    });
    let mut got = BTreeSet::new();
    let mut text = String::new();
    for d in compiled.diagnostics.iter() {
        let (file, line, _) = d
            .span
            .as_ref()
            .and_then(|s| compiled.sources.locate(s))
            .map(|(f, l, c)| (f.to_string(), l, c))
            .unwrap_or_default();
        let sev = if d.allowed {
            "allowed"
        } else if d.is_error() {
            "error"
        } else {
            "warning"
        };
        got.insert((file, line, sev.to_string(), d.code.clone()));
        text.push_str(&compiled.sources.render(d));
    }
    let case = dir.file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(
        got, want,
        "fixture {case}: diagnostics differ from the inline markers\n{text}"
    );
    let rendered = compiled
        .desired
        .as_ref()
        .map(|d| serde_json::to_string_pretty(&render::render(d)).unwrap());
    (text, rendered)
}

#[test]
fn fixtures() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_root())
        .unwrap()
        .map(|e| e.unwrap().path())
        // `plan/` holds the plan fixtures (tests/plan_fixtures.rs), not a stack.
        .filter(|p| p.is_dir() && !p.ends_with("snapshots") && !p.ends_with("plan"))
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let (diags, rendered) = check_fixture(&dir);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(fixtures_root().join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            if !diags.is_empty() {
                insta::assert_snapshot!(format!("{case}.diagnostics"), diags);
            }
            if let Some(r) = rendered {
                insta::assert_snapshot!(format!("{case}.render"), r);
            }
        });
    }
}

/// Every example under `examples/` compiles with no errors and no unsilenced warnings.
#[test]
fn examples_are_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 4, "expected at least four examples");
    for dir in dirs {
        for stack in stack_dirs(&dir) {
            let (diags, rendered) = check_fixture(&stack);
            assert!(diags.is_empty(), "{}: {diags}", stack.display());
            assert!(rendered.is_some(), "{}: did not render", stack.display());
        }
    }
}

/// An example is a stack, or a folder of numbered steps that are each a stack. (A stack's
/// subfolders are its modules.)
fn stack_dirs(dir: &Path) -> Vec<PathBuf> {
    if dir.join(FILE_NAME).is_file() {
        // A workspace: the directories below it that hold a `stack` block (not its modules).
        let mut out = vec![];
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    todo.push(p);
                }
            }
            let is_stack = hcl_files(&d).iter().any(|p| {
                std::fs::read_to_string(p)
                    .unwrap()
                    .lines()
                    .any(|l| l.starts_with("stack \""))
            });
            if is_stack {
                out.push(d);
            }
        }
        out.sort();
        assert!(!out.is_empty(), "workspace {} has no stack", dir.display());
        return out;
    }
    let has_hcl = std::fs::read_dir(dir)
        .unwrap()
        .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "hcl"));
    if has_hcl {
        return vec![dir.to_path_buf()];
    }
    // A folder of steps, or of examples that are not stacks (`ci/`: workflows): the
    // subfolders that hold a stack, at any depth.
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .flat_map(|p| stack_dirs(&p))
        .collect();
    subs.sort();
    subs
}
