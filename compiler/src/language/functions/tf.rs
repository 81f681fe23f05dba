//! The functions a Terraform user reaches for (`try`, `coalesce`, `zipmap`, `regex`,
//! `yamlencode`, ...), with Terraform's semantics: a null argument is an error unless the function is
//! about nulls (`coalesce`, `compact`, `try`, `can`); numbers convert to strings and numeric
//! strings to numbers where Terraform converts them; the errors say what Terraform says.
//!
//! The functions are the specs of [`SPECS`] (see `functions_spec.rs`); each body is a small
//! function below, the string, pattern and encoding ones in `functions_tf_text.rs`. `try`
//! and `can` see their arguments unevaluated ([`lazy`], called from `eval.rs`).

use crate::language::call::{EvalError, FnCtx, LazyEval, E_FUNC, E_REF};
use crate::language::functions::spec::{
    eager, err, lazy_spec, list, names, number, string, take, whole, Arity, FnResult, Imp, Spec,
};
use crate::language::functions::tf_text as text;
use crate::language::value::Value;
use hcl_edit::expr::FuncCall;
use indexmap::IndexMap;
use std::ops::Range;

/// The Terraform functions. The order is the order of "did you mean" ties.
pub const SPECS: &[Spec] = &[
    lazy_spec(
        "try",
        Arity::at_least(1, "at least one argument is required"),
        "the first argument that evaluates without an error",
        try_,
    ),
    lazy_spec(
        "can",
        Arity::exact(1),
        "whether the argument evaluates without an error",
        can,
    ),
    eager(
        "coalesce",
        Arity::variadic(),
        "the first argument that is not null or an empty string",
        coalesce,
    ),
    eager(
        "compact",
        Arity::exact(1),
        "a list of strings without its nulls and empty strings",
        compact,
    ),
    eager(
        "element",
        Arity::exact(2),
        "the element of a list at an index, wrapping around",
        element,
    ),
    eager(
        "index",
        Arity::exact(2),
        "the index of a value in a list",
        index,
    ),
    eager(
        "zipmap",
        Arity::exact(2),
        "a map from a list of keys and a list of values",
        zipmap,
    ),
    eager(
        "setproduct",
        Arity::at_least(2, "at least two arguments are required"),
        "every combination of one element of each set",
        setproduct,
    ),
    eager(
        "range",
        Arity::between(1, 3, "must have one, two, or three arguments, got {got}"),
        "the numbers from a start (0) up to a limit, by a step (1 or -1)",
        range,
    ),
    eager(
        "slice",
        Arity::exact(3),
        "the elements of a list from a start index to an end index (excluded)",
        slice,
    ),
    eager(
        "formatlist",
        Arity::at_least(1, "needs a format string"),
        "`format` applied to the elements of lists, element by element",
        text::formatlist,
    ),
    eager(
        "trimprefix",
        Arity::exact(2),
        "a string without a prefix",
        text::trimprefix,
    ),
    eager(
        "trimsuffix",
        Arity::exact(2),
        "a string without a suffix",
        text::trimsuffix,
    ),
    eager(
        "startswith",
        Arity::exact(2),
        "whether a string starts with a prefix",
        text::startswith,
    ),
    eager(
        "endswith",
        Arity::exact(2),
        "whether a string ends with a suffix",
        text::endswith,
    ),
    eager(
        "regex",
        Arity::exact(2),
        "the first match of a regular expression in a string",
        text::regex,
    ),
    eager(
        "regexall",
        Arity::exact(2),
        "every match of a regular expression in a string",
        text::regexall,
    ),
    eager(
        "substr",
        Arity::exact(3),
        "the characters of a string from an offset, for a length",
        text::substr,
    ),
    eager(
        "yamldecode",
        Arity::exact(1),
        "the value of a YAML text",
        text::yamldecode,
    ),
    eager(
        "yamlencode",
        Arity::exact(1),
        "a value as YAML, as Terraform writes it",
        text::yamlencode,
    ),
    eager(
        "base64encode",
        Arity::exact(1),
        "a string in Base64",
        text::base64encode,
    ),
    eager(
        "base64decode",
        Arity::exact(1),
        "the UTF-8 string a Base64 text encodes",
        text::base64decode,
    ),
    eager(
        "sha256",
        Arity::exact(1),
        "the SHA-256 of a string, in hexadecimal",
        text::sha256,
    ),
    eager(
        "abs",
        Arity::exact(1),
        "the absolute value of a number",
        abs,
    ),
    eager(
        "max",
        Arity::at_least(1, "must pass at least one number"),
        "the greatest of numbers",
        max,
    ),
    eager(
        "min",
        Arity::at_least(1, "must pass at least one number"),
        "the least of numbers",
        min,
    ),
    eager(
        "well_known_policy",
        Arity::between(
            1,
            2,
            "takes the add-on's name and, for some, a map of parameters",
        ),
        "the IAM policy document a well-known add-on needs",
        well_known_policy,
    ),
];

const NAME_ARRAY: [&str; SPECS.len()] = names(SPECS);

/// Names of the functions defined here, for dispatch and "did you mean" hints.
pub const NAMES: &[&str] = &NAME_ARRAY;

fn loose_eq(a: &Value, b: &Value) -> bool {
    a == b || (a.as_string().is_some() && a.as_string() == b.as_string())
}

