//! Writing HCL values: quoted strings (template sequences escaped), lists, maps, and JSON as
//! an HCL object expression for `jsonencode(...)`.

use serde_json::Value as Json;

/// A quoted HCL string: JSON-style escapes, and `${` / `%{` escaped so nothing is a template.
pub fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `["a", "b"]`, one line; one value a line when long.
pub fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| q(s)).collect();
    list_of(&quoted)
}

/// A list of already written expressions.
pub fn list_of(items: &[String]) -> String {
    let one = format!("[{}]", items.join(", "));
    if one.len() <= 80 || items.len() < 2 {
        return one;
    }
    let mut s = String::from("[\n");
    for i in items {
        s.push_str(&format!("{i},\n"));
    }
    s.push(']');
    s
}

/// `{ "k" = "v", ... }`, one entry a line (keys always quoted).
pub fn map<'a>(entries: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let mut s = String::from("{\n");
    for (k, v) in entries {
        s.push_str(&format!("{} = {}\n", q(k), q(v)));
    }
    s.push('}');
    s
}

/// A JSON value as an HCL expression (objects with quoted keys, one entry a line).
pub fn json_expr(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => q(s),
        Json::Array(a) => {
            let items: Vec<String> = a.iter().map(json_expr).collect();
            if a.iter().all(|x| !x.is_object() && !x.is_array()) {
                list_of(&items)
            } else {
                let mut s = String::from("[\n");
                for i in items {
                    s.push_str(&format!("{i},\n"));
                }
                s.push(']');
                s
            }
        }
        Json::Object(o) => {
            if o.is_empty() {
                return "{}".into();
            }
            let mut s = String::from("{\n");
            for (k, x) in o {
                s.push_str(&format!("{} = {}\n", q(k), json_expr(x)));
            }
            s.push('}');
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_templates_and_quotes() {
        assert_eq!(q("a\"b"), r#""a\"b""#);
        assert_eq!(q("${aws:username}"), r#""$${aws:username}""#);
        assert_eq!(q("%{x} $y"), r#""%%{x} $y""#);
        assert_eq!(q("{{SessionName}}"), r#""{{SessionName}}""#);
    }
}
