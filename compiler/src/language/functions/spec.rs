//! What a function of the language is (issue 25): a [`Spec`] of a table, as cty's function
//! specs are, with its name, its [`Arity`], a one-line doc and its body; and the argument
//! checks the bodies share. `functions.rs` holds the language's table and calls functions,
//! `functions_tf.rs` and `functions_tf_text.rs` the Terraform ones; this module imports
//! neither, so that neither imports the other.

use crate::language::call::{EvalError, FnCtx, LazyEval};
use crate::language::value::Value;
use hcl_edit::expr::FuncCall;
use std::ops::Range;

/// A function's result: its value, or a message and an optional help line.
pub type FnResult = Result<Value, (String, Option<String>)>;

/// The body of a function that takes evaluated arguments (checked against its arity).
pub type Body = fn(Vec<Value>, &FnCtx<'_>) -> FnResult;

/// The body of a function that evaluates its arguments itself (`try`, `can`): the call, its
/// range, and the caller's evaluator.
pub type LazyBody = fn(&FuncCall, Range<usize>, &mut dyn LazyEval) -> Result<Value, EvalError>;

/// How a function is run.
#[derive(Clone, Copy)]
pub enum Imp {
    Eager(Body),
    Lazy(LazyBody),
}

/// How many arguments a function takes: `min..=max` (`max` None: variadic), and the message
/// when a call has another number. Without a message: "takes N argument(s), got M".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    pub min: usize,
    pub max: Option<usize>,
    /// The message of a wrong count; `{got}` stands for the number given.
    pub message: Option<&'static str>,
}

impl Arity {
    /// Exactly `n` arguments.
    pub const fn exact(n: usize) -> Arity {
        Arity {
            min: n,
            max: Some(n),
            message: None,
        }
    }
    /// Any number of arguments, none included.
    pub const fn variadic() -> Arity {
        Arity {
            min: 0,
            max: None,
            message: None,
        }
    }
    /// `min` or more arguments; `message` otherwise.
    pub const fn at_least(min: usize, message: &'static str) -> Arity {
        Arity {
            min,
            max: None,
            message: Some(message),
        }
    }
    /// From `min` to `max` arguments; `message` otherwise.
    pub const fn between(min: usize, max: usize, message: &'static str) -> Arity {
        Arity {
            min,
            max: Some(max),
            message: Some(message),
        }
    }

    pub fn accepts(&self, got: usize) -> bool {
        got >= self.min && self.max.is_none_or(|m| got <= m)
    }

    /// Ok, or the message of a call with `got` arguments.
    pub fn check(&self, got: usize) -> Result<(), String> {
        if self.accepts(got) {
            return Ok(());
        }
        Err(match (self.message, self.max) {
            (Some(m), _) => m.replace("{got}", &got.to_string()),
            (None, Some(max)) if max == self.min => {
                format!("takes {max} argument(s), got {got}")
            }
            (None, Some(max)) => format!("takes {} to {max} arguments, got {got}", self.min),
            (None, None) => format!("takes at least {} argument(s), got {got}", self.min),
        })
    }
}

/// One function: name, arity, a one-line doc, and its body.
#[derive(Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub arity: Arity,
    pub doc: &'static str,
    pub imp: Imp,
}

/// A function taking evaluated arguments.
pub const fn eager(name: &'static str, arity: Arity, doc: &'static str, body: Body) -> Spec {
    Spec {
        name,
        arity,
        doc,
        imp: Imp::Eager(body),
    }
}

/// The names of `specs`, in order: how each table's `NAMES` derives from it.
pub const fn names<const N: usize>(specs: &[Spec]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = specs[i].name;
        i += 1;
    }
    out
}

/// A function that evaluates its arguments itself.
pub const fn lazy_spec(
    name: &'static str,
    arity: Arity,
    doc: &'static str,
    body: LazyBody,
) -> Spec {
    Spec {
        name,
        arity,
        doc,
        imp: Imp::Lazy(body),
    }
}

pub(crate) fn err(msg: impl Into<String>) -> (String, Option<String>) {
    (msg.into(), None)
}

/// The arguments of a call as an array (their number is checked from the arity first).
pub(crate) fn take<const N: usize>(
    args: Vec<Value>,
) -> Result<[Value; N], (String, Option<String>)> {
    let got = args.len();
    args.try_into()
        .map_err(|_| err(format!("takes {N} argument(s), got {got}")))
}

// --- Terraform's argument checks: null is an error, the messages are Terraform's ---------

pub(crate) fn not_null<'v>(
    v: &'v Value,
    param: &str,
) -> Result<&'v Value, (String, Option<String>)> {
    if matches!(v, Value::Null) {
        return Err(err(format!(
            "invalid value for \"{param}\": argument must not be null"
        )));
    }
    Ok(v)
}

pub(crate) fn string(v: &Value, param: &str) -> Result<String, (String, Option<String>)> {
    not_null(v, param)?.as_string().ok_or_else(|| {
        err(format!(
            "invalid value for \"{param}\": string required, got {}",
            v.type_name()
        ))
    })
}

pub(crate) fn number(v: &Value, param: &str) -> Result<f64, (String, Option<String>)> {
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

pub(crate) fn whole(v: &Value, param: &str) -> Result<i64, (String, Option<String>)> {
    let n = number(v, param)?;
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(err(format!(
            "invalid value for \"{param}\": value must be a whole number"
        )));
    }
    Ok(n as i64)
}

pub(crate) fn list(v: &Value, param: &str) -> Result<Vec<Value>, (String, Option<String>)> {
    match not_null(v, param)? {
        Value::List(l) => Ok(l.clone()),
        other => Err(err(format!(
            "invalid value for \"{param}\": list required, got {}",
            other.type_name()
        ))),
    }
}