/// `try(...)` and `can(...)`: the arguments are evaluated here, one at a time, after their
/// number is checked from the spec.
pub fn lazy(
    name: &str,
    f: &FuncCall,
    range: Range<usize>,
    env: &mut dyn LazyEval,
) -> Result<Value, EvalError> {
    let fail =
        |m: String, range: Range<usize>| EvalError::new(E_FUNC, format!("{name}(): {m}"), range);
    let Some(Spec {
        arity,
        imp: Imp::Lazy(body),
        ..
    }) = SPECS.iter().find(|s| s.name == name)
    else {
        return Err(fail(
            "not a function of unevaluated arguments".into(),
            range,
        ));
    };
    arity
        .check(f.args.len())
        .map_err(|m| fail(m, range.clone()))?;
    body(f, range, env)
}

/// As in Terraform, references to names that do not exist at all (an undeclared variable,
/// local value or resource; an unknown function) are errors in the stack, which `try` and
/// `can` do not catch.
fn static_error(e: &EvalError) -> bool {
    (e.code == E_REF
        && (e.message.starts_with("reference to undeclared variable")
            || e.message.starts_with("reference to undeclared local value")
            || e.message.starts_with("reference to undeclared resource")
            || e.message.starts_with("unknown name")))
        || (e.code == E_FUNC && e.message.contains("unknown function"))
}

fn try_(f: &FuncCall, range: Range<usize>, env: &mut dyn LazyEval) -> Result<Value, EvalError> {
    let mut last = None;
    for a in f.args.iter() {
        match env.eval_lazy(a) {
            Ok(v) => return Ok(v),
            Err(e) if static_error(&e) => return Err(e),
            Err(e) => last = Some(e),
        }
    }
    let e = last.unwrap_or_else(|| EvalError::new(E_FUNC, "", range));
    Err(EvalError::new(
        E_FUNC,
        format!(
            "try(): no expression succeeded; the last one failed with: {}",
            e.message
        ),
        e.range,
    ))
}

fn can(f: &FuncCall, _: Range<usize>, env: &mut dyn LazyEval) -> Result<Value, EvalError> {
    let mut ok = true;
    for a in f.args.iter() {
        match env.eval_lazy(a) {
            Ok(_) => {}
            Err(e) if static_error(&e) => return Err(e),
            Err(_) => ok = false,
        }
    }
    Ok(Value::Bool(ok))
}

fn coalesce(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    for a in args {
        match a {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => return Ok(other),
        }
    }
    Err(err("no non-null, non-empty-string arguments"))
}

fn compact(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [l] = take(args)?;
    let mut out = vec![];
    for v in list(&l, "list")? {
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

fn element(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [l, i] = take(args)?;
    let l = list(&l, "list")?;
    let i = whole(&i, "index")?;
    if l.is_empty() {
        return Err(err("cannot use element function with an empty list"));
    }
    if i < 0 {
        return Err(err("cannot use element function with a negative index"));
    }
    Ok(l[(i as usize) % l.len()].clone())
}

fn index(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [l, needle] = take(args)?;
    list(&l, "list")?
        .iter()
        .position(|v| loose_eq(v, &needle))
        .map(|i| Value::Number(i as f64))
        .ok_or_else(|| err("item not found"))
}

fn zipmap(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [keys, values] = take(args)?;
    let keys = list(&keys, "keys")?;
    let values = list(&values, "values")?;
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

fn setproduct(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let mut acc: Vec<Vec<Value>> = vec![vec![]];
    for (i, a) in args.iter().enumerate() {
        let set = list(a, &format!("sets[{i}]"))?;
        let dedup = crate::language::value::distinct(set);
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

fn range(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let params: &[&str] = if args.len() == 1 {
        &["limit"]
    } else {
        &["start", "limit", "step"]
    };
    let mut n = Vec::with_capacity(args.len());
    for (a, p) in args.iter().zip(params) {
        n.push(number(a, p)?);
    }
    let (start, end, step) = match n[..] {
        [limit] => (0.0, limit, None),
        [start, limit] => (start, limit, None),
        [start, limit, step] => (start, limit, Some(step)),
        _ => {
            return Err(err(format!(
                "must have one, two, or three arguments, got {}",
                args.len()
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

fn slice(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [l, start, end] = take(args)?;
    let l = list(&l, "list")?;
    let start = whole(&start, "start_index")?;
    let end = whole(&end, "end_index")?;
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

fn abs(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    let [n] = take(args)?;
    Ok(Value::Number(number(&n, "num")?.abs()))
}

/// `max` and `min`: the numbers folded with `pick`.
fn extreme(args: Vec<Value>, pick: fn(f64, f64) -> f64) -> FnResult {
    let mut best: Option<f64> = None;
    for (i, a) in args.iter().enumerate() {
        let n = number(a, &format!("numbers[{i}]"))?;
        best = Some(best.map_or(n, |b| pick(b, n)));
    }
    best.map(Value::Number)
        .ok_or_else(|| err("must pass at least one number"))
}

fn max(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    extreme(args, f64::max)
}

fn min(args: Vec<Value>, _: &FnCtx<'_>) -> FnResult {
    extreme(args, f64::min)
}

fn well_known_policy(mut args: Vec<Value>, env: &FnCtx<'_>) -> FnResult {
    let params = if args.len() == 2 { args.pop() } else { None };
    let [n] = take(args)?;
    let n = string(&n, "name")?;
    crate::iam::well_known::document(&n, params.as_ref(), env.partition)
}
