//! Stage `graph`: the dependency DAG of resource instances. An edge `a -> b` means `a` must
//! exist before `b` (b references a, names it in `depends_on`, or trusts its issuer). Plan and
//! apply order their work by it.

use crate::language::value::Address;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    Reference,
    DependsOn,
    /// A `trust_service_account` naming a cluster depends on the stack's OIDC provider for
    /// that cluster's issuer: IAM rejects a trust policy naming a provider that does not exist.
    Issuer,
}

#[derive(Debug, Clone, Default)]
pub struct ResourceGraph {
    pub graph: DiGraph<Address, EdgeKind>,
    index: HashMap<Address, NodeIndex>,
    /// Edges already present: `edges_connecting` would scan a node's edges each time, which is
    /// quadratic for a cluster or policy that thousands of resources reference.
    edges: std::collections::HashSet<(NodeIndex, NodeIndex, EdgeKind)>,
}

impl ResourceGraph {
    pub fn add_node(&mut self, a: Address) -> NodeIndex {
        if let Some(i) = self.index.get(&a) {
            return *i;
        }
        let i = self.graph.add_node(a.clone());
        self.index.insert(a, i);
        i
    }

    /// `from` must exist before `to`.
    pub fn add_edge(&mut self, from: &Address, to: &Address, kind: EdgeKind) {
        if from == to {
            return;
        }
        let (f, t) = (self.add_node(from.clone()), self.add_node(to.clone()));
        if self.edges.insert((f, t, kind)) {
            self.graph.add_edge(f, t, kind);
        }
    }

    pub fn contains(&self, a: &Address) -> bool {
        self.index.contains_key(a)
    }

    /// Addresses in an order where every resource comes after what it depends on; ties broken
    /// by address so the order is stable. Err with the members of a cycle.
    pub fn order(&self) -> Result<Vec<Address>, Vec<Address>> {
        let mut indeg: HashMap<NodeIndex, usize> =
            self.graph.node_indices().map(|n| (n, 0)).collect();
        for e in self.graph.edge_references() {
            *indeg.entry(e.target()).or_default() += 1;
        }
        let mut ready: BTreeSet<(Address, NodeIndex)> = indeg
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(n, _)| (self.graph[*n].clone(), *n))
            .collect();
        let mut out = Vec::with_capacity(self.graph.node_count());
        while let Some(first) = ready.iter().next().cloned() {
            ready.remove(&first);
            out.push(first.0);
            for next in self.graph.neighbors(first.1) {
                if let Some(d) = indeg.get_mut(&next) {
                    *d -= 1;
                    if *d == 0 {
                        ready.insert((self.graph[next].clone(), next));
                    }
                }
            }
        }
        if out.len() == self.graph.node_count() {
            Ok(out)
        } else {
            Err(self.cycles().into_iter().next().unwrap_or_default())
        }
    }

    /// Every cycle (strongly connected component of more than one node), members sorted.
    pub fn cycles(&self) -> Vec<Vec<Address>> {
        // Kosaraju's walk keeps its own stack (Tarjan's in petgraph recurses once per node of a
        // chain, and a chain of 100,000 locals overflows the thread's stack).
        let mut cycles: Vec<Vec<Address>> = petgraph::algo::kosaraju_scc(&self.graph)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| {
                let mut v: Vec<Address> = c.into_iter().map(|n| self.graph[n].clone()).collect();
                v.sort();
                v
            })
            .collect();
        cycles.sort();
        cycles
    }

    /// Direct dependencies of `a`.
    pub fn dependencies(&self, a: &Address) -> Vec<Address> {
        let Some(i) = self.index.get(a) else {
            return vec![];
        };
        let mut v: Vec<Address> = self
            .graph
            .neighbors_directed(*i, petgraph::Direction::Incoming)
            .map(|n| self.graph[n].clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// `a` and everything it depends on, transitively (for `--target`).
    pub fn closure(&self, targets: &[Address]) -> BTreeSet<Address> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<Address> = targets.to_vec();
        while let Some(a) = stack.pop() {
            if seen.insert(a.clone()) {
                stack.extend(self.dependencies(&a));
            }
        }
        seen
    }

    fn sorted_edges(&self) -> Vec<(Address, Address, EdgeKind)> {
        let mut e: Vec<_> = self
            .graph
            .edge_references()
            .map(|e| {
                (
                    self.graph[e.source()].clone(),
                    self.graph[e.target()].clone(),
                    *e.weight(),
                )
            })
            .collect();
        e.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        e
    }

    fn sorted_nodes(&self) -> Vec<Address> {
        let mut n: Vec<Address> = self.graph.node_weights().cloned().collect();
        n.sort();
        n
    }

    /// Graphviz. Edges point from a dependency to what depends on it.
    pub fn to_dot(&self) -> String {
        let mut s = String::from("digraph eksfed {\n  rankdir = LR;\n  node [shape = box];\n");
        for n in self.sorted_nodes() {
            s.push_str(&format!("  {:?};\n", n.to_string()));
        }
        for (a, b, k) in self.sorted_edges() {
            let style = match k {
                EdgeKind::Reference => "",
                EdgeKind::DependsOn => " [style = dashed]",
                EdgeKind::Issuer => " [style = dotted, label = \"issuer\"]",
            };
            s.push_str(&format!(
                "  {:?} -> {:?}{};\n",
                a.to_string(),
                b.to_string(),
                style
            ));
        }
        s.push_str("}\n");
        s
    }

    pub fn to_mermaid(&self) -> String {
        let nodes = self.sorted_nodes();
        let id: HashMap<&Address, usize> = nodes.iter().enumerate().map(|(i, a)| (a, i)).collect();
        let mut s = String::from("flowchart LR\n");
        for (i, n) in nodes.iter().enumerate() {
            s.push_str(&format!(
                "  n{}[\"{}\"]\n",
                i,
                n.to_string().replace('"', "#quot;")
            ));
        }
        for (a, b, k) in self.sorted_edges() {
            let arrow = match k {
                EdgeKind::Reference => "-->",
                EdgeKind::DependsOn => "-.->",
                EdgeKind::Issuer => "-.->|issuer|",
            };
            s.push_str(&format!("  n{} {} n{}\n", id[&a], arrow, id[&b]));
        }
        s
    }
}
