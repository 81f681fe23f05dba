//! Stage *order*: the block-level dependency graph (locals, resource blocks and `module`
//! blocks, from static references), its cycles (E0401, every address in the cycle) and the
//! order to evaluate in. A `module` block is one node: it comes after what its inputs read
//! and before what reads its outputs.

use super::collect::ResourceBlock;
use super::inputs::E_CYCLE;
use crate::desired::graph::{EdgeKind, ResourceGraph};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::language::eval::references;
use crate::language::evblock::{head_span, label_text};
use crate::language::schema::RESOURCE_KINDS;
use crate::language::value::Address;
use hcl_edit::structure::{Attribute, Block, Structure};
use hcl_edit::Span as _;
use std::collections::BTreeMap;

pub(super) fn block_order(
    locals: &[(FileId, &Attribute)],
    resources: &[ResourceBlock<'_>],
    modules: &[(FileId, &Block)],
    diags: &mut Diagnostics,
) -> Vec<Address> {
    let names = names();
    let mut block_graph = ResourceGraph::default();
    let local_addr = |n: &str| Address::new("local", n, None);
    let mut node_refs: BTreeMap<Address, Vec<(Address, FileId, std::ops::Range<usize>)>> =
        BTreeMap::new();
    for (f, a) in locals {
        let me = local_addr(a.key.value().as_str());
        block_graph.add_node(me.clone());
        node_refs.insert(
            me,
            references(&a.value, names)
                .into_iter()
                .map(|(r, s)| (r, *f, s))
                .collect(),
        );
    }
    for r in resources {
        let me = r.address();
        block_graph.add_node(me.clone());
        let mut refs = vec![];
        collect_body_refs(&r.block.body, &mut refs);
        node_refs.insert(me, refs.into_iter().map(|(a, s)| (a, r.file, s)).collect());
    }
    for (f, b) in modules {
        let me = Address::new("module", &label_text(&b.labels[0]), None);
        block_graph.add_node(me.clone());
        let mut refs = vec![];
        collect_body_refs(&b.body, &mut refs);
        node_refs.insert(me, refs.into_iter().map(|(a, s)| (a, *f, s)).collect());
    }
    for (me, refs) in &node_refs {
        for (dep, _, _) in refs {
            if block_graph.contains(dep) {
                block_graph.add_edge(dep, me, EdgeKind::Reference);
            }
        }
    }
    let mut in_cycle: Vec<Address> = vec![];
    for cycle in block_graph.cycles() {
        let names: Vec<String> = cycle.iter().map(|a| a.to_string()).collect();
        let first = &cycle[0];
        let span = resources
            .iter()
            .find(|r| &r.address() == first)
            .map(|r| head_span(r.file, r.block))
            .or_else(|| {
                modules
                    .iter()
                    .find(|(_, b)| {
                        first.kind == "module" && label_text(&b.labels[0]) == first.label
                    })
                    .map(|(f, b)| head_span(*f, b))
            })
            .or_else(|| {
                locals
                    .iter()
                    .find(|(_, a)| &local_addr(a.key.value().as_str()) == first)
                    .map(|(f, a)| Span::new(*f, a.key.span().unwrap_or(0..0)))
            });
        diags.push(
            Diagnostic::error(E_CYCLE, format!("dependency cycle: {} -> {}", names.join(" -> "), names[0]))
                .at(span)
                .address(first.to_string())
                .help("break the cycle: a resource cannot depend on itself through references or depends_on"),
        );
        in_cycle.extend(cycle);
    }
    // The order to evaluate in: dependencies first, blocks in a cycle left out.
    {
        let mut g = ResourceGraph::default();
        for n in block_graph.graph.node_weights() {
            if !in_cycle.contains(n) {
                g.add_node(n.clone());
            }
        }
        for (me, refs) in &node_refs {
            for (dep, _, _) in refs {
                if g.contains(dep) && g.contains(me) {
                    g.add_edge(dep, me, EdgeKind::Reference);
                }
            }
        }
        g.order().unwrap_or_default()
    }
}

pub(super) fn collect_body_refs(
    body: &hcl_edit::structure::Body,
    out: &mut Vec<(Address, std::ops::Range<usize>)>,
) {
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => out.extend(references(&a.value, names())),
            Structure::Block(b) => collect_body_refs(&b.body, out),
        }
    }
}

/// What an expression may start with that names a block: the resource kinds and `module`.
pub(super) fn names() -> &'static [&'static str] {
    static NAMES: std::sync::LazyLock<Vec<&'static str>> =
        std::sync::LazyLock::new(|| RESOURCE_KINDS.iter().copied().chain(["module"]).collect());
    &NAMES
}
