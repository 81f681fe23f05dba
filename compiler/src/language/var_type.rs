//! The `type` of a `variable` block, as Terraform's type constraints: parsed once from the
//! type expression into a [`VarType`], then every value of the variable (its default, a
//! `--var`, a `--var-file`, `EKSFED_VAR_name`) is converted to it ([`VarType::convert`]) as
//! Terraform converts: a number given as a string `"5"` is the number 5 for `number`, a set
//! has no repeats, an absent `optional` attribute of an object is its default or null, and an
//! attribute the object type does not declare is an error.
//!
//! A type expression is an HCL expression: `string` is a variable, `list(string)` a function
//! call, `object({ name = string })` a call with an object argument. What does not conform is
//! a [`Mismatch`] naming the path inside the value (`var.apps["api"].actions[1]`);
//! [`value_span`] and [`type_span`] find that path in a literal value and in the type
//! expression, for the diagnostic's position.

use crate::language::call::{span_of, suggest, EvalError};
use crate::language::value::Value;
use hcl_edit::expr::{Expression, FuncCall, Object, ObjectKey};
use indexmap::IndexMap;
use std::ops::Range;

/// A type constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum VarType {
    String,
    Number,
    Bool,
    Any,
    List(Box<VarType>),
    Set(Box<VarType>),
    Map(Box<VarType>),
    Tuple(Vec<VarType>),
    Object(Vec<Attribute>),
}

/// One attribute of an `object({...})` type.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: VarType,
    /// `optional(T)` or `optional(T, default)`: the attribute may be absent or null.
    pub optional: bool,
    /// The default of `optional(T, default)`, converted to `T`: what an absent or null
    /// attribute is.
    pub default: Option<Value>,
}

/// A type expression that is not one: its message, where, and a help line.
#[derive(Debug, Clone)]
pub struct TypeError {
    /// [`crate::language::evblock::E_TYPE`] for a malformed type; [`crate::desired::compile::E_VAR_VALUE`] for an
    /// `optional` default that does not have the attribute's type.
    pub code: &'static str,
    pub message: String,
    pub range: Range<usize>,
    pub help: Option<String>,
}

