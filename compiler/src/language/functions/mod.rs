//! The functions of the language (`lower`, `upper`, `format`, `jsonencode`, `file`,
//! `templatefile`, `aws_managed_policy`, ...), plus a few common Terraform ones. Each takes evaluated arguments and returns a value or a message.
//!
//! Every function is one [`Spec`] of a table (`functions_spec.rs`), as cty's function specs
//! are: its name, its [`Arity`] and a one-line doc, and its body, a small function of its
//! own. [`SPECS`] holds the language's functions and [`tf::SPECS`] the
//! Terraform ones; [`call`] finds the spec, checks the number of arguments against its arity
//! (the only place that does) and runs the body. [`NAMES`] and the "did you mean" hint of an
//! unknown function derive from the tables.

pub mod printf;
pub mod spec;
pub mod tf;
pub mod tf_text;

use crate::language::call::FnCtx;
use crate::language::value::Value;
use indexmap::IndexMap;
use spec::{eager, err, names, take, Arity, FnResult, Imp, Spec};

/// The functions of the language. The order is the order of "did you mean" ties.
pub const SPECS: &[Spec] = &[
    eager(
        "file",
        Arity::exact(1),
        "the text of a file of the stack directory",
        file,
    ),
    eager(
        "templatefile",
        Arity::between(2, 2, "takes a path and a map of variables"),
        "a Jinja template of the stack directory rendered with a map of variables",
        templatefile,
    ),
    eager(
        "jsonencode",
        Arity::exact(1),
        "a value as compact JSON text",
        jsonencode,
    ),
    eager(
        "jsondecode",
        Arity::exact(1),
        "the value of a JSON text",
        jsondecode,
    ),
    eager(
        "format",
        Arity::at_least(1, "needs a format string"),
        "a string formatted from a format string and values, as Terraform's `format`",
        format,
    ),
    eager("lower", Arity::exact(1), "a string in lower case", lower),
    eager("upper", Arity::exact(1), "a string in upper case", upper),
    eager(
        "replace",
        Arity::exact(3),
        "a string with every occurrence of a substring replaced",
        replace,
    ),
    eager(
        "concat",
        Arity::variadic(),
        "the lists given, one after the other",
        concat,
    ),
    eager(
        "merge",
        Arity::variadic(),
        "the maps given merged, later keys winning",
        merge,
    ),
    eager("keys", Arity::exact(1), "the keys of a map, in order", keys),
    eager(
        "values",
        Arity::exact(1),
        "the values of a map, in key order",
        values,
    ),
    eager(
        "length",
        Arity::exact(1),
        "the length of a list, map or string",
        length,
    ),
    eager(
        "contains",
        Arity::exact(2),
        "whether a list holds a value",
        contains,
    ),
    eager(
        "toset",
        Arity::exact(1),
        "a list without repeats, sorted",
        toset,
    ),
    eager(
        "tolist",
        Arity::exact(1),
        "a list (or set) as a list",
        tolist,
    ),
    eager(
        "aws_managed_policy",
        Arity::exact(1),
        "the ARN of an AWS managed policy in the stack's partition",
        aws_managed_policy,
    ),
    eager(
        "join",
        Arity::exact(2),
        "the strings of a list joined by a separator",
        join,
    ),
    eager(
        "split",
        Arity::exact(2),
        "a string split at a separator",
        split,
    ),
    eager(
        "trimspace",
        Arity::exact(1),
        "a string without leading and trailing space",
        trimspace,
    ),
    eager(
        "flatten",
        Arity::exact(1),
        "nested lists as one list",
        flatten,
    ),
    eager(
        "distinct",
        Arity::exact(1),
        "a list without repeats, first ones kept",
        distinct,
    ),
    eager(
        "lookup",
        Arity::between(2, 3, "takes a map, a key and an optional default"),
        "the value of a key of a map, or a default",
        lookup,
    ),
    eager(
        "tostring",
        Arity::exact(1),
        "a string, number or bool as a string",
        tostring,
    ),
    eager("tomap", Arity::exact(1), "an object as a map", tomap),
    eager(
        "sort",
        Arity::exact(1),
        "a list without repeats, sorted as strings",
        sort,
    ),
];

