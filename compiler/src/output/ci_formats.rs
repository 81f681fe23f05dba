//! Diagnostics in the forms CI systems read: SARIF 2.1.0 for code
//! scanning, and GitHub workflow commands (`::error file=...::message`) for inline
//! annotations. Both start from the JSON form of a diagnostic (`SourceMap::to_json`, also what
//! a plan carries in `diagnostics`), so `validate` and `plan` share one writer.

use serde_json::{json, Map, Value};
use std::path::{Component, Path, PathBuf};

const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base id that result locations are relative to: the stack directory.
pub const STACK_DIR_BASE: &str = "STACK_DIR";

/// What a SARIF log needs besides the diagnostics.
pub struct SarifInput<'a> {
    /// The stack directory as given on the command line; file paths are made relative to it.
    pub stack_dir: &'a str,
    /// The stack directory as an absolute `file://` URI ending in `/`, when known (written as
    /// `originalUriBaseIds.STACK_DIR`).
    pub stack_dir_uri: Option<String>,
    pub tool_version: &'a str,
}

/// Compile-time codes (not lints): a one-line description for SARIF rules.
fn compile_code_summary(code: &str) -> &'static str {
    match code {
        "E0001" => "Syntax error",
        "E0002" => "File too large",
        "E0101" => "Unknown block",
        "E0102" => "Unknown attribute",
        "E0103" => "Missing required attribute",
        "E0104" => "Wrong type",
        "E0105" => "Duplicate definition",
        "E0106" => "Invalid block",
        "E0201" => "Undefined reference",
        "E0202" => "Wrong kind of reference",
        "E0203" => "Function error",
        "E0204" => "Invalid expression",
        "E0301" => "Variable without a value",
        "E0302" => "Invalid for_each",
        "E0303" => "Invalid variable value",
        "E0401" => "Dependency cycle",
        "E0601" => "The stack or aws block depends on resources",
        "E0701" => "Object not owned by this stack",
        "E0702" => "prevent_destroy would be violated",
        "E0801" => "Block not allowed in a module",
        "E0802" => "Unknown or missing module input",
        "E0803" => "Invalid module source",
        "E0804" => "Unknown module output",
        "W0703" => "Namespace does not exist",
        c if c.starts_with("E05") => "Semantic error",
        c if c.starts_with('E') => "Compile error",
        _ => "Warning",
    }
}

/// `(shortDescription, help)` of a code: lints from their documentation, compile codes from
/// the table above.
fn describe(code: &str) -> (String, String) {
    match crate::lints::rule(code) {
        Some(r) => (r.summary.to_string(), r.doc()),
        None => {
            let s = compile_code_summary(code);
            (
                s.to_string(),
                format!(
                    "{s} ({code}). The message names what to change; README.md lists the \
                     compile-time codes."
                ),
            )
        }
    }
}

fn normal(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// `file` relative to the stack directory (forward slashes); the path as given when it is not
/// under it.
pub fn relative_to(stack_dir: &str, file: &str) -> String {
    let f = normal(Path::new(file));
    let rel = f.strip_prefix(normal(Path::new(stack_dir))).unwrap_or(&f);
    if rel.is_absolute() {
        return rel.to_string_lossy().replace('\\', "/");
    }
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encodes what a URI reference may not hold (RFC 3986), keeping `/`.
fn uri_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An absolute directory as a `file://` URI ending in `/` (for `originalUriBaseIds`).
pub fn dir_uri(abs: &Path) -> String {
    let s = abs.to_string_lossy().replace('\\', "/");
    let s = if s.starts_with('/') {
        s
    } else {
        format!("/{s}")
    };
    let mut u = format!("file://{}", uri_path(&s));
    if !u.ends_with('/') {
        u.push('/');
    }
    u
}

fn str_field<'a>(d: &'a Value, k: &str) -> Option<&'a str> {
    d.get(k).and_then(Value::as_str)
}

fn is_error(d: &Value) -> bool {
    str_field(d, "severity") == Some("error")
}

fn is_allowed(d: &Value) -> bool {
    d.get("allowed").and_then(Value::as_bool) == Some(true)
}

