//! The functions a Terraform user reaches for (DSL.md "What Terraform and eksctl users
//! write"), with Terraform's semantics: a null argument is an error unless the function is
//! about nulls (`coalesce`, `compact`, `try`, `can`); numbers convert to strings and numeric
//! strings to numbers where Terraform converts them; the errors say what Terraform says.
//!
//! `try` and `can` see their arguments unevaluated ([`lazy`], called from `eval.rs`).

use crate::call::{span_of, EvalError, FnCtx, LazyEval, E_FUNC, E_REF};
use crate::value::Value;
use indexmap::IndexMap;
use std::ops::Range;

type FnResult = Result<Value, (String, Option<String>)>;

/// Names of the functions defined here, for dispatch and "did you mean" hints.
pub const NAMES: &[&str] = &[
    "try",
    "can",
    "coalesce",
    "compact",
    "element",
    "index",
    "zipmap",
    "setproduct",
    "range",
    "slice",
    "formatlist",
    "trimprefix",
    "trimsuffix",
    "startswith",
    "endswith",
    "regex",
    "regexall",
    "substr",
    "yamldecode",
    "yamlencode",
    "base64encode",
    "base64decode",
    "sha256",
    "abs",
    "max",
    "min",
    "well_known_policy",
];

fn err(msg: impl Into<String>) -> (String, Option<String>) {
    (msg.into(), None)
}

fn arity(args: &[Value], n: usize) -> Result<(), (String, Option<String>)> {
    if args.len() != n {
        return Err(err(format!("takes {n} argument(s), got {}", args.len())));
    }
    Ok(())
}

fn not_null<'v>(v: &'v Value, param: &str) -> Result<&'v Value, (String, Option<String>)> {
    if matches!(v, Value::Null) {
        return Err(err(format!(
            "invalid value for \"{param}\": argument must not be null"
        )));
    }
    Ok(v)
}

fn string(v: &Value, param: &str) -> Result<String, (String, Option<String>)> {
    not_null(v, param)?.as_string().ok_or_else(|| {
        err(format!(
            "invalid value for \"{param}\": string required, got {}",
            v.type_name()
        ))
    })
}

fn number(v: &Value, param: &str) -> Result<f64, (String, Option<String>)> {
    match not_null(v, param)? {
        Value::Number(n) => Ok(*n),
        Value::String(s) => s.trim().parse().map_err(|_| {
            err(format!(
                "invalid value for \"{param}\": a number is required, got \"{s}\""
            ))
        }),
        other => Err(err(format!(
            "invalid value for \"{param}\": number required, got {}",
            other.type_name()
        ))),
    }
}

fn whole(v: &Value, param: &str) -> Result<i64, (String, Option<String>)> {
    let n = number(v, param)?;
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(err(format!(
            "invalid value for \"{param}\": value must be a whole number"
        )));
    }
    Ok(n as i64)
}