const NAME_ARRAY: [&str; SPECS.len()] = names(SPECS);

/// Every function name of the language, for "did you mean" hints.
pub const NAMES: &[&str] = &NAME_ARRAY;

/// The spec of the function `name`, among the language's and Terraform's.
pub fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().chain(tf::SPECS).find(|s| s.name == name)
}

/// Every function name, the language's and Terraform's.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    NAMES.iter().chain(tf::NAMES).copied()
}

/// The error of a call to a function no table has, with the closest name.
pub fn unknown(name: &str) -> (String, Option<String>) {
    (
        format!("unknown function `{name}`"),
        crate::language::call::suggest(name, all_names()).map(|s| format!("did you mean `{s}`?")),
    )
}

/// Calls the function `name` with evaluated arguments, its arity checked from its spec.
pub fn call(name: &str, args: Vec<Value>, env: &FnCtx<'_>) -> FnResult {
    let s = spec(name).ok_or_else(|| unknown(name))?;
    s.arity.check(args.len()).map_err(err)?;
    match s.imp {
        Imp::Eager(body) => body(args, env),
        Imp::Lazy(_) => Err(err("evaluates its arguments itself")),
    }
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

fn file(args: Vec<Value>, env: &FnCtx<'_>) -> FnResult {
    let [path] = take(args)?;
    let path = string(&path, "the path")?;
    crate::language::confine::read(env.files, &path).map(Value::String)
}

fn templatefile(args: Vec<Value>, env: &FnCtx<'_>) -> FnResult {
    let [path, vars] = take(args)?;
    let path = string(&path, "the path")?;
    let text = crate::language::confine::read(env.files, &path)?;
    crate::language::confine::render_template(env.files, &path, &text, &vars).map(Value::String)
}

fn jsonencode(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [v] = take(args)?;
    serde_json::to_string(&v.to_json())
        .map(Value::String)
        .map_err(|e| err(e.to_string()))
}

fn jsondecode(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [v] = take(args)?;
    let s = string(&v, "the argument")?;
    serde_json::from_str::<serde_json::Value>(&s)
        .map(|j| Value::from_json(&j))
        .map_err(|e| err(format!("invalid JSON: {e}")))
}

fn format(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let fmt = string(&args[0], "the format")?;
    printf::format(&fmt, &args[1..])
        .map(Value::String)
        .map_err(err)
}

/// The one string argument of `lower`, `upper`, `trimspace` and `tostring`, through `f`.
fn on_string(args: Vec<Value>, f: impl FnOnce(String) -> String) -> FnResult {
    let [v] = take(args)?;
    Ok(Value::String(f(string(&v, "the argument")?)))
}

fn lower(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    on_string(args, |s| s.to_lowercase())
}

fn upper(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    on_string(args, |s| s.to_uppercase())
}

fn trimspace(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    on_string(args, |s| s.trim().to_string())
}

fn tostring(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    on_string(args, |s| s)
}

fn replace(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [s, from, to] = take(args)?;
    let (s, from, to) = (
        string(&s, "the string")?,
        string(&from, "the search")?,
        string(&to, "the replacement")?,
    );
    Ok(Value::String(s.replace(&from, &to)))
}

fn join(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [sep, items] = take(args)?;
    let sep = string(&sep, "the separator")?;
    let items = list(items, "the list")?;
    let parts: Result<Vec<String>, _> = items.iter().map(|v| string(v, "each element")).collect();
    Ok(Value::String(parts?.join(&sep)))
}

fn split(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [sep, s] = take(args)?;
    let (sep, s) = (string(&sep, "the separator")?, string(&s, "the string")?);
    Ok(Value::List(
        s.split(&sep)
            .map(|p| Value::String(p.to_string()))
            .collect(),
    ))
}

fn concat(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let mut out = Vec::new();
    for a in args {
        out.extend(list(a, "each argument")?);
    }
    Ok(Value::List(out))
}

fn flatten(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    fn flat(v: Value, out: &mut Vec<Value>) {
        match v {
            Value::List(l) => l.into_iter().for_each(|x| flat(x, out)),
            other => out.push(other),
        }
    }
    let [v] = take(args)?;
    let mut out = Vec::new();
    flat(v, &mut out);
    Ok(Value::List(out))
}

fn merge(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let mut out = IndexMap::new();
    for a in args {
        out.extend(map(a, "each argument")?);
    }
    Ok(Value::Map(out))
}

/// The one map argument of `keys`, `values` and `tomap`.
fn one_map(args: Vec<Value>) -> Result<IndexMap<String, Value>, (String, Option<String>)> {
    let [v] = take(args)?;
    map(v, "the argument")
}

fn keys(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    Ok(Value::List(
        one_map(args)?.into_keys().map(Value::String).collect(),
    ))
}

fn values(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    Ok(Value::List(one_map(args)?.into_values().collect()))
}

fn tomap(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    Ok(Value::Map(one_map(args)?))
}

fn lookup(mut args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let default = if args.len() == 3 { args.pop() } else { None };
    let [m, key] = take(args)?;
    let key = string(&key, "the key")?;
    let m = map(m, "the first argument")?;
    m.get(&key)
        .cloned()
        .or(default)
        .ok_or_else(|| err(format!("no key \"{key}\" and no default")))
}

fn length(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [v] = take(args)?;
    Ok(Value::Number(match &v {
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

fn contains(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [hay, needle] = take(args)?;
    let hay = list(hay, "the first argument")?;
    Ok(Value::Bool(hay.iter().any(|v| {
        v == &needle || (v.as_string().is_some() && v.as_string() == needle.as_string())
    })))
}

/// The one list argument of `toset`, `distinct`, `tolist` and `sort`.
fn one_list(args: Vec<Value>) -> Result<Vec<Value>, (String, Option<String>)> {
    let [v] = take(args)?;
    list(v, "the argument")
}

/// Sorted as `toset` and `sort` sort: by string form.
fn sorted(mut items: Vec<Value>) -> Value {
    items.sort_by_cached_key(|a| a.as_string());
    Value::List(items)
}

fn toset(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    Ok(sorted(crate::language::value::distinct(one_list(args)?)))
}

fn sort(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    Ok(sorted(crate::language::value::distinct(one_list(args)?)))
}

fn distinct(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    Ok(Value::List(crate::language::value::distinct(one_list(
        args,
    )?)))
}

fn tolist(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    Ok(Value::List(one_list(args)?))
}

fn aws_managed_policy(args: Vec<Value>, env: &FnCtx<'_>) -> FnResult {
    let [n] = take(args)?;
    let n = string(&n, "the policy name")?;
    Ok(Value::String(format!(
        "arn:{}:iam::aws:policy/{}",
        env.partition,
        n.trim_start_matches('/')
    )))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_spec_has_a_one_line_doc() {
        let all: Vec<&str> = all_names().collect();
        let mut seen = std::collections::HashSet::new();
        for n in &all {
            assert!(seen.insert(*n), "{n} is defined twice");
        }
        for s in SPECS.iter().chain(tf::SPECS) {
            assert!(!s.doc.is_empty() && !s.doc.contains('\n'), "{}", s.name);
            assert!(s.arity.max.is_none_or(|m| m >= s.arity.min), "{}", s.name);
        }
        assert_eq!(NAMES.len(), SPECS.len());
        assert_eq!(tf::NAMES.len(), tf::SPECS.len());
    }

    #[test]
    fn arity_messages() {
        assert_eq!(
            Arity::exact(1).check(2),
            Err("takes 1 argument(s), got 2".into())
        );
        assert_eq!(Arity::variadic().check(0), Ok(()));
        let range = Arity::between(1, 3, "must have one, two, or three arguments, got {got}");
        assert_eq!(
            range.check(4),
            Err("must have one, two, or three arguments, got 4".into())
        );
        assert_eq!(range.check(3), Ok(()));
        assert_eq!(
            Arity::at_least(1, "needs one").check(0),
            Err("needs one".into())
        );
    }

    #[test]
    fn unknown_function_suggests_from_both_tables() {
        let (msg, help) = unknown("startwith");
        assert_eq!(msg, "unknown function `startwith`");
        assert_eq!(help.as_deref(), Some("did you mean `startswith`?"));
        let (_, help) = unknown("jsonencod");
        assert_eq!(help.as_deref(), Some("did you mean `jsonencode`?"));
    }
}
