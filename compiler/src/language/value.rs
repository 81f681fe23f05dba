//! Values produced by evaluating HCL expressions.

use indexmap::IndexMap;
use std::fmt;

/// The address of a resource instance: `TYPE.LABEL` or `TYPE.LABEL["key"]`, inside a module
/// instance `module.NAME.TYPE.LABEL` (`module.NAME["k"]....`, nested `module.a.module.b....`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    /// The module instance the resource is in (`module.a["k"].module.b`); empty in the stack.
    pub module: String,
    pub kind: String,
    pub label: String,
    pub key: Option<String>,
}

impl Address {
    pub fn new(kind: &str, label: &str, key: Option<String>) -> Self {
        Address {
            module: String::new(),
            kind: kind.to_string(),
            label: label.to_string(),
            key,
        }
    }
    /// The same address inside the module instance `module` (empty: in the stack).
    pub fn in_module(mut self, module: &str) -> Self {
        self.module = module.to_string();
        self
    }
    /// The block address, without the `for_each` key.
    pub fn block(&self) -> String {
        match self.module.as_str() {
            "" => format!("{}.{}", self.kind, self.label),
            m => format!("{m}.{}.{}", self.kind, self.label),
        }
    }
    /// Parses `role.x` or `role.x["k"]`, under `module.NAME.` or `module.NAME["k"].` prefixes.
    pub fn parse(s: &str) -> Option<Address> {
        let (module, s) = split_module_prefix(s)?;
        let (kind, rest) = s.split_once('.')?;
        let (label, key) = match rest.split_once('[') {
            Some((label, k)) => {
                let k = k.strip_suffix(']')?.trim();
                let k = k
                    .strip_prefix('"')
                    .and_then(|k| k.strip_suffix('"'))
                    .unwrap_or(k);
                (label, Some(k.to_string()))
            }
            None => (rest, None),
        };
        if kind.is_empty() || label.is_empty() || kind == "module" {
            return None;
        }
        Some(Address::new(kind, label, key).in_module(module))
    }
}

/// Splits `module.a["k"].module.b.role.x` into (`module.a["k"].module.b`, `role.x`); a
/// string with no module prefix is (``, itself). `None` for a malformed prefix. A string that
/// is only a module address (`module.a["k"]`) gives it whole and an empty rest.
pub fn split_module_prefix(s: &str) -> Option<(&str, &str)> {
    let mut end = 0;
    loop {
        let rest = &s[end..];
        let Some(after) = rest.strip_prefix("module.") else {
            break;
        };
        let name_len = after.find(['.', '[']).unwrap_or(after.len());
        if name_len == 0 {
            return None;
        }
        let mut len = "module.".len() + name_len;
        if after[name_len..].starts_with("[\"") {
            let close = after[name_len + 2..].find("\"]")?;
            len += close + 4;
        }
        let next = &rest[len..];
        if next.is_empty() {
            return Some((s, ""));
        }
        if !next.starts_with('.') {
            return None;
        }
        end += len + 1;
    }
    Some(match end {
        0 => ("", s),
        e => (&s[..e - 1], &s[e..]),
    })
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_empty() {
            write!(f, "{}.", self.module)?;
        }
        match &self.key {
            Some(k) => write!(f, "{}.{}[\"{}\"]", self.kind, self.label, k),
            None => write!(f, "{}.{}", self.kind, self.label),
        }
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A resource as a value: what `cluster.prod` evaluates to. Attributes are its exports.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceValue {
    pub address: Address,
    pub attrs: IndexMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Map(IndexMap<String, Value>),
    Resource(Box<ResourceValue>),
}

/// The values of `items` without repeats, each kept where it first appears: what `toset` and
/// `distinct` keep. Values are hashed by a canonical encoding (maps by sorted key, as map
/// equality ignores order), so this is linear, where comparing every pair was quadratic.
pub fn distinct(items: Vec<Value>) -> Vec<Value> {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for v in items {
        let mut key = String::new();
        v.encode_key(&mut key);
        if seen.insert(key) {
            out.push(v);
        }
    }
    out
}

impl Value {
    /// Appends an encoding of the value that two values share exactly when they are equal.
    fn encode_key(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Null => out.push('n'),
            Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
            // 0.0 and -0.0 are equal numbers: one encoding.
            Value::Number(n) => {
                let n = if *n == 0.0 { 0.0 } else { *n };
                let _ = write!(out, "#{:x};", n.to_bits());
            }
            Value::String(s) => {
                let _ = write!(out, "s{}:{s}", s.len());
            }
            Value::List(l) => {
                let _ = write!(out, "l{}[", l.len());
                for v in l {
                    v.encode_key(out);
                }
                out.push(']');
            }
            Value::Map(m) => encode_map(m, out),
            Value::Resource(r) => {
                let a = r.address.to_string();
                let _ = write!(out, "r{}:{a}", a.len());
                encode_map(&r.attrs, out);
            }
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Resource(_) => "resource",
        }
    }

    /// The string form HCL converts primitives to (numbers without a trailing `.0`).
    pub fn as_string(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(format_number(*n)),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn truthy(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// Converts to JSON; resources become their address string.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_json(*n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Value::Resource(r) => serde_json::Value::String(r.address.to_string()),
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn number_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or_default()
    }
}

fn encode_map(m: &IndexMap<String, Value>, out: &mut String) {
    use std::fmt::Write;
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    let _ = write!(out, "m{}{{", m.len());
    for k in keys {
        let _ = write!(out, "{}:{k}", k.len());
        m[k].encode_key(out);
    }
    out.push('}');
}