impl TypeError {
    fn new(message: impl Into<String>, range: Range<usize>) -> Self {
        TypeError {
            code: crate::language::evblock::E_TYPE,
            message: message.into(),
            range,
            help: Some(TYPES.to_string()),
        }
    }
    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

const TYPES: &str = "a type is string, number, bool, any, list(T), set(T), map(T), \
                     tuple([T, ...]) or object({ name = T, ... })";
const KEYWORDS: &[&str] = &["string", "number", "bool", "any"];
const CONSTRUCTORS: &[&str] = &["list", "set", "map", "tuple", "object"];

/// Evaluates the default of an `optional(T, default)` (a constant expression).
pub type ConstEval<'a> = dyn FnMut(&Expression) -> Result<Value, EvalError> + 'a;

/// Parses a type expression.
pub fn parse(e: &Expression, eval: &mut ConstEval<'_>) -> Result<VarType, TypeError> {
    let range = span_of(e);
    match e {
        Expression::Variable(v) => keyword(v.value().as_str(), range),
        Expression::FuncCall(f) => constructor(f, range, eval),
        Expression::String(s) => {
            let s = s.value().as_str();
            let e = TypeError::new("a type is written without quotes", range);
            Err(match s {
                "list" | "map" => e.help(format!("write `type = {s}(string)`")),
                _ if KEYWORDS.contains(&s) => e.help(format!("write `type = {s}`")),
                _ => e,
            })
        }
        _ => Err(TypeError::new("not a type", range)),
    }
}

fn keyword(k: &str, range: Range<usize>) -> Result<VarType, TypeError> {
    match k {
        "string" => Ok(VarType::String),
        "number" => Ok(VarType::Number),
        "bool" => Ok(VarType::Bool),
        "any" => Ok(VarType::Any),
        "list" | "set" | "map" => Err(TypeError::new(
            format!("the {k} type constructor requires one argument specifying the element type"),
            range,
        )
        .help(format!("write `{k}(string)`, or `{k}(any)`"))),
        "tuple" => Err(TypeError::new(
            "the tuple type constructor requires one argument specifying the element types as a list",
            range,
        )
        .help("write `tuple([string, number])`")),
        "object" => Err(TypeError::new(
            "the object type constructor requires one argument specifying the attribute types as an object",
            range,
        )
        .help("write `object({ name = string })`")),
        "optional" => Err(misplaced_optional(range)),
        other => {
            let all = KEYWORDS.iter().chain(CONSTRUCTORS).copied();
            let e = TypeError::new(format!("`{other}` is not a type"), range);
            Err(match suggest(other, all) {
                Some(s) => e.help(format!("did you mean `{s}`?")),
                None => e,
            })
        }
    }
}

fn misplaced_optional(range: Range<usize>) -> TypeError {
    TypeError::new(
        "`optional` is allowed only as the type of an attribute of `object({...})`",
        range,
    )
    .help("write `object({ name = optional(string) })`")
}

fn call_name(f: &FuncCall) -> Option<&str> {
    f.name
        .namespace
        .is_empty()
        .then(|| f.name.name.value().as_str())
}

fn constructor(
    f: &FuncCall,
    range: Range<usize>,
    eval: &mut ConstEval<'_>,
) -> Result<VarType, TypeError> {
    let Some(name) = call_name(f) else {
        return Err(TypeError::new("not a type", range));
    };
    if name == "optional" {
        return Err(misplaced_optional(range));
    }
    if KEYWORDS.contains(&name) {
        return Err(
            TypeError::new(format!("`{name}` is a type, not a type constructor"), range)
                .help(format!("write `{name}`")),
        );
    }
    if !CONSTRUCTORS.contains(&name) {
        let e = TypeError::new(format!("`{name}` is not a type constructor"), range);
        return Err(match suggest(name, CONSTRUCTORS.iter().copied()) {
            Some(s) => e.help(format!("did you mean `{s}`?")),
            None => e,
        });
    }
    let args: Vec<&Expression> = f.args.iter().collect();
    let [arg] = args[..] else {
        return Err(TypeError::new(
            format!(
                "the {name} type constructor takes one argument, got {}",
                args.len()
            ),
            range,
        ));
    };
    if f.args.expand_final() {
        return Err(TypeError::new(
            "a type constructor's argument is not expanded (`...`)",
            range,
        ));
    }
    Ok(match (name, arg) {
        ("list", _) => VarType::List(Box::new(parse(arg, eval)?)),
        ("set", _) => VarType::Set(Box::new(parse(arg, eval)?)),
        ("map", _) => VarType::Map(Box::new(parse(arg, eval)?)),
        ("tuple", Expression::Array(a)) => {
            VarType::Tuple(a.iter().map(|e| parse(e, eval)).collect::<Result<_, _>>()?)
        }
        ("tuple", _) => {
            return Err(TypeError::new(
                "the tuple type constructor takes a list of element types",
                span_of(arg),
            )
            .help("write `tuple([string, number])`"))
        }
        ("object", Expression::Object(o)) => VarType::Object(attributes(o, eval)?),
        _ => {
            return Err(TypeError::new(
                "the object type constructor takes an object of attribute types",
                span_of(arg),
            )
            .help("write `object({ name = string })`"))
        }
    })
}

/// The name of an object key: an identifier or a string literal.
fn key_name(k: &ObjectKey) -> Option<String> {
    match k {
        ObjectKey::Ident(i) => Some(i.value().to_string()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.value().to_string()),
        ObjectKey::Expression(_) => None,
    }
}

fn key_span(k: &ObjectKey) -> Range<usize> {
    use hcl_edit::Span as _;
    k.span().unwrap_or(0..0)
}

fn attributes(o: &Object, eval: &mut ConstEval<'_>) -> Result<Vec<Attribute>, TypeError> {
    let mut out: Vec<Attribute> = vec![];
    for (k, v) in o.iter() {
        let name = key_name(k).ok_or_else(|| {
            TypeError::new("an attribute name is an identifier", key_span(k))
                .help("write `object({ name = string })`")
        })?;
        let attr = match v.expr() {
            Expression::FuncCall(f) if call_name(f) == Some("optional") => {
                optional(name, f, span_of(v.expr()), eval)?
            }
            e => Attribute {
                name,
                ty: parse(e, eval)?,
                optional: false,
                default: None,
            },
        };
        out.push(attr);
    }
    Ok(out)
}

/// `optional(T)` or `optional(T, default)`; the default is converted to `T` here.
fn optional(
    name: String,
    f: &FuncCall,
    range: Range<usize>,
    eval: &mut ConstEval<'_>,
) -> Result<Attribute, TypeError> {
    let args: Vec<&Expression> = f.args.iter().collect();
    let (ty, default) = match args[..] {
        [t] => (parse(t, eval)?, None),
        [t, d] => (parse(t, eval)?, Some(d)),
        _ => {
            return Err(TypeError::new(
                format!(
                    "optional takes a type and an optional default, got {} argument(s)",
                    args.len()
                ),
                range,
            )
            .help("write `optional(string)` or `optional(string, \"default\")`"))
        }
    };
    let default = match default {
        None => None,
        Some(d) => {
            let v = eval(d).map_err(|e| TypeError {
                code: e.code,
                message: e.message,
                range: e.range,
                help: e.help,
            })?;
            let v = ty.convert(v).map_err(|m| TypeError {
                code: crate::desired::compile::E_VAR_VALUE,
                message: format!(
                    "the default of `{name}`{}: {}",
                    m.path_text("", false),
                    m.problem
                ),
                range: value_span(d, &m.path),
                help: None,
            })?;
            Some(v).filter(|v| !matches!(v, Value::Null))
        }
    };
    Ok(Attribute {
        name,
        ty,
        optional: true,
        default,
    })
}

/// One step of a path into a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// An element of a list, set or tuple.
    Index(usize),
    /// An element of a map (its key comes from the value).
    Key(String),
    /// A declared attribute of an object.
    Attr(String),
    /// An attribute of an object value its type does not declare.
    Extra(String),
}

