//! Expression evaluation over hcl-edit's syntax tree, so every error keeps the span of the
//! sub-expression that caused it (hcl-rs's own evaluator drops positions).

use crate::language::functions;
use crate::language::value::{Address, Value};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span as _;
use indexmap::IndexMap;
use std::ops::Range;

use crate::language::call::{span_of, suggest, EvalError, FileReader, E_EXPR, E_REF};

/// Resource exports by kind, then label: a `Value::Resource`, or a map of them under `for_each`.
pub type ResourceTable = IndexMap<String, IndexMap<String, Value>>;

/// What names mean while evaluating one expression.
pub struct Env<'a> {
    pub vars: &'a IndexMap<String, Value>,
    pub locals: &'a IndexMap<String, Value>,
    pub resources: &'a ResourceTable,
    pub resource_kinds: &'a [&'a str],
    pub each: Option<(Value, Value)>,
    pub files: &'a dyn FileReader,
    pub partition: &'a str,
    /// Names bound by `for` expressions and template `for` directives, innermost last.
    pub scopes: Vec<(String, Value)>,
    /// Resources (and `local.NAME`s) the evaluated expressions read: the dependency edges
    /// of the instance graph, exact per instance (`role.app[each.key]` is one instance).
    pub touched: Vec<Address>,
    /// The exports read from resources (`cluster.prod.oidc_issuer_url` reads
    /// `(cluster.prod, "oidc_issuer_url")`), so the compiler knows which values derive from
    /// exports it could only guess (an issuer not known offline).
    pub reads: Vec<(Address, String)>,
}

impl<'a> Env<'a> {
    /// An environment with no `each`, no `for` bindings and nothing touched yet.
    pub fn new(
        vars: &'a IndexMap<String, Value>,
        locals: &'a IndexMap<String, Value>,
        resources: &'a ResourceTable,
        resource_kinds: &'a [&'a str],
        files: &'a dyn FileReader,
        partition: &'a str,
    ) -> Env<'a> {
        Env {
            vars,
            locals,
            resources,
            resource_kinds,
            each: None,
            files,
            partition,
            scopes: vec![],
            touched: vec![],
            reads: vec![],
        }
    }
}

impl crate::language::call::LazyEval for Env<'_> {
    fn eval_lazy(&mut self, e: &Expression) -> Result<Value, EvalError> {
        self.eval(e)
    }
}

