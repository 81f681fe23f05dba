//! What the server knows of one file's syntax: the names it declares (resources, variables,
//! locals, modules, outputs), the references it makes (`role.app.arn`, `var.x`, `local.y`,
//! `module.m.out`), its function calls and its blocks, each with its byte range.

use eksfed_compiler::language::schema::RESOURCE_KINDS;
use hcl_edit::expr::{Expression, FuncCall, Traversal, TraversalOperator};
use hcl_edit::structure::{Block, BlockLabel, Body, Structure};
use hcl_edit::visit::Visit;
use hcl_edit::Span as _;
use std::ops::Range;

/// A declared name: `ns` is the namespace references use (`role`, `var`, `local`, `module`,
/// `output`).
#[derive(Debug, Clone)]
pub struct Decl {
    pub ns: String,
    pub name: String,
    /// The name itself (inside the label's quotes, or the local's key).
    pub name_range: Range<usize>,
    /// The whole declaring block (or the local's attribute).
    pub range: Range<usize>,
    /// A module block's `source`.
    pub source: Option<String>,
}

/// A reference `ns.name[.attr]`.
#[derive(Debug, Clone)]
pub struct Ref {
    pub ns: String,
    pub name: String,
    pub attr: Option<String>,
    pub ns_range: Range<usize>,
    pub name_range: Range<usize>,
    pub attr_range: Option<Range<usize>>,
}

/// A block, its schema path (`["role", "trust_service_account"]`), and its attributes' keys.
#[derive(Debug, Clone)]
pub struct BlockInfo {
    pub path: Vec<String>,
    pub labels: Vec<String>,
    pub ident_range: Range<usize>,
    pub range: Range<usize>,
    pub attrs: Vec<(String, Range<usize>)>,
}

#[derive(Debug, Clone, Default)]
pub struct FileIndex {
    pub decls: Vec<Decl>,
    pub refs: Vec<Ref>,
    /// Function calls: name and the name's range.
    pub calls: Vec<(String, Range<usize>)>,
    pub blocks: Vec<BlockInfo>,
}

/// Namespaces a reference may start with.
pub fn is_namespace(s: &str) -> bool {
    matches!(s, "var" | "local" | "module") || RESOURCE_KINDS.contains(&s)
}

/// The index of a file's text; `None` when it does not parse.
pub fn index(text: &str) -> Option<FileIndex> {
    let body = hcl_edit::parser::parse_body(text).ok()?;
    let mut ix = FileIndex::default();
    for s in body.iter() {
        if let Structure::Block(b) = s {
            declare(b, text, &mut ix);
        }
    }
    blocks(&body, &[], &mut ix);
    let mut v = Refs { ix: &mut ix };
    v.visit_body(&body);
    Some(ix)
}

fn label_text(l: &BlockLabel) -> String {
    match l {
        BlockLabel::Ident(i) => i.as_str().to_string(),
        BlockLabel::String(s) => s.as_str().to_string(),
    }
}

/// A label's range without its quotes.
fn label_range(l: &BlockLabel, text: &str) -> Range<usize> {
    let r = l.span().unwrap_or(0..0);
    match text.get(r.clone()) {
        Some(s) if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') => r.start + 1..r.end - 1,
        _ => r,
    }
}

fn declare(b: &Block, text: &str, ix: &mut FileIndex) {
    let kind = b.ident.as_str();
    let range = b.span().unwrap_or(0..0);
    if kind == "locals" {
        for a in b.body.attributes() {
            ix.decls.push(Decl {
                ns: "local".into(),
                name: a.key.as_str().to_string(),
                name_range: a.key.span().unwrap_or(0..0),
                range: a.span().unwrap_or(0..0),
                source: None,
            });
        }
        return;
    }
    let ns = match kind {
        "variable" => "var",
        "module" | "output" => kind,
        k if RESOURCE_KINDS.contains(&k) => k,
        _ => return,
    };
    if let Some(l) = b.labels.first() {
        ix.decls.push(Decl {
            ns: ns.to_string(),
            name: label_text(l),
            name_range: label_range(l, text),
            range,
            source: b
                .body
                .get_attribute("source")
                .and_then(|a| a.value.as_str().map(str::to_string)),
        });
    }
}

fn blocks(body: &Body, parent: &[String], ix: &mut FileIndex) {
    for b in body.blocks() {
        let mut path = parent.to_vec();
        path.push(b.ident.as_str().to_string());
        ix.blocks.push(BlockInfo {
            path: path.clone(),
            labels: b.labels.iter().map(label_text).collect(),
            ident_range: b.ident.span().unwrap_or(0..0),
            range: b.span().unwrap_or(0..0),
            attrs: b
                .body
                .attributes()
                .map(|a| (a.key.as_str().to_string(), a.key.span().unwrap_or(0..0)))
                .collect(),
        });
        blocks(&b.body, &path, ix);
    }
}

struct Refs<'a> {
    ix: &'a mut FileIndex,
}

impl Visit for Refs<'_> {
    fn visit_traversal(&mut self, node: &Traversal) {
        if let (Expression::Variable(ns), Some(first)) = (&node.expr, node.operators.first()) {
            if let TraversalOperator::GetAttr(name) = first.value() {
                if is_namespace(ns.as_str()) {
                    let attr = node.operators.get(1).and_then(|o| match o.value() {
                        TraversalOperator::GetAttr(a) => Some(a),
                        _ => None,
                    });
                    self.ix.refs.push(Ref {
                        ns: ns.as_str().to_string(),
                        name: name.as_str().to_string(),
                        attr: attr.map(|a| a.as_str().to_string()),
                        attr_range: attr.and_then(|a| a.span()),
                        ns_range: ns.span().unwrap_or(0..0),
                        name_range: name.span().unwrap_or(0..0),
                    });
                }
            }
        }
        hcl_edit::visit::visit_traversal(self, node);
    }

    fn visit_func_call(&mut self, node: &FuncCall) {
        let name = node.name.name.as_str().to_string();
        self.ix
            .calls
            .push((name, node.name.name.span().unwrap_or(0..0)));
        hcl_edit::visit::visit_func_call(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_references_and_blocks_with_ranges() {
        let text = "variable \"env\" {}\nlocals { team = \"x\" }\nrole \"app\" {\n  name = \"${var.env}-${local.team}\"\n}\npolicy \"p\" { name = upper(role.app.name) }\n";
        let ix = index(text).expect("parses");
        let names: Vec<_> = ix
            .decls
            .iter()
            .map(|d| format!("{}.{}", d.ns, d.name))
            .collect();
        assert_eq!(names, ["var.env", "local.team", "role.app", "policy.p"]);
        let app = &ix.decls[2];
        assert_eq!(&text[app.name_range.clone()], "app");
        let refs: Vec<_> = ix
            .refs
            .iter()
            .map(|r| {
                (
                    r.ns.as_str(),
                    &text[r.name_range.clone()],
                    r.attr.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            refs,
            [
                ("var", "env", None),
                ("local", "team", None),
                ("role", "app", Some("name"))
            ]
        );
        assert_eq!(ix.calls.len(), 1);
        assert_eq!(&text[ix.calls[0].1.clone()], "upper");
        assert_eq!(
            ix.blocks
                .iter()
                .map(|b| b.path.join("."))
                .collect::<Vec<_>>(),
            ["variable", "locals", "role", "policy"]
        );
        assert!(index("role \"x\" {").is_none());
    }
}
