//! The functions of the language (DSL.md "Expressions and functions"), plus a few common
//! Terraform ones. Each takes evaluated arguments and returns a value or a message.

use crate::call::FnCtx;
use crate::value::Value;
use indexmap::IndexMap;

type FnResult = Result<Value, (String, Option<String>)>;

/// Every function name, for "did you mean" hints.
pub const NAMES: &[&str] = &[
    "file",
    "templatefile",
    "jsonencode",
    "jsondecode",
    "format",
    "lower",
    "upper",
    "replace",
    "concat",
    "merge",
    "keys",
    "values",
    "length",
    "contains",
    "toset",
    "tolist",
    "aws_managed_policy",
    "join",
    "split",
    "trimspace",
    "flatten",
    "distinct",
    "lookup",
    "tostring",
    "tomap",
    "sort",
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

fn string(v: &Value, what: &str) -> Result<String, (String, Option<String>)> {
    v.as_string()
        .ok_or_else(|| err(format!("{what} must be a string, not {}", v.type_name())))
}

fn list(v: Value, what: &str) -> Result<Vec<Value>, (String, Option<String>)> {
    match v {
        Value::List(l) => Ok(l),
        other => Err(err(format!(
            "{what} must be a list, not {}",
            other.type_name()
        ))),
    }
}

fn map(v: Value, what: &str) -> Result<IndexMap<String, Value>, (String, Option<String>)> {
    match v {
        Value::Map(m) => Ok(m),
        Value::Null => Ok(IndexMap::new()),
        other => Err(err(format!(
            "{what} must be a map or object, not {}",
            other.type_name()
        ))),
    }
}

pub fn call(name: &str, mut args: Vec<Value>, env: &FnCtx<'_>) -> FnResult {
    match name {
        "file" => {
            arity(&args, 1)?;
            let path = string(&args[0], "the path")?;
            crate::confine::read(env.files, &path).map(Value::String)
        }
        "templatefile" => {
            if args.len() != 2 {
                return Err(err("takes a path and a map of variables"));
            }
            let vars = args.pop().unwrap_or_default();
            let path = string(&args[0], "the path")?;
            let text = crate::confine::read(env.files, &path)?;
            crate::confine::render_template(env.files, &path, &text, &vars).map(Value::String)
        }
        "jsonencode" => {
            arity(&args, 1)?;
            serde_json::to_string(&args[0].to_json())
                .map(Value::String)
                .map_err(|e| err(e.to_string()))
        }
        "jsondecode" => {
            arity(&args, 1)?;
            let s = string(&args[0], "the argument")?;
            serde_json::from_str::<serde_json::Value>(&s)
                .map(|j| Value::from_json(&j))
                .map_err(|e| err(format!("invalid JSON: {e}")))
        }
        "format" => {
            if args.is_empty() {
                return Err(err("needs a format string"));
            }
            let fmt = string(&args[0], "the format")?;
            crate::printf::format(&fmt, &args[1..])
                .map(Value::String)
                .map_err(err)
        }
        "lower" | "upper" | "trimspace" | "tostring" => {
            arity(&args, 1)?;
            let s = string(&args[0], "the argument")?;
            Ok(Value::String(match name {
                "lower" => s.to_lowercase(),
                "upper" => s.to_uppercase(),
                "trimspace" => s.trim().to_string(),
                _ => s,
            }))
        }
        "replace" => {
            arity(&args, 3)?;
            let (s, from, to) = (
                string(&args[0], "the string")?,
                string(&args[1], "the search")?,
                string(&args[2], "the replacement")?,
            );
            Ok(Value::String(s.replace(&from, &to)))
        }
        "join" => {
            arity(&args, 2)?;
            let sep = string(&args[0], "the separator")?;
            let items = list(args.pop().unwrap_or_default(), "the list")?;
            let parts: Result<Vec<String>, _> =
                items.iter().map(|v| string(v, "each element")).collect();
            Ok(Value::String(parts?.join(&sep)))
        }
        "split" => {
            arity(&args, 2)?;
            let (sep, s) = (
                string(&args[0], "the separator")?,
                string(&args[1], "the string")?,
            );
            Ok(Value::List(
                s.split(&sep)
                    .map(|p| Value::String(p.to_string()))
                    .collect(),
            ))
        }
        "concat" => {
            let mut out = Vec::new();
            for a in args {
                out.extend(list(a, "each argument")?);
            }
            Ok(Value::List(out))
        }
        "flatten" => {
            arity(&args, 1)?;
            fn flat(v: Value, out: &mut Vec<Value>) {
                match v {
                    Value::List(l) => l.into_iter().for_each(|x| flat(x, out)),
                    other => out.push(other),
                }
            }
            let mut out = Vec::new();
            flat(args.pop().unwrap_or_default(), &mut out);
            Ok(Value::List(out))
        }
        "merge" => {
            let mut out = IndexMap::new();
            for a in args {
                out.extend(map(a, "each argument")?);
            }
            Ok(Value::Map(out))
        }
        "keys" | "values" | "tomap" => {
            arity(&args, 1)?;
            let m = map(args.pop().unwrap_or_default(), "the argument")?;
            Ok(match name {
                "keys" => Value::List(m.into_keys().map(Value::String).collect()),
                "values" => Value::List(m.into_values().collect()),
                _ => Value::Map(m),
            })
        }
        "lookup" => {
            if args.len() != 2 && args.len() != 3 {
                return Err(err("takes a map, a key and an optional default"));
            }
            let default = if args.len() == 3 { args.pop() } else { None };
            let key = string(&args[1], "the key")?;
            let m = map(args.swap_remove(0), "the first argument")?;
            m.get(&key)
                .cloned()
                .or(default)
                .ok_or_else(|| err(format!("no key \"{key}\" and no default")))
        }
        "length" => {
            arity(&args, 1)?;
            Ok(Value::Number(match &args[0] {
                Value::List(l) => l.len(),
                Value::Map(m) => m.len(),
                Value::String(s) => s.chars().count(),
                other => {
                    return Err(err(format!(
                        "cannot take the length of a {}",
                        other.type_name()
                    )))
                }
            } as f64))
        }
        "contains" => {
            arity(&args, 2)?;
            let needle = args.pop().unwrap_or_default();
            let hay = list(args.pop().unwrap_or_default(), "the first argument")?;
            Ok(Value::Bool(hay.iter().any(|v| {
                v == &needle || (v.as_string().is_some() && v.as_string() == needle.as_string())
            })))
        }
        "toset" | "distinct" | "tolist" | "sort" => {
            arity(&args, 1)?;
            let items = list(args.pop().unwrap_or_default(), "the argument")?;
            let mut out = if name == "tolist" {
                items
            } else {
                crate::value::distinct(items)
            };
            if name == "toset" || name == "sort" {
                out.sort_by_cached_key(|a| a.as_string());
            }
            Ok(Value::List(out))
        }
        "aws_managed_policy" => {
            arity(&args, 1)?;
            let n = string(&args[0], "the policy name")?;
            Ok(Value::String(format!(
                "arn:{}:iam::aws:policy/{}",
                env.partition,
                n.trim_start_matches('/')
            )))
        }
        _ if crate::functions_tf::NAMES.contains(&name) => {
            crate::functions_tf::call(name, args, env)
        }
        _ => Err((
            format!("unknown function `{name}`"),
            crate::call::suggest(
                name,
                NAMES.iter().chain(crate::functions_tf::NAMES).copied(),
            )
            .map(|s| format!("did you mean `{s}`?")),
        )),
    }
}

/// Renders a Jinja template with minijinja. Undefined variables are errors, so a typo in a
/// template fails at compile time instead of producing an empty string in a policy.
pub fn render_template(name: &str, text: &str, vars: &Value) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter(
        "tojson_compact",
        |v: minijinja::Value| -> Result<String, minijinja::Error> {
            serde_json::to_string(&v).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
            })
        },
    );
    env.add_template(name, text)
        .map_err(|e| format!("template {name}: {e}"))?;
    let tmpl = env.get_template(name).map_err(|e| e.to_string())?;
    tmpl.render(vars.to_json())
        .map_err(|e| format!("template {name}: {e}"))
}