/// Where and how a value does not conform to a type.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub path: Vec<Step>,
    pub problem: String,
}

impl Mismatch {
    fn new(problem: impl Into<String>) -> Self {
        Mismatch {
            path: vec![],
            problem: problem.into(),
        }
    }
    fn under(mut self, step: Step) -> Self {
        self.path.insert(0, step);
        self
    }

    /// The path after `root`: `var.apps["api"].actions[1]`. With `redact`, the keys of maps
    /// and undeclared attributes (they come from the value, which is sensitive) are hidden.
    pub fn path_text(&self, root: &str, redact: bool) -> String {
        let mut out = root.to_string();
        for s in &self.path {
            match s {
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::Key(_) | Step::Extra(_) if redact => {
                    out.push_str(&format!("[{}]", crate::desired::redact::REDACTED))
                }
                Step::Key(k) => out.push_str(&format!("[{}]", serde_json::Value::from(k.as_str()))),
                Step::Attr(a) | Step::Extra(a) if is_ident(a) => out.push_str(&format!(".{a}")),
                Step::Attr(a) | Step::Extra(a) => {
                    out.push_str(&format!("[{}]", serde_json::Value::from(a.as_str())))
                }
            }
        }
        out
    }
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_alphabetic() || f == '_')
        && c.all(|x| x.is_alphanumeric() || x == '_' || x == '-')
}

impl VarType {
    /// Whether a `--var` or `EKSFED_VAR_*` value of this type is taken as a string, not
    /// parsed as an expression (Terraform's rule for primitive types).
    pub fn is_primitive(&self) -> bool {
        matches!(self, VarType::String | VarType::Number | VarType::Bool)
    }

