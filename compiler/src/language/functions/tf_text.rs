//! The string, pattern and encoding functions of [`crate::language::functions::tf::SPECS`]:
//! `formatlist`, the prefix and suffix ones, `regex`, `regexall`, `substr`, YAML, Base64 and
//! SHA-256.

use crate::language::call::FnCtx;
use crate::language::functions::spec::{err, string, take, whole, FnResult};
use crate::language::value::Value;

pub(crate) fn formatlist(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let fmt = string(&args[0], "format")?;
    let rest = &args[1..];
    let mut len: Option<(usize, usize)> = None;
    for (i, a) in rest.iter().enumerate() {
        match a {
            Value::Null => {
                return Err(err(format!(
                    "invalid value for \"args[{i}]\": argument must not be null"
                )))
            }
            Value::List(l) => match len {
                Some((n, j)) if n != l.len() => {
                    return Err(err(format!(
                        "argument {} has length {}, which is inconsistent with argument {} of length {n}",
                        i + 1,
                        l.len(),
                        j + 1
                    )))
                }
                Some(_) => {}
                None => len = Some((l.len(), i)),
            },
            _ => {}
        }
    }
    let n = len.map(|(n, _)| n).unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let row: Vec<Value> = rest
            .iter()
            .map(|a| match a {
                Value::List(l) => l[k].clone(),
                other => other.clone(),
            })
            .collect();
        out.push(Value::String(
            crate::language::functions::printf::format(&fmt, &row).map_err(err)?,
        ));
    }
    Ok(Value::List(out))
}

/// The string and the prefix (or suffix) of `trimprefix`, `startswith` and the suffix ones.
fn str_and(args: Vec<Value>, param: &str) -> Result<(String, String), (String, Option<String>)> {
    let [s, p] = take(args)?;
    Ok((string(&s, "str")?, string(&p, param)?))
}

pub(crate) fn trimprefix(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let (s, p) = str_and(args, "prefix")?;
    Ok(Value::String(s.strip_prefix(&p).unwrap_or(&s).to_string()))
}

pub(crate) fn trimsuffix(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let (s, p) = str_and(args, "suffix")?;
    Ok(Value::String(s.strip_suffix(&p).unwrap_or(&s).to_string()))
}

pub(crate) fn startswith(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let (s, p) = str_and(args, "prefix")?;
    Ok(Value::Bool(s.starts_with(&p)))
}

pub(crate) fn endswith(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let (s, p) = str_and(args, "suffix")?;
    Ok(Value::Bool(s.ends_with(&p)))
}

/// A compiled pattern of `regex`/`regexall` and what one match of it evaluates to: the
/// match without capture groups, a map with named groups, a list with unnamed ones.
struct Pattern {
    re: regex::Regex,
    names: Vec<Option<String>>,
    named: usize,
}

impl Pattern {
    fn new(args: Vec<Value>) -> Result<(Pattern, String), (String, Option<String>)> {
        let [pattern, s] = take(args)?;
        let pattern = string(&pattern, "pattern")?;
        let s = string(&s, "string")?;
        let re = regex::Regex::new(&pattern)
            .map_err(|e| err(format!("invalid regular expression pattern: {e}")))?;
        let names: Vec<Option<String>> = re
            .capture_names()
            .skip(1)
            .map(|n| n.map(str::to_string))
            .collect();
        let named = names.iter().filter(|n| n.is_some()).count();
        if named > 0 && named != names.len() {
            return Err(err(
                "invalid regular expression pattern: can't mix both named and unnamed capture groups",
            ));
        }
        Ok((Pattern { re, names, named }, s))
    }

    fn value(&self, c: regex::Captures<'_>) -> Value {
        let get = |i: usize| {
            c.get(i)
                .map(|m| Value::String(m.as_str().to_string()))
                .unwrap_or(Value::Null)
        };
        if self.names.is_empty() {
            get(0)
        } else if self.named > 0 {
            Value::Map(
                self.names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone().unwrap_or_default(), get(i + 1)))
                    .collect(),
            )
        } else {
            Value::List((1..=self.names.len()).map(get).collect())
        }
    }
}

