//! Answers that must never be silently wrong: an invalid index is an error at the index (as in
//! Terraform), and `eksfed fmt` never changes what a stack means.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs, language::fmt, plan::render,
};
use std::path::{Path, PathBuf};

struct DirReader(PathBuf);
impl FileReader for DirReader {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    }
}

fn compile_files(files: Vec<(String, String)>, dir: &Path) -> Compiled {
    compile(CompileInput {
        files,
        reader: &DirReader(dir.to_path_buf()),
        vars: VarInputs::default(),
        facts: Facts {
            account_id: Some("111122223333".into()),
            ..Facts::default()
        },
    })
}

fn compile_text(text: &str) -> Compiled {
    compile_files(vec![("main.hcl".into(), text.into())], Path::new("."))
}

/// (code, message, line:col) of each diagnostic.
fn located(c: &Compiled) -> Vec<(String, String, String)> {
    c.diagnostics
        .iter()
        .map(|d| {
            let j = c.sources.to_json(d);
            (
                d.code.clone(),
                d.message.clone(),
                format!("{}:{}", j["line"], j["column"]),
            )
        })
        .collect()
}

const LIST: &str = r#"
stack "s" {
  account_id = "111122223333"
}
locals {
  names = ["a", "b"]
}
role "r" {
  name = local.names[INDEX]
  trust_aws { principals = ["arn:aws:iam::111122223333:root"] }
}
"#;

#[test]
fn a_negative_or_out_of_range_index_is_an_error_at_the_index() {
    for (index, why) in [
        ("-1", "negative"),
        ("2", "out of range (length 2)"),
        ("0.5", "whole number"),
    ] {
        let c = compile_text(&LIST.replace("INDEX", index));
        let errors: Vec<_> = c.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "{index}: {:?}", located(&c));
        let d = errors[0];
        assert!(d.message.starts_with("Invalid index"), "{}", d.message);
        assert!(d.message.contains(why), "{}", d.message);
        let j = c.sources.to_json(d);
        // `  name = local.names[-1]`: the index starts at column 22 of line 9.
        assert_eq!(
            (j["line"].as_u64(), j["column"].as_u64()),
            (Some(9), Some(22)),
            "{j}"
        );
    }
    let ok = compile_text(&LIST.replace("INDEX", "1"));
    assert!(!ok.diagnostics.has_errors(), "{:?}", located(&ok));
    let r = render::render(ok.desired.as_ref().unwrap());
    let role = serde_json::to_value(&r).unwrap().to_string();
    assert!(role.contains("\"name\":\"b\""), "{role}");
}

/// A heredoc's blank lines, trailing white space and `key = value` lines are its value.
#[test]
fn fmt_keeps_heredocs_byte_for_byte() {
    let src = "stack \"s\" {\naccount_id = \"111122223333\"\n}\nrole \"r\" {\n  name = \"r\"\ndescription = <<EOT\nfirst\n\n\n\nafter three blank lines   \na = 1\nlonger = 2\n\n\nEOT\n  trust_aws { principals = [\"arn:aws:iam::111122223333:root\"] }\n}\n";
    let out = fmt::format(src);
    assert!(
        out.contains("<<EOT\nfirst\n\n\n\nafter three blank lines   \na = 1\nlonger = 2\n\n\n"),
        "{out}"
    );
    same_meaning(
        "heredoc",
        &[("main.hcl".into(), src.into())],
        Path::new("."),
    );
    // `=>` in a `for` expression split over lines is not an attribute.
    let src = "stack \"s\" {\n  account_id = \"111122223333\"\n}\nlocals {\n  m = { for k in [\"a\"] :\n    k => upper(k)\n  }\n}\n";
    same_meaning("for", &[("main.hcl".into(), src.into())], Path::new("."));
}

/// `render` (or, for stacks with errors, the diagnostics) before and after `fmt` are equal,
/// and `fmt` is idempotent.
fn same_meaning(name: &str, files: &[(String, String)], dir: &Path) {
    let formatted: Vec<(String, String)> = files
        .iter()
        .map(|(p, t)| (p.clone(), fmt::format(t)))
        .collect();
    for (p, t) in &formatted {
        assert_eq!(&fmt::format(t), t, "{name}/{p}: fmt is not idempotent");
    }
    let a = compile_files(files.to_vec(), dir);
    let b = compile_files(formatted, dir);
    let codes = |c: &Compiled| -> Vec<(String, String)> {
        c.diagnostics
            .iter()
            .map(|d| (d.code.clone(), d.message.clone()))
            .collect()
    };
    assert_eq!(codes(&a), codes(&b), "{name}: fmt changed the diagnostics");
    match (&a.desired, &b.desired) {
        (Some(x), Some(y)) => assert_eq!(
            serde_json::to_value(render::render(x)).unwrap(),
            serde_json::to_value(render::render(y)).unwrap(),
            "{name}: fmt changed what the stack renders"
        ),
        (None, None) => {}
        _ => panic!("{name}: fmt changed whether the stack compiles"),
    }
}

#[test]
fn fmt_never_changes_what_a_fixture_or_example_means() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs = vec![];
    for parent in ["tests/fixtures", "examples"] {
        for e in std::fs::read_dir(root.join(parent)).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            }
        }
    }
    dirs.sort();
    assert!(dirs.len() > 40, "{} stacks", dirs.len());
    let mut checked = 0;
    for dir in dirs {
        let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        if files.is_empty() {
            continue;
        }
        files.sort();
        same_meaning(&dir.display().to_string(), &files, &dir);
        checked += 1;
    }
    assert!(checked > 40);
}

/// Every `E....`/`W....` code written in the sources has an explanation (`eksfed explain`).
#[test]
fn every_diagnostic_code_is_explained() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = std::collections::BTreeSet::new();
    for dir in ["compiler/src", "runtime/src", "src"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    let b = text.as_bytes();
                    for i in 0..b.len().saturating_sub(6) {
                        if b[i] == b'"'
                            && (b[i + 1] == b'E' || b[i + 1] == b'W')
                            && b[i + 2..i + 6].iter().all(u8::is_ascii_digit)
                            && b[i + 6] == b'"'
                        {
                            found.insert(text[i + 1..i + 6].to_string());
                        }
                    }
                }
            }
        }
    }
    assert!(
        found.contains("E0102") && found.contains("W0703"),
        "{found:?}"
    );
    for code in &found {
        assert!(
            eksfed_compiler::output::codes::lookup(code).is_some(),
            "{code} is printed but `eksfed explain {code}` does not know it"
        );
    }
}

/// Messages say what the endpoint did, never name the test double.
#[test]
fn no_message_names_the_test_double() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for dir in ["compiler/src", "runtime/src", "src"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    for (i, line) in std::fs::read_to_string(&p).unwrap().lines().enumerate() {
                        let code = line.trim_start();
                        if code.starts_with("//") {
                            continue;
                        }
                        assert!(
                            !code.to_lowercase().contains("moto"),
                            "{}:{}: {code}",
                            p.display(),
                            i + 1
                        );
                    }
                }
            }
        }
    }
}