/// A SARIF 2.1.0 log with one run: a rule per code used, a result per diagnostic. A
/// diagnostic silenced by `allow_lints` is kept with an in-source suppression (code scanning
/// shows it as dismissed), as SARIF records silenced findings.
pub fn sarif(diagnostics: &[Value], input: &SarifInput<'_>) -> Value {
    let mut codes: Vec<&str> = vec![];
    for d in diagnostics {
        if let Some(c) = str_field(d, "code") {
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
    }
    let rules: Vec<Value> = codes
        .iter()
        .map(|code| {
            let (short, help) = describe(code);
            let level = if diagnostics
                .iter()
                .any(|d| str_field(d, "code") == Some(code) && is_error(d))
            {
                "error"
            } else {
                "warning"
            };
            json!({
                "id": code,
                "shortDescription": { "text": short },
                "help": { "text": help.clone(), "markdown": help },
                "defaultConfiguration": { "level": level },
            })
        })
        .collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .filter_map(|d| {
            let code = str_field(d, "code")?;
            let mut message = str_field(d, "message").unwrap_or_default().to_string();
            if let Some(a) = str_field(d, "address") {
                message.push_str(&format!(" ({a})"));
            }
            // The module instance a diagnostic comes from (`note: in module.x, called at ...`).
            for n in d
                .get("notes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = n.as_str() {
                    message.push_str(&format!("\nnote: {n}"));
                }
            }
            let mut r = Map::new();
            r.insert("ruleId".into(), json!(code));
            r.insert(
                "ruleIndex".into(),
                json!(codes.iter().position(|c| *c == code).unwrap_or(0)),
            );
            r.insert(
                "level".into(),
                json!(if is_error(d) { "error" } else { "warning" }),
            );
            r.insert("message".into(), json!({ "text": message }));
            if let (Some(file), Some(line)) =
                (str_field(d, "file"), d.get("line").and_then(Value::as_u64))
            {
                let col = d.get("column").and_then(Value::as_u64).unwrap_or(1);
                r.insert(
                    "locations".into(),
                    json!([{
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": uri_path(&relative_to(input.stack_dir, file)),
                                "uriBaseId": STACK_DIR_BASE,
                            },
                            "region": { "startLine": line, "startColumn": col.max(1) },
                        }
                    }]),
                );
            }
            if is_allowed(d) {
                r.insert(
                    "suppressions".into(),
                    json!([{ "kind": "inSource", "justification": "allow_lints" }]),
                );
            }
            Some(Value::Object(r))
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "eksfed",
                "version": input.tool_version,
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(uri) = &input.stack_dir_uri {
        run["originalUriBaseIds"] = json!({ STACK_DIR_BASE: { "uri": uri } });
    }
    json!({ "$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run] })
}

/// Escapes the data of a workflow command (after `::`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (`file=`, `title=`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One GitHub workflow command per diagnostic not silenced by `allow_lints`:
/// `::error file=PATH,line=L,col=C,title=CODE::message` (`::warning` for warnings). PATH is
/// the file as diagnostics show it (relative to where eksfed ran: in a workflow, the
/// repository root).
pub fn github(diagnostics: &[Value]) -> String {
    let mut out = String::new();
    for d in diagnostics.iter().filter(|d| !is_allowed(d)) {
        let Some(code) = str_field(d, "code") else {
            continue;
        };
        let kind = if is_error(d) { "error" } else { "warning" };
        let mut props = vec![];
        if let Some(file) = str_field(d, "file") {
            props.push(format!("file={}", escape_property(file)));
            if let Some(l) = d.get("line").and_then(Value::as_u64) {
                props.push(format!("line={l}"));
            }
            if let Some(c) = d.get("column").and_then(Value::as_u64) {
                props.push(format!("col={c}"));
            }
        }
        props.push(format!("title={}", escape_property(code)));
        let message = str_field(d, "message").unwrap_or_default();
        out.push_str(&format!(
            "::{kind} {}::{}\n",
            props.join(","),
            escape_data(message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_relative_to_the_stack_dir() {
        assert_eq!(relative_to("examples/q", "examples/q/main.hcl"), "main.hcl");
        assert_eq!(
            relative_to("./examples/q/", "examples/q/a/b.hcl"),
            "a/b.hcl"
        );
        assert_eq!(relative_to(".", "main.hcl"), "main.hcl");
        assert_eq!(relative_to("/s", "/s/main.hcl"), "main.hcl");
        assert_eq!(relative_to("/s", "/t/main.hcl"), "/t/main.hcl");
    }

    #[test]
    fn github_escapes_data_and_properties() {
        let d = json!({"code": "E0203", "severity": "error", "message": "100% bad\nnext",
                       "file": "a,b:c.hcl", "line": 3, "column": 7});
        assert_eq!(
            github(&[d]),
            "::error file=a%2Cb%3Ac.hcl,line=3,col=7,title=E0203::100%25 bad%0Anext\n"
        );
    }

    #[test]
    fn dir_uri_is_a_file_uri_ending_in_a_slash() {
        assert_eq!(dir_uri(Path::new("/a b/c")), "file:///a%20b/c/");
    }
}