pub(crate) fn regex(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let (p, s) = Pattern::new(args)?;
    p.re.captures(&s)
        .map(|c| p.value(c))
        .ok_or_else(|| err("pattern did not match any part of the given string"))
}

pub(crate) fn regexall(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let (p, s) = Pattern::new(args)?;
    Ok(Value::List(
        p.re.captures_iter(&s).map(|c| p.value(c)).collect(),
    ))
}

pub(crate) fn substr(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [s, offset, length] = take(args)?;
    let s: Vec<char> = string(&s, "str")?.chars().collect();
    let mut offset = whole(&offset, "offset")?;
    let length = whole(&length, "length")?;
    if offset < 0 {
        offset += s.len() as i64;
        if offset < 0 {
            return Err(err("offset must not point before the start of the string"));
        }
    }
    let start = (offset as usize).min(s.len());
    let end = if length < 0 {
        s.len()
    } else {
        (start + length as usize).min(s.len())
    };
    Ok(Value::String(s[start..end].iter().collect()))
}

pub(crate) fn yamldecode(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [src] = take(args)?;
    let s = string(&src, "src")?;
    let y: serde_yaml::Value =
        serde_yaml::from_str(&s).map_err(|e| err(format!("invalid YAML: {e}")))?;
    let j = serde_json::to_value(&y).map_err(|e| err(format!("unsupported YAML: {e}")))?;
    Ok(Value::from_json(&j))
}

pub(crate) fn yamlencode(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [v] = take(args)?;
    let mut out = String::new();
    yaml(&v.to_json(), 0, &mut out);
    Ok(Value::String(out))
}

pub(crate) fn base64encode(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    use base64::Engine as _;
    let [s] = take(args)?;
    let s = string(&s, "str")?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
    ))
}

pub(crate) fn base64decode(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    use base64::Engine as _;
    let [s] = take(args)?;
    let s = string(&s, "str")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|e| err(format!("failed to decode base64 data \"{s}\": {e}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| err("the result of decoding the provided string is not valid UTF-8"))
}

pub(crate) fn sha256(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    use sha2::Digest as _;
    let [s] = take(args)?;
    let s = string(&s, "str")?;
    let d = sha2::Sha256::digest(s.as_bytes());
    Ok(Value::String(
        d.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}
/// YAML as Terraform's `yamlencode` writes it: keys and strings double-quoted, keys sorted,
/// block style, two-space indentation for nested mappings.
fn yaml(v: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value as J;
    let pad = " ".repeat(indent);
    match v {
        J::Object(m) if !m.is_empty() => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 || !out.ends_with("- ") {
                    out.push_str(&pad);
                }
                out.push_str(&J::String(k.clone()).to_string());
                out.push(':');
                match &m[k] {
                    J::Object(c) if !c.is_empty() => {
                        out.push('\n');
                        yaml(&m[k], indent + 2, out);
                    }
                    J::Array(c) if !c.is_empty() => {
                        out.push('\n');
                        yaml(&m[k], indent, out);
                    }
                    other => {
                        out.push(' ');
                        yaml(other, indent, out);
                    }
                }
            }
        }
        J::Array(l) if !l.is_empty() => {
            for x in l {
                out.push_str(&pad);
                out.push_str("- ");
                match x {
                    J::Object(c) if !c.is_empty() => yaml(x, indent + 2, out),
                    J::Array(c) if !c.is_empty() => {
                        out.push('\n');
                        yaml(x, indent + 2, out)
                    }
                    other => yaml(other, indent, out),
                }
            }
        }
        J::Object(_) => out.push_str("{}\n"),
        J::Array(_) => out.push_str("[]\n"),
        J::String(s) => {
            out.push_str(&J::String(s.clone()).to_string());
            out.push('\n');
        }
        J::Null => out.push_str("null\n"),
        other => {
            out.push_str(&other.to_string());
            out.push('\n');
        }
    }
}