impl Env<'_> {
    pub fn eval(&mut self, e: &Expression) -> Result<Value, EvalError> {
        let range = span_of(e);
        match e {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => Ok(Value::Number(n.value().as_f64().unwrap_or(0.0))),
            Expression::String(s) => Ok(Value::String(s.value().clone())),
            Expression::Array(a) => a
                .iter()
                .map(|x| self.eval(x))
                .collect::<Result<_, _>>()
                .map(Value::List),
            Expression::Object(o) => {
                let mut m = IndexMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.value().to_string(),
                        ObjectKey::Expression(ke) => {
                            let kv = self.eval(ke)?;
                            kv.as_string().ok_or_else(|| {
                                EvalError::new(
                                    E_EXPR,
                                    format!(
                                        "an object key must be a string, not {}",
                                        kv.type_name()
                                    ),
                                    span_of(ke),
                                )
                            })?
                        }
                    };
                    m.insert(key, self.eval(v.expr())?);
                }
                Ok(Value::Map(m))
            }
            Expression::StringTemplate(t) => self.template(t).map(Value::String),
            Expression::HeredocTemplate(h) => self.template(&h.template).map(Value::String),
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(v) => self.variable(v.value().as_str(), range),
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr)?;
                match cond.truthy() {
                    Some(true) => self.eval(&c.true_expr),
                    Some(false) => self.eval(&c.false_expr),
                    None => Err(EvalError::new(
                        E_EXPR,
                        format!("a condition must be a bool, not {}", cond.type_name()),
                        span_of(&c.cond_expr),
                    )),
                }
            }
            Expression::FuncCall(f) => {
                let name = f.name.name.value().to_string();
                if name == "try" || name == "can" {
                    return crate::language::functions::tf::lazy(&name, f, range, self);
                }
                let mut args = Vec::new();
                for a in f.args.iter() {
                    args.push(self.eval(a)?);
                }
                if f.args.expand_final() {
                    if let Some(Value::List(last)) = args.pop() {
                        args.extend(last);
                    }
                }
                let ctx = crate::language::call::FnCtx {
                    files: self.files,
                    partition: self.partition,
                };
                functions::call(&name, args, &ctx).map_err(|(msg, help)| {
                    let code = crate::language::confine::code_of(&msg);
                    EvalError::new(code, format!("{name}(): {msg}"), range).help(help)
                })
            }
            Expression::Traversal(t) => self.traversal(&t.expr, &t.operators),
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr)?;
                match (u.operator.value(), &v) {
                    (UnaryOperator::Neg, Value::Number(n)) => Ok(Value::Number(-n)),
                    (UnaryOperator::Not, _) if v.truthy().is_some() => {
                        Ok(Value::Bool(!v.truthy().unwrap_or(false)))
                    }
                    _ => Err(EvalError::new(
                        E_EXPR,
                        format!("invalid operand {} for unary operator", v.type_name()),
                        range,
                    )),
                }
            }
            Expression::BinaryOp(b) => {
                let l = self.eval(&b.lhs_expr)?;
                let r = self.eval(&b.rhs_expr)?;
                binary(b.operator.value(), &l, &r).ok_or_else(|| {
                    EvalError::new(
                        E_EXPR,
                        format!(
                            "invalid operands {} and {} for operator `{}`",
                            l.type_name(),
                            r.type_name(),
                            b.operator.value().as_str()
                        ),
                        range,
                    )
                })
            }
            Expression::ForExpr(f) => self.for_expr(f),
        }
    }

    fn lookup_scope(&self, name: &str) -> Option<&Value> {
        self.scopes
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    fn variable(&self, name: &str, range: Range<usize>) -> Result<Value, EvalError> {
        if let Some(v) = self.lookup_scope(name) {
            return Ok(v.clone());
        }
        match name {
            "var" => Ok(Value::Map(self.vars.clone())),
            "local" => Ok(Value::Map(self.locals.clone())),
            "each" => match &self.each {
                Some((k, v)) => Ok(Value::Map(IndexMap::from([
                    ("key".to_string(), k.clone()),
                    ("value".to_string(), v.clone()),
                ]))),
                None => Err(EvalError::new(
                    E_REF,
                    "`each` is only available in a resource with `for_each`",
                    range,
                )),
            },
            _ if self.resource_kinds.contains(&name) => Ok(Value::Map(
                self.resources.get(name).cloned().unwrap_or_default(),
            )),
            _ => {
                let mut cands: Vec<&str> = vec!["var", "local", "each"];
                cands.extend(self.resource_kinds.iter().copied());
                cands.extend(self.scopes.iter().map(|(n, _)| n.as_str()));
                Err(
                    EvalError::new(E_REF, format!("unknown name `{name}`"), range)
                        .help(suggest(name, cands).map(|s| format!("did you mean `{s}`?"))),
                )
            }
        }
    }

    fn traversal(
        &mut self,
        root: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> Result<Value, EvalError> {
        let root_name = match root {
            Expression::Variable(v) if self.lookup_scope(v.value().as_str()).is_none() => {
                Some(v.value().to_string())
            }
            _ => None,
        };
        if let Some(name) = &root_name {
            if let Some(v) = self.fast_lookup(name, ops)? {
                return Ok(v);
            }
        }
        let mut cur = self.eval(root)?;
        let mut path = match root {
            Expression::Variable(v) => v.value().to_string(),
            _ => String::new(),
        };
        for (i, op) in ops.iter().enumerate() {
            let op_range = op.span().unwrap_or(0..0);
            let range = span_of(root).start..op_range.end;
            if let Value::Resource(r) = &cur {
                self.touched.push(r.address.clone());
                if let TraversalOperator::GetAttr(name) = op.value() {
                    self.reads
                        .push((r.address.clone(), name.value().to_string()));
                }
            }
            match op.value() {
                TraversalOperator::GetAttr(ident) => {
                    let name = ident.value().as_str();
                    let output = root_name.as_deref() == Some("module")
                        && (i == 1
                            || (i == 2 && matches!(ops[1].value(), TraversalOperator::Index(_))));
                    cur = self
                        .get_attr(cur, name, root_name.as_deref(), i, &path, range)
                        .map_err(|e| if output { no_output(e, &path, name) } else { e })?;
                    path = format!("{path}.{name}");
                }
                TraversalOperator::Index(ix) => {
                    let k = self.eval(ix)?;
                    cur = index(cur, &k, &path, range, span_of(ix))?;
                    path = format!("{path}[{}]", k.to_json());
                }
                TraversalOperator::LegacyIndex(n) => {
                    let at = range.clone();
                    cur = index(cur, &Value::Number(*n.value() as f64), &path, range, at)?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    // `list[*].attr`: apply the remaining operators to each element.
                    let items = match cur {
                        Value::List(l) => l,
                        Value::Map(m) => m.into_values().collect(),
                        Value::Null => vec![],
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::new();
                    for item in items {
                        self.scopes.push(("__splat".into(), item));
                        let sub = hcl_edit::expr::Expression::Variable(hcl_edit::Decorated::new(
                            hcl_edit::Ident::new("__splat"),
                        ));
                        let r = self.traversal(&sub, rest);
                        self.scopes.pop();
                        out.push(r?);
                    }
                    return Ok(Value::List(out));
                }
            }
        }
        self.record(&cur);
        Ok(cur)
    }

    /// Records the resources a value holds (itself, or the instances of a `for_each` map).
    fn record(&mut self, v: &Value) {
        match v {
            Value::Resource(r) => self.touched.push(r.address.clone()),
            Value::Map(m) => {
                for x in m.values() {
                    if let Value::Resource(r) = x {
                        self.touched.push(r.address.clone());
                    }
                }
            }
            _ => {}
        }
    }

    /// Looks a reference up without copying the collections it passes through (`var`,
    /// `local`, every instance of a resource): only the value reached is cloned. `None` means
    /// "take the general path", which also produces the precise error when there is one.
    fn fast_lookup(
        &mut self,
        root: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> Result<Option<Value>, EvalError> {
        let Some(TraversalOperator::GetAttr(first)) = ops.first().map(|o| o.value()) else {
            return Ok(None);
        };
        let mut keys: Vec<Option<Value>> = Vec::with_capacity(ops.len());
        for op in &ops[1..] {
            keys.push(match op.value() {
                TraversalOperator::GetAttr(_) => None,
                TraversalOperator::Index(ix) => Some(self.eval(ix)?),
                TraversalOperator::LegacyIndex(n) => Some(Value::Number(*n.value() as f64)),
                _ => return Ok(None),
            });
        }
        let first = first.value().as_str();
        let mut touched = vec![];
        let mut reads = vec![];
        let start: Option<&Value> = match root {
            "var" => {
                touched.push(Address::new("var", first, None));
                self.vars.get(first)
            }
            "local" => {
                touched.push(Address::new("local", first, None));
                self.locals.get(first)
            }
            k if self.resource_kinds.contains(&k) => {
                if k == "module" {
                    touched.push(Address::new("module", first, None));
                }
                self.resources.get(k).and_then(|m| m.get(first))
            }
            _ => return Ok(None),
        };
        let Some(mut cur) = start else {
            return Ok(None);
        };
        for (op, key) in ops[1..].iter().zip(&keys) {
            if let Value::Resource(r) = cur {
                touched.push(r.address.clone());
                if let TraversalOperator::GetAttr(n) = op.value() {
                    reads.push((r.address.clone(), n.value().to_string()));
                }
            }
            let next = match (op.value(), cur, key) {
                (TraversalOperator::GetAttr(n), Value::Map(m), _) => m.get(n.value().as_str()),
                (TraversalOperator::GetAttr(n), Value::Resource(r), _) => {
                    r.attrs.get(n.value().as_str())
                }
                (_, Value::Map(m), Some(k)) => k.as_string().and_then(|k| m.get(&k)),
                (_, Value::List(l), Some(Value::Number(i))) if *i >= 0.0 && i.fract() == 0.0 => {
                    l.get(*i as usize)
                }
                _ => None,
            };
            match next {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        }
        let out = cur.clone();
        self.touched.extend(touched);
        self.reads.extend(reads);
        self.record(&out);
        Ok(Some(out))
    }

    fn get_attr(
        &self,
        cur: Value,
        name: &str,
        root: Option<&str>,
        depth: usize,
        path: &str,
        range: Range<usize>,
    ) -> Result<Value, EvalError> {
        match cur {
            Value::Map(mut m) => match m.swap_remove(name) {
                Some(v) => Ok(v),
                None => {
                    let (what, full) = match (root, depth) {
                        (Some("var"), 0) => ("variable", format!("var.{name}")),
                        (Some("local"), 0) => ("local value", format!("local.{name}")),
                        (Some("module"), 0) => ("module", format!("module.{name}")),
                        (Some(k), 0) if self.resource_kinds.contains(&k) => {
                            ("resource", format!("{k}.{name}"))
                        }
                        _ => ("attribute", format!("{path}.{name}")),
                    };
                    let prefix = full.rsplit_once('.').map(|p| p.0).unwrap_or("");
                    let help = suggest(name, m.keys().map(String::as_str))
                        .map(|s| format!("did you mean `{prefix}.{s}`?"));
                    let help = help.or_else(|| match (root, depth) {
                        (Some(k), 0) if self.resource_kinds.contains(&k) => {
                            let all: Vec<String> = self
                                .resources
                                .iter()
                                .flat_map(|(kind, labels)| {
                                    labels.keys().map(move |l| format!("{kind}.{l}"))
                                })
                                .collect();
                            suggest(&full, all.iter().map(String::as_str))
                                .map(|s| format!("did you mean `{s}`?"))
                        }
                        _ => None,
                    });
                    Err(EvalError::new(
                        E_REF,
                        format!("reference to undeclared {what} `{full}`"),
                        range,
                    )
                    .help(help))
                }
            },
            Value::Resource(r) => match r.attrs.get(name) {
                Some(v) => Ok(v.clone()),
                None => Err(EvalError::new(
                    E_REF,
                    format!("`{}` has no attribute `{name}`", r.address),
                    range,
                )
                .help(
                    suggest(name, r.attrs.keys().map(String::as_str))
                        .map(|s| format!("did you mean `{}.{s}`?", r.address))
                        .or_else(|| {
                            Some(format!(
                                "attributes: {}",
                                r.attrs.keys().cloned().collect::<Vec<_>>().join(", ")
                            ))
                        }),
                )),
            },
            other => Err(EvalError::new(
                E_EXPR,
                format!(
                    "cannot read attribute `{name}` of a {} (`{path}`)",
                    other.type_name()
                ),
                range,
            )),
        }
    }

    fn template(&mut self, t: &Template) -> Result<String, EvalError> {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(s) => out.push_str(s.value()),
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr)?;
                    out.push_str(&v.as_string().ok_or_else(|| {
                        EvalError::new(
                            E_EXPR,
                            format!("cannot interpolate a {} into a string", v.type_name()),
                            span_of(&i.expr),
                        )
                    })?);
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(ifd) => {
                        let c = self.eval(&ifd.if_expr.cond_expr)?;
                        if c.truthy().unwrap_or(false) {
                            out.push_str(&self.template(&ifd.if_expr.template)?);
                        } else if let Some(e) = &ifd.else_expr {
                            out.push_str(&self.template(&e.template)?);
                        }
                    }
                    Directive::For(fd) => {
                        let f = &fd.for_expr;
                        let coll = self.eval(&f.collection_expr)?;
                        for (k, v) in iterate(coll, span_of(&f.collection_expr))? {
                            let pushed = self.bind(
                                f.key_var.as_ref().map(|k| k.value().to_string()),
                                f.value_var.value().to_string(),
                                k,
                                v,
                            );
                            let r = self.template(&f.template);
                            self.scopes.truncate(self.scopes.len() - pushed);
                            out.push_str(&r?);
                        }
                    }
                },
            }
        }
        Ok(out)
    }

    fn bind(&mut self, key_var: Option<String>, value_var: String, k: Value, v: Value) -> usize {
        let mut n = 1;
        if let Some(kv) = key_var {
            self.scopes.push((kv, k));
            n += 1;
        }
        self.scopes.push((value_var, v));
        n
    }

    fn for_expr(&mut self, f: &hcl_edit::expr::ForExpr) -> Result<Value, EvalError> {
        let coll = self.eval(&f.intro.collection_expr)?;
        let items = iterate(coll, span_of(&f.intro.collection_expr))?;
        let mut list = Vec::new();
        let mut map: IndexMap<String, Value> = IndexMap::new();
        for (k, v) in items {
            let pushed = self.bind(
                f.intro.key_var.as_ref().map(|k| k.value().to_string()),
                f.intro.value_var.value().to_string(),
                k,
                v,
            );
            let r = (|| {
                if let Some(c) = &f.cond {
                    if !self.eval(&c.expr)?.truthy().unwrap_or(false) {
                        return Ok(());
                    }
                }
                let val = self.eval(&f.value_expr)?;
                match &f.key_expr {
                    Some(ke) => {
                        let key = self.eval(ke)?.as_string().ok_or_else(|| {
                            EvalError::new(E_EXPR, "a `for` key must be a string", span_of(ke))
                        })?;
                        if f.grouping {
                            if let Value::List(l) =
                                map.entry(key).or_insert_with(|| Value::List(vec![]))
                            {
                                l.push(val);
                            }
                        } else {
                            map.insert(key, val);
                        }
                    }
                    None => list.push(val),
                }
                Ok(())
            })();
            self.scopes.truncate(self.scopes.len() - pushed);
            r?;
        }
        Ok(if f.key_expr.is_some() {
            Value::Map(map)
        } else {
            Value::List(list)
        })
    }
}