    /// The type as "want ..." names it: collections with their element type, `tuple` and
    /// `object` without their parts.
    pub fn short(&self) -> String {
        match self {
            VarType::String => "string".into(),
            VarType::Number => "number".into(),
            VarType::Bool => "bool".into(),
            VarType::Any => "any".into(),
            VarType::List(t) => format!("list({})", t.short()),
            VarType::Set(t) => format!("set({})", t.short()),
            VarType::Map(t) => format!("map({})", t.short()),
            VarType::Tuple(_) => "tuple".into(),
            VarType::Object(_) => "object".into(),
        }
    }

    /// `v` converted to this type, or where and why it does not conform. Null conforms to
    /// every type.
    pub fn convert(&self, v: Value) -> Result<Value, Mismatch> {
        match (self, v) {
            (_, Value::Null) => Ok(Value::Null),
            (VarType::Any, v) => Ok(v),
            (VarType::String, v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                Ok(Value::String(v.as_string().unwrap_or_default()))
            }
            (VarType::Number, Value::Number(n)) => Ok(Value::Number(n)),
            (VarType::Number, Value::String(s)) => match s.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Value::Number(n)),
                _ => Err(Mismatch::new(
                    "want number, got a string that is not a number",
                )),
            },
            (VarType::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (VarType::Bool, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (VarType::List(t), Value::List(l)) => elements(t, l).map(Value::List),
            (VarType::Set(t), Value::List(l)) => {
                let mut out = crate::language::value::distinct(elements(t, l)?);
                out.sort_by_cached_key(Value::as_string);
                Ok(Value::List(out))
            }
            (VarType::Map(t), Value::Map(m)) => m
                .into_iter()
                .map(|(k, x)| match t.convert(x) {
                    Ok(x) => Ok((k, x)),
                    Err(e) => Err(e.under(Step::Key(k))),
                })
                .collect::<Result<IndexMap<_, _>, _>>()
                .map(Value::Map),
            (VarType::Tuple(ts), Value::List(l)) if ts.len() == l.len() => ts
                .iter()
                .zip(l)
                .enumerate()
                .map(|(i, (t, x))| t.convert(x).map_err(|e| e.under(Step::Index(i))))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List),
            (VarType::Tuple(ts), Value::List(l)) => Err(Mismatch::new(format!(
                "want a tuple of {} element(s), got {}",
                ts.len(),
                l.len()
            ))),
            (VarType::Object(attrs), Value::Map(m)) => object(attrs, m),
            (t, v) => Err(Mismatch::new(format!(
                "want {}, got {}",
                t.short(),
                v.type_name()
            ))),
        }
    }
}

fn elements(t: &VarType, l: Vec<Value>) -> Result<Vec<Value>, Mismatch> {
    l.into_iter()
        .enumerate()
        .map(|(i, x)| t.convert(x).map_err(|e| e.under(Step::Index(i))))
        .collect()
}

fn object(attrs: &[Attribute], mut m: IndexMap<String, Value>) -> Result<Value, Mismatch> {
    if let Some(extra) = m.keys().find(|k| !attrs.iter().any(|a| &a.name == *k)) {
        let hint = suggest(extra, attrs.iter().map(|a| a.name.as_str()))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(
            Mismatch::new(format!("not an attribute of the object type{hint}"))
                .under(Step::Extra(extra.clone())),
        );
    }
    let mut out = IndexMap::new();
    for a in attrs {
        let v = match m.shift_remove(&a.name) {
            None if !a.optional => {
                return Err(Mismatch::new(format!("attribute `{}` is required", a.name)))
            }
            None | Some(Value::Null) => a.default.clone().unwrap_or(Value::Null),
            Some(v) => {
                a.ty.convert(v)
                    .map_err(|e| e.under(Step::Attr(a.name.clone())))?
            }
        };
        out.insert(a.name.clone(), v);
    }
    Ok(Value::Map(out))
}

fn unparen(mut e: &Expression) -> &Expression {
    while let Expression::Parenthesis(p) = e {
        e = p.inner();
    }
    e
}

