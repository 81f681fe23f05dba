//! An evaluated block ([`EvBlock`]): what stage `lower` produces from a block's body and
//! every later stage reads, with the span of each attribute; the span and label helpers
//! and the codes of the schema diagnostics. A leaf, so `lower`, `dynamic`, `adopt` and the
//! stages after them share it without importing each other.

use crate::diag::{FileId, Span};
use crate::language::value::Value;
use hcl_edit::structure::Block;
use hcl_edit::Span as _;
use indexmap::IndexMap;

pub const E_UNKNOWN_BLOCK: &str = "E0101";
pub const E_UNKNOWN_ATTR: &str = "E0102";
pub const E_MISSING_ATTR: &str = "E0103";
pub const E_TYPE: &str = "E0104";
pub const E_DUPLICATE: &str = "E0105";
pub const E_LABELS: &str = "E0106";

#[derive(Debug, Clone)]
pub struct EvAttr {
    pub value: Value,
    pub span: Span,
    /// Spans of the elements when the expression is a literal list.
    pub elems: Vec<Span>,
}

#[derive(Debug, Clone)]
pub struct EvBlock {
    pub kind: String,
    pub labels: Vec<String>,
    /// The block's head: its type and labels.
    pub span: Span,
    pub attrs: IndexMap<String, EvAttr>,
    pub blocks: Vec<EvBlock>,
}

impl EvBlock {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs
            .get(name)
            .map(|a| &a.value)
            .filter(|v| !matches!(v, Value::Null))
    }
    pub fn str(&self, name: &str) -> Option<String> {
        self.get(name).and_then(Value::as_string)
    }
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Value::List(l)) => l.iter().filter_map(Value::as_string).collect(),
            _ => vec![],
        }
    }
    pub fn map(&self, name: &str) -> IndexMap<String, String> {
        match self.get(name) {
            Some(Value::Map(m)) => m
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_string()?)))
                .collect(),
            _ => IndexMap::new(),
        }
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::truthy)
    }
    pub fn num(&self, name: &str) -> Option<f64> {
        match self.get(name) {
            Some(Value::Number(n)) => Some(*n),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
    }
    pub fn span_of(&self, name: &str) -> Span {
        self.attrs
            .get(name)
            .map(|a| a.span.clone())
            .unwrap_or_else(|| self.span.clone())
    }
    pub fn elem_span(&self, name: &str, i: usize) -> Span {
        self.attrs
            .get(name)
            .and_then(|a| a.elems.get(i).cloned())
            .unwrap_or_else(|| self.span_of(name))
    }
    pub fn blocks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a EvBlock> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }
}

/// The span of a block's head (type and labels).
pub fn head_span(file: FileId, b: &Block) -> Span {
    let start = b.ident.span().map(|r| r.start).unwrap_or(0);
    let end = b
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| b.ident.span())
        .map(|r| r.end)
        .unwrap_or(start);
    Span::new(file, start..end)
}

pub fn label_text(l: &hcl_edit::structure::BlockLabel) -> String {
    match l {
        hcl_edit::structure::BlockLabel::Ident(i) => i.value().to_string(),
        hcl_edit::structure::BlockLabel::String(s) => s.value().clone(),
    }
}