/// (key, value) pairs of a collection: list index or map key.
pub fn iterate(v: Value, range: Range<usize>) -> Result<Vec<(Value, Value)>, EvalError> {
    match v {
        Value::List(l) => Ok(l
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::Number(i as f64), v))
            .collect()),
        Value::Map(m) => Ok(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()),
        Value::Null => Ok(vec![]),
        other => Err(EvalError::new(
            E_EXPR,
            format!("cannot iterate over a {}", other.type_name()),
            range,
        )),
    }
}

/// `at`: the index expression, where an invalid index is reported.
fn index(
    cur: Value,
    k: &Value,
    path: &str,
    range: Range<usize>,
    at: Range<usize>,
) -> Result<Value, EvalError> {
    match (cur, k) {
        (Value::List(l), Value::Number(n)) => {
            let len = l.len();
            // As Terraform: a negative, fractional or too large index is an error, never a
            // wrap-around (`-1 as usize` would silently be the first element).
            let why = if *n < 0.0 {
                Some("a negative number is not a valid index".to_string())
            } else if n.fract() != 0.0 {
                Some("an index must be a whole number".to_string())
            } else if *n as usize >= len {
                Some(format!("out of range (length {len})"))
            } else {
                None
            };
            if let Some(why) = why {
                return Err(EvalError::new(
                    E_EXPR,
                    format!("Invalid index: {n} for `{path}`: {why}"),
                    if at.is_empty() { range } else { at },
                ));
            }
            Ok(l.into_iter().nth(*n as usize).unwrap_or(Value::Null))
        }
        (Value::Map(mut m), k) => {
            let key = k.as_string().unwrap_or_default();
            m.swap_remove(&key).ok_or_else(|| {
                let help = suggest(&key, m.keys().map(String::as_str))
                    .map(|s| format!("did you mean `{path}[\"{s}\"]`?"));
                EvalError::new(E_REF, format!("`{path}` has no key \"{key}\""), range).help(help)
            })
        }
        (other, _) => Err(EvalError::new(
            E_EXPR,
            format!(
                "cannot index a {} (`{path}`) with a {}",
                other.type_name(),
                k.type_name()
            ),
            range,
        )),
    }
}