/// The range of the part of `e`, a value written in the stack, at `path`: as deep as `e`
/// is a literal list or object.
pub fn value_span(e: &Expression, path: &[Step]) -> Range<usize> {
    let mut cur = e;
    for step in path {
        let next = match (unparen(cur), step) {
            (Expression::Array(a), Step::Index(i)) => a.get(*i),
            (Expression::Object(o), Step::Key(k) | Step::Attr(k) | Step::Extra(k)) => o
                .iter()
                .find(|(ok, _)| key_name(ok).as_deref() == Some(k.as_str()))
                .map(|(_, v)| v.expr()),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    span_of(cur)
}

/// The range of the part of the type expression `e` that the value at `path` is checked
/// against: `string` in `object({ actions = list(string) })` for `.actions[1]`.
pub fn type_span(e: &Expression, path: &[Step]) -> Range<usize> {
    let mut cur = e;
    for step in path {
        let Expression::FuncCall(f) = cur else { break };
        let arg = f.args.iter().next();
        let next = match (call_name(f), step, arg) {
            (Some("list" | "set" | "map"), _, _) => arg,
            (Some("tuple"), Step::Index(i), Some(Expression::Array(a))) => a.get(*i),
            (Some("object"), Step::Attr(k), Some(Expression::Object(o))) => o
                .iter()
                .find(|(ok, _)| key_name(ok).as_deref() == Some(k.as_str()))
                .map(|(_, v)| v.expr()),
            _ => None,
        };
        match next {
            // The type of an optional attribute is the first argument of `optional(...)`.
            Some(Expression::FuncCall(o)) if call_name(o) == Some("optional") => {
                match o.args.iter().next() {
                    Some(t) => cur = t,
                    None => break,
                }
            }
            Some(n) => cur = n,
            None => break,
        }
    }
    span_of(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<VarType, TypeError> {
        let e: Expression = text.parse().expect("an expression");
        parse(&e, &mut |e| match e {
            Expression::String(s) => Ok(Value::String(s.value().to_string())),
            Expression::Number(n) => Ok(Value::Number(n.value().as_f64().unwrap_or(0.0))),
            _ => Ok(Value::Null),
        })
    }

    #[test]
    fn every_form_parses() {
        use VarType as T;
        assert_eq!(parsed("string").ok(), Some(T::String));
        assert_eq!(parsed("number").ok(), Some(T::Number));
        assert_eq!(parsed("bool").ok(), Some(T::Bool));
        assert_eq!(parsed("any").ok(), Some(T::Any));
        assert_eq!(
            parsed("list(set(map(string)))").ok(),
            Some(T::List(Box::new(T::Set(Box::new(T::Map(Box::new(
                T::String
            )))))))
        );
        assert_eq!(
            parsed("tuple([string, number])").ok(),
            Some(T::Tuple(vec![T::String, T::Number]))
        );
        let attr = |name: &str, ty, optional, default| Attribute {
            name: name.into(),
            ty,
            optional,
            default,
        };
        assert_eq!(
            parsed(r#"object({ a = string, "b" = optional(number, "5"), c = optional(any) })"#)
                .ok(),
            Some(T::Object(vec![
                attr("a", T::String, false, None),
                attr("b", T::Number, true, Some(Value::Number(5.0))),
                attr("c", T::Any, true, None),
            ]))
        );
        assert_eq!(
            parsed("map(object({ a = list(string) }))")
                .map(|t| t.short())
                .ok(),
            Some("map(object)".into())
        );
    }

    #[test]
    fn paths_name_keys_attributes_and_indexes() {
        let m = Mismatch {
            path: vec![
                Step::Key("a b".into()),
                Step::Attr("actions".into()),
                Step::Index(1),
                Step::Extra("not-ident!".into()),
            ],
            problem: String::new(),
        };
        assert_eq!(
            m.path_text("var.x", false),
            r#"var.x["a b"].actions[1]["not-ident!"]"#
        );
        assert_eq!(
            m.path_text("var.x", true),
            "var.x[(sensitive value)].actions[1][(sensitive value)]"
        );
    }
}
