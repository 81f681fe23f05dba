//! What a plan is limited to and what it needs of a cluster: the `--target` scope, and the
//! namespaces its new service accounts and bindings go into (W0703 for those missing).

use crate::desired::graph::ResourceGraph;
use crate::desired::model::DesiredState;
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds;
use crate::language::value::Address;
use crate::plan::{Action, Plan};
use std::collections::{BTreeMap, BTreeSet};

/// A warning: an object the plan creates goes into a namespace that is not there.
pub const W_NO_NAMESPACE: &str = "W0703";

/// `--target`: the addresses planned (the targets and what they depend on); `None` without
/// targets (everything).
pub(super) fn in_scope(graph: &ResourceGraph, targets: &[Address]) -> Option<BTreeSet<String>> {
    (!targets.is_empty()).then(|| {
        graph
            .closure(targets)
            .into_iter()
            .map(|a| a.to_string())
            .collect()
    })
}

/// The namespaces, per cluster label, that the plan's creates and replaces of service
/// accounts and role bindings need and that eksfed will not create itself (a service account
/// without `create_namespace`, every namespaced binding). Empty for a plan that creates none,
/// so a steady-state plan lists nothing more.
pub fn namespaces_to_check(
    desired: &DesiredState,
    plan: &Plan,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, cluster, ns) in namespace_uses(desired, plan) {
        out.entry(cluster).or_default().insert(ns);
    }
    out
}

/// (cluster label, namespace) that applying the plan creates: those of its service accounts
/// with `create_namespace`.
fn namespaces_created(desired: &DesiredState, plan: &Plan) -> BTreeSet<(String, String)> {
    plan.create_namespaces
        .iter()
        .filter_map(|a| desired.get(&Address::parse(a)?))
        .filter_map(kinds::namespaces)
        .filter(|n| n.created)
        .flat_map(kinds::k8s::Namespaces::each)
        .collect()
}

fn namespace_uses<'d>(
    desired: &'d DesiredState,
    plan: &'d Plan,
) -> impl Iterator<Item = (&'d crate::desired::model::Resource, String, String)> + 'd {
    let created = namespaces_created(desired, plan);
    plan.changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Replace))
        .filter(|c| !plan.create_namespaces.contains(&c.address))
        .filter_map(|c| Address::parse(&c.address))
        .filter_map(|a| desired.get(&a))
        .flat_map(|r| {
            let needed = kinds::namespaces(r).filter(|n| !n.created);
            needed
                .into_iter()
                .flat_map(kinds::k8s::Namespaces::each)
                .map(move |(c, ns)| (r, c, ns))
        })
        .filter(move |(_, c, ns)| !created.contains(&(c.clone(), ns.clone())))
}

/// Warnings (W0703) for the namespaces of [`namespaces_to_check`] that are not in
/// `existing` (per cluster label, as listed live): applying those changes would fail.
/// Clusters in `unchecked` (their namespaces could not be listed) get none.
pub fn missing_namespaces(
    desired: &DesiredState,
    plan: &Plan,
    existing: &BTreeMap<String, BTreeSet<String>>,
    unchecked: &[String],
) -> Diagnostics {
    let mut d = Diagnostics::default();
    for (r, cluster, ns) in namespace_uses(desired, plan) {
        if unchecked.contains(&cluster)
            || existing
                .get(&cluster)
                .is_some_and(|have| have.contains(&ns))
        {
            continue;
        }
        let Some(kinds::k8s::Namespaces { attr, fix, .. }) = kinds::namespaces(r) else {
            continue;
        };
        d.push(
            Diagnostic::warning(
                W_NO_NAMESPACE,
                format!("namespace `{ns}` does not exist in cluster `{cluster}`: applying this would fail"),
            )
            .at(Some(r.block.span_of(attr)))
            .address(r.address.to_string())
            .help(fix),
        );
    }
    d
}