fn list(v: &Value, param: &str) -> Result<Vec<Value>, (String, Option<String>)> {
    match not_null(v, param)? {
        Value::List(l) => Ok(l.clone()),
        other => Err(err(format!(
            "invalid value for \"{param}\": list required, got {}",
            other.type_name()
        ))),
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    a == b || (a.as_string().is_some() && a.as_string() == b.as_string())
}

/// `try(...)` and `can(...)`: the arguments are evaluated here, one at a time. As in
/// Terraform, references to names that do not exist at all (an undeclared variable, local
/// value or resource; an unknown function) are errors in the stack and are not caught.
pub fn lazy(
    name: &str,
    f: &hcl_edit::expr::FuncCall,
    range: Range<usize>,
    env: &mut dyn LazyEval,
) -> Result<Value, EvalError> {
    let args: Vec<&hcl_edit::expr::Expression> = f.args.iter().collect();
    let static_error = |e: &EvalError| {
        (e.code == E_REF
            && (e.message.starts_with("reference to undeclared variable")
                || e.message.starts_with("reference to undeclared local value")
                || e.message.starts_with("reference to undeclared resource")
                || e.message.starts_with("unknown name")))
            || (e.code == E_FUNC && e.message.contains("unknown function"))
    };
    if name == "can" {
        if args.len() != 1 {
            return Err(EvalError::new(
                E_FUNC,
                format!("can(): takes 1 argument(s), got {}", args.len()),
                range,
            ));
        }
        return match env.eval_lazy(args[0]) {
            Ok(_) => Ok(Value::Bool(true)),
            Err(e) if static_error(&e) => Err(e),
            Err(_) => Ok(Value::Bool(false)),
        };
    }
    if args.is_empty() {
        return Err(EvalError::new(
            E_FUNC,
            "try(): at least one argument is required",
            range,
        ));
    }
    let mut last = None;
    for a in args {
        match env.eval_lazy(a) {
            Ok(v) => return Ok(v),
            Err(e) if static_error(&e) => return Err(e),
            Err(e) => last = Some((e, span_of(a))),
        }
    }
    let (e, _) = last.unwrap_or_else(|| (EvalError::new(E_FUNC, "", range.clone()), 0..0));
    Err(EvalError::new(
        E_FUNC,
        format!(
            "try(): no expression succeeded; the last one failed with: {}",
            e.message
        ),
        e.range,
    ))
}

pub fn call(name: &str, mut args: Vec<Value>, env: &FnCtx<'_>) -> FnResult {
    match name {
        "coalesce" => {
            for a in &args {
                match a {
                    Value::Null => {}
                    Value::String(s) if s.is_empty() => {}
                    other => return Ok(other.clone()),
                }
            }
            Err(err("no non-null, non-empty-string arguments"))
        }
        "compact" => {
            arity(&args, 1)?;
            let mut out = vec![];
            for v in list(&args[0], "list")? {
                match v {
                    Value::Null => {}
                    v => {
                        let s = string(&v, "list")?;
                        if !s.is_empty() {
                            out.push(Value::String(s));
                        }
                    }
                }
            }
            Ok(Value::List(out))
        }
        "element" => {
            arity(&args, 2)?;
            let l = list(&args[0], "list")?;
            let i = whole(&args[1], "index")?;
            if l.is_empty() {
                return Err(err("cannot use element function with an empty list"));
            }
            if i < 0 {
                return Err(err("cannot use element function with a negative index"));
            }
            Ok(l[(i as usize) % l.len()].clone())
        }
        "index" => {
            arity(&args, 2)?;
            let l = list(&args[0], "list")?;
            let needle = &args[1];
            l.iter()
                .position(|v| loose_eq(v, needle))
                .map(|i| Value::Number(i as f64))
                .ok_or_else(|| err("item not found"))
        }
        "zipmap" => {
            arity(&args, 2)?;
            let keys = list(&args[0], "keys")?;
            let values = list(&args[1], "values")?;
            if keys.len() != values.len() {
                return Err(err(format!(
                    "number of keys ({}) does not match number of values ({})",
                    keys.len(),
                    values.len()
                )));
            }
            let mut m = IndexMap::new();
            for (k, v) in keys.iter().zip(values) {
                m.insert(string(k, "keys")?, v);
            }
            Ok(Value::Map(m))
        }
        "setproduct" => {
            if args.len() < 2 {
                return Err(err("at least two arguments are required"));
            }
            let mut acc: Vec<Vec<Value>> = vec![vec![]];
            for (i, a) in args.iter().enumerate() {
                let set = list(a, &format!("sets[{i}]"))?;
                let dedup = crate::value::distinct(set);
                let mut next = Vec::with_capacity(acc.len() * dedup.len());
                for prefix in &acc {
                    for v in &dedup {
                        let mut p = prefix.clone();
                        p.push(v.clone());
                        next.push(p);
                    }
                }
                acc = next;
            }
            Ok(Value::List(acc.into_iter().map(Value::List).collect()))
        }
        "range" => {
            let (start, end, step) = match args.len() {
                1 => (0.0, number(&args[0], "limit")?, None),
                2 => (number(&args[0], "start")?, number(&args[1], "limit")?, None),
                3 => (
                    number(&args[0], "start")?,
                    number(&args[1], "limit")?,
                    Some(number(&args[2], "step")?),
                ),
                n => {
                    return Err(err(format!(
                        "must have one, two, or three arguments, got {n}"
                    )))
                }
            };
            let step = step.unwrap_or(if start > end { -1.0 } else { 1.0 });
            if step == 0.0 {
                return Err(err("step must not be zero"));
            }
            let mut out = vec![];
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                if out.len() == 1024 {
                    return Err(err("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step"));
                }
                out.push(Value::Number(x));
                x += step;
            }
            Ok(Value::List(out))
        }
        "slice" => {
            arity(&args, 3)?;
            let l = list(&args[0], "list")?;
            let start = whole(&args[1], "start_index")?;
            let end = whole(&args[2], "end_index")?;
            if start < 0 {
                return Err(err("start index must not be less than zero"));
            }
            if end > l.len() as i64 {
                return Err(err(
                    "end index must not be greater than the length of the list",
                ));
            }
            if start > end {
                return Err(err("start index must not be greater than end index"));
            }
            Ok(Value::List(l[start as usize..end as usize].to_vec()))
        }
        "formatlist" => {
            if args.is_empty() {
                return Err(err("needs a format string"));
            }
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
                    crate::printf::format(&fmt, &row).map_err(err)?,
                ));
            }
            Ok(Value::List(out))
        }
        "trimprefix" | "trimsuffix" | "startswith" | "endswith" => {
            arity(&args, 2)?;
            let s = string(&args[0], "str")?;
            let param = if name.ends_with("prefix") || name == "startswith" {
                "prefix"
            } else {
                "suffix"
            };
            let p = string(&args[1], param)?;
            Ok(match name {
                "trimprefix" => Value::String(s.strip_prefix(&p).unwrap_or(&s).to_string()),
                "trimsuffix" => Value::String(s.strip_suffix(&p).unwrap_or(&s).to_string()),
                "startswith" => Value::Bool(s.starts_with(&p)),
                _ => Value::Bool(s.ends_with(&p)),
            })
        }
        "regex" | "regexall" => {
            arity(&args, 2)?;
            let pattern = string(&args[0], "pattern")?;
            let s = string(&args[1], "string")?;
            let re = regex::Regex::new(&pattern)
                .map_err(|e| err(format!("invalid regular expression pattern: {e}")))?;
            let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
            let named = names.iter().filter(|n| n.is_some()).count();
            if named > 0 && named != names.len() {
                return Err(err(
                    "invalid regular expression pattern: can't mix both named and unnamed capture groups",
                ));
            }
            let one = |c: regex::Captures<'_>| -> Value {
                let get = |i: usize| {
                    c.get(i)
                        .map(|m| Value::String(m.as_str().to_string()))
                        .unwrap_or(Value::Null)
                };
                if names.is_empty() {
                    get(0)
                } else if named > 0 {
                    Value::Map(
                        names
                            .iter()
                            .enumerate()
                            .map(|(i, n)| (n.unwrap_or_default().to_string(), get(i + 1)))
                            .collect(),
                    )
                } else {
                    Value::List((1..=names.len()).map(get).collect())
                }
            };
            if name == "regex" {
                re.captures(&s)
                    .map(one)
                    .ok_or_else(|| err("pattern did not match any part of the given string"))
            } else {
                Ok(Value::List(re.captures_iter(&s).map(one).collect()))
            }
        }
        "substr" => {
            arity(&args, 3)?;
            let s: Vec<char> = string(&args[0], "str")?.chars().collect();
            let mut offset = whole(&args[1], "offset")?;
            let length = whole(&args[2], "length")?;
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
        "yamldecode" => {
            arity(&args, 1)?;
            let s = string(&args[0], "src")?;
            let y: serde_yaml::Value =
                serde_yaml::from_str(&s).map_err(|e| err(format!("invalid YAML: {e}")))?;
            let j = serde_json::to_value(&y).map_err(|e| err(format!("unsupported YAML: {e}")))?;
            Ok(Value::from_json(&j))
        }
        "yamlencode" => {
            arity(&args, 1)?;
            let mut out = String::new();
            yaml(&args[0].to_json(), 0, &mut out);
            Ok(Value::String(out))
        }
        "base64encode" => {
            use base64::Engine as _;
            arity(&args, 1)?;
            let s = string(&args[0], "str")?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            ))
        }
        "base64decode" => {
            use base64::Engine as _;
            arity(&args, 1)?;
            let s = string(&args[0], "str")?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|e| err(format!("failed to decode base64 data \"{s}\": {e}")))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| err("the result of decoding the provided string is not valid UTF-8"))
        }
        "sha256" => {
            use sha2::Digest as _;
            arity(&args, 1)?;
            let s = string(&args[0], "str")?;
            let d = sha2::Sha256::digest(s.as_bytes());
            Ok(Value::String(
                d.iter().map(|b| format!("{b:02x}")).collect(),
            ))
        }
        "abs" => {
            arity(&args, 1)?;
            Ok(Value::Number(number(&args[0], "num")?.abs()))
        }
        "max" | "min" => {
            if args.is_empty() {
                return Err(err("must pass at least one number"));
            }
            let mut best: Option<f64> = None;
            for (i, a) in args.iter().enumerate() {
                let n = number(a, &format!("numbers[{i}]"))?;
                best = Some(match best {
                    None => n,
                    Some(b) if name == "max" => b.max(n),
                    Some(b) => b.min(n),
                });
            }
            Ok(Value::Number(best.unwrap_or_default()))
        }
        "well_known_policy" => {
            if args.is_empty() || args.len() > 2 {
                return Err(err(
                    "takes the add-on's name and, for some, a map of parameters",
                ));
            }
            let params = if args.len() == 2 { args.pop() } else { None };
            let n = string(&args[0], "name")?;
            crate::well_known::document(&n, params.as_ref(), env.partition)
        }
        _ => Err(err(format!("unknown function `{name}`"))),
    }
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
