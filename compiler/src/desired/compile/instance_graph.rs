//! Stage *graph*: the instance graph (references per instance, `depends_on`, and the implicit
//! edge from the stack's `oidc_provider` of a cluster's issuer to roles trusting that
//! cluster's service accounts); its cycles are errors.

use super::inputs::E_CYCLE;
use crate::desired::graph::{EdgeKind, ResourceGraph};
use crate::desired::model::{Resource, ResourceKind};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds;
use crate::language::value::Address;
use std::collections::HashMap;

pub(super) fn instance_graph(
    instances: &[Resource],
    instance_deps: &HashMap<Address, Vec<Address>>,
    diags: &mut Diagnostics,
) -> ResourceGraph {
    let mut graph = ResourceGraph::default();
    for r in instances {
        graph.add_node(r.address.clone());
    }
    for r in instances {
        for d in instance_deps.get(&r.address).into_iter().flatten() {
            if graph.contains(d) {
                graph.add_edge(d, &r.address, EdgeKind::Reference);
            }
        }
        for d in &r.depends_on {
            graph.add_edge(d, &r.address, EdgeKind::DependsOn);
        }
        // Implicit: IRSA trust on a cluster -> the stack's oidc_provider for that issuer.
        for (_, issuer) in kinds::trusted_clusters(r) {
            for p in instances {
                if let ResourceKind::OidcProvider(op) = &p.kind {
                    if crate::kinds::lowering::strip_https(&op.url) == issuer {
                        graph.add_edge(&p.address, &r.address, EdgeKind::Issuer);
                    }
                }
            }
        }
    }
    for cycle in graph.cycles() {
        let names: Vec<String> = cycle.iter().map(|a| a.to_string()).collect();
        let span = instances
            .iter()
            .find(|r| r.address == cycle[0])
            .map(|r| r.block.span.clone());
        diags.push(
            Diagnostic::error(
                E_CYCLE,
                format!("dependency cycle: {} -> {}", names.join(" -> "), names[0]),
            )
            .at(span)
            .address(names[0].clone()),
        );
    }
    graph
}