fn binary(op: &BinaryOperator, l: &Value, r: &Value) -> Option<Value> {
    use BinaryOperator::*;
    let num = |v: &Value| match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    Some(match op {
        Eq => Value::Bool(l == r || (l.as_string().is_some() && l.as_string() == r.as_string())),
        NotEq => {
            Value::Bool(!(l == r || (l.as_string().is_some() && l.as_string() == r.as_string())))
        }
        And => Value::Bool(l.truthy()? && r.truthy()?),
        Or => Value::Bool(l.truthy()? || r.truthy()?),
        Less => Value::Bool(num(l)? < num(r)?),
        LessEq => Value::Bool(num(l)? <= num(r)?),
        Greater => Value::Bool(num(l)? > num(r)?),
        GreaterEq => Value::Bool(num(l)? >= num(r)?),
        Plus => Value::Number(num(l)? + num(r)?),
        Minus => Value::Number(num(l)? - num(r)?),
        Mul => Value::Number(num(l)? * num(r)?),
        Div => Value::Number(num(l)? / num(r)?),
        Mod => Value::Number(num(l)? % num(r)?),
    })
}

/// Resource addresses referenced by an expression: every `KIND.LABEL` traversal whose root is a
/// resource kind, with the span of the reference. Used to build the dependency graph before
/// evaluation.
/// E0804: `module.NAME.OUTPUT` names no output of the module (the "did you mean" kept).
fn no_output(e: EvalError, path: &str, name: &str) -> EvalError {
    if e.code != E_REF {
        return e;
    }
    EvalError::new(
        crate::language::call::E_MODULE_OUTPUT,
        format!("`{path}` has no output `{name}`"),
        e.range,
    )
    .help(e.help)
}

pub fn references(e: &Expression, kinds: &[&str]) -> Vec<(Address, Range<usize>)> {
    use hcl_edit::visit::{visit_traversal, Visit};
    struct Collector<'k> {
        kinds: &'k [&'k str],
        out: Vec<(Address, Range<usize>)>,
        locals: Vec<(String, Range<usize>)>,
    }
    impl Visit for Collector<'_> {
        fn visit_traversal(&mut self, t: &hcl_edit::expr::Traversal) {
            if let Expression::Variable(root) = &t.expr {
                let root = root.value().as_str();
                if let Some(TraversalOperator::GetAttr(label)) =
                    t.operators.first().map(|o| o.value())
                {
                    let range =
                        span_of(&t.expr).start..t.operators[0].span().map(|s| s.end).unwrap_or(0);
                    if self.kinds.contains(&root) {
                        self.out
                            .push((Address::new(root, label.value().as_str(), None), range));
                    } else if root == "local" {
                        self.locals.push((label.value().to_string(), range));
                    }
                }
            }
            visit_traversal(self, t);
        }
    }
    let mut c = Collector {
        kinds,
        out: vec![],
        locals: vec![],
    };
    c.visit_expr(e);
    c.out.extend(
        c.locals
            .into_iter()
            .map(|(l, r)| (Address::new("local", &l, None), r)),
    );
    c.out
}
