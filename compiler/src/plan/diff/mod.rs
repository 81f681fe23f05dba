//! Stage `diff`: desired state + live snapshot -> [`Plan`]. Pure. Compares canonical forms so
//! what IAM and Kubernetes rewrite (statement and list order, a string vs a one-element list,
//! condition order, white space, defaults) never shows as a change, and what the user did not
//! specify (thumbprints, other writers' labels) is not compared.
//!
//! This file owns the walk; what it holds is split by concern: [`identity`] (which live
//! pieces are a resource's, ownership), [`normalize`] (the comparable form), [`decide`] (the
//! action, replace pairings), [`orphans`] (deletes, `destroy`, `prevent_destroy`, delete
//! order), [`target`] (`--target`, namespaces). What differs per kind is in `crate::kinds`.

mod decide;
mod identity;
mod normalize;
mod orphans;
mod target;

pub use identity::import_id;
pub use normalize::normalize;
pub use target::{missing_namespaces, namespaces_to_check};

use crate::desired::graph::ResourceGraph;
use crate::desired::model::DesiredState;
use crate::diag::Diagnostics;
use crate::kinds;
use crate::kinds::kind::ObjectKey;
use crate::language::value::Address;
use crate::plan::adopt;
use crate::plan::live::{self, LiveObject, LiveState};
use crate::plan::render::{self};
use crate::plan::rendered::RenderedKind;
use crate::plan::rendered::RenderedResource;
use crate::plan::{Action, Change, ClusterTarget, Importing, Plan, ABSENT, PLAN_FORMAT_VERSION};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use identity::E_NOT_OWNED;
pub use orphans::E_PREVENT_DESTROY;
pub use target::W_NO_NAMESPACE;

#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// `--target`: only these addresses and what they depend on; no orphan deletes.
    pub targets: Vec<Address>,
    /// `destroy`: every owned object is deleted.
    pub destroy: bool,
}

pub fn diff(
    desired: &DesiredState,
    graph: &ResourceGraph,
    live: &LiveState,
    opts: &DiffOptions,
) -> (Plan, Diagnostics) {
    let stack = desired.stack.name.as_str();
    let rendered = render::render(desired);
    let mut diags = Diagnostics::default();
    let by_key: HashMap<&str, &LiveObject> =
        live.objects.iter().map(|o| (o.key.as_str(), o)).collect();
    let resources = in_graph_order(&rendered, graph);
    let in_scope = target::in_scope(graph, &opts.targets);
    let managed: BTreeSet<&str> = resources.iter().map(|r| r.address.as_str()).collect();
    let mut consumed: BTreeSet<ObjectKey> = BTreeSet::new();
    let mut read: BTreeMap<ObjectKey, String> = BTreeMap::new();
    let mut changes: Vec<Change> = vec![];
    let mut replaced_roles: BTreeMap<String, String> = BTreeMap::new();

    read_existing(desired, &by_key, &mut consumed, &mut read, &mut diags);

    for r in &resources {
        let import = adopt::import_for(desired, &r.address);
        let identity::Found {
            wanted,
            pieces,
            adopting,
            foreign,
        } = identity::find(
            desired,
            r,
            import,
            live,
            &by_key,
            &mut consumed,
            &mut read,
            &mut diags,
        );
        if let (Some(imp), true) = (import, pieces.is_empty() && !foreign) {
            diags.push(adopt::import_missing(imp, &identity::describe(&r.kind)));
        }
        if in_scope.as_ref().is_some_and(|s| !s.contains(&r.address)) {
            continue;
        }
        let before = identity::merge_pieces(&r.kind, &pieces);
        // An adopted object is compared as it will be: with the mark apply adds.
        let compared = before.as_ref().map(|b| {
            if adopting {
                adopt::marked(b, stack)
            } else {
                b.clone()
            }
        });
        let (action, reason) = decide::decide(compared.as_ref(), &r.kind);
        if let (Action::Replace, RenderedKind::Role { arn, .. }) = (action, &r.kind) {
            replaced_roles.insert(arn.clone(), r.address.clone());
        }
        changes.push(Change {
            address: r.address.clone(),
            kind: r.kind.type_name().to_string(),
            action,
            reason,
            importing: import
                .filter(|_| adopting)
                .map(|i| Importing { id: i.id.clone() }),
            before: before.map(|k| live::resource(r.address.clone(), k)),
            after: Some((*r).clone()),
            depends_on: managed_dependencies(graph, &r.address, &managed),
            keys: pieces
                .iter()
                .map(|p| p.key.clone())
                .chain(wanted.iter().cloned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            sensitive: vec![],
            security: vec![],
        });
    }

    decide::follow_replaced_roles(&mut changes, &replaced_roles);

    // Owned objects no longer declared.
    let mut deletes = if opts.targets.is_empty() {
        orphans::orphans(live, stack, &consumed, &mut read)
    } else {
        vec![]
    };
    decide::pair_replacements(&mut changes, &mut deletes);
    decide::pair_access_entries(&mut changes, &mut deletes);
    if opts.destroy {
        // Every declared, owned object goes too; prevent_destroy refuses.
        let all = orphans::destroy_all(&mut changes, desired, &mut diags);
        deletes.extend(all);
    }
    orphans::refuse_protected_replaces(&changes, desired, &mut diags);
    changes.extend(orphans::ordered(deletes));

    let clusters = ClusterTarget::all_of(desired);
    let mut plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        stack: stack.to_string(),
        account_id: live.account_id.clone(),
        partition: desired.stack.partition.clone(),
        changes,
        clusters,
        aws: (&desired.aws).into(),
        read,
        create_namespaces: desired
            .resources
            .iter()
            .filter(|r| kinds::namespaces(r).is_some_and(|n| n.created))
            .map(|r| r.address.to_string())
            .collect(),
        diagnostics: vec![],
        source: None,
        broadening: 0,
        signature: None,
    };
    crate::review::security::review(&mut plan, live);
    (plan, diags)
}

/// The rendered resources in the graph's order (what is not in the graph last).
fn in_graph_order<'r>(
    rendered: &'r crate::plan::rendered::Rendered,
    graph: &ResourceGraph,
) -> Vec<&'r RenderedResource> {
    let order: Vec<String> = graph
        .order()
        .unwrap_or_default()
        .iter()
        .map(|a| a.to_string())
        .collect();
    let position: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, a)| (a.as_str(), i))
        .collect();
    let mut resources: Vec<&RenderedResource> = rendered.resources.iter().collect();
    resources.sort_by_key(|r| {
        position
            .get(r.address.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    resources
}

/// `existing = true` objects: read, never changed; an error when missing.
fn read_existing(
    desired: &DesiredState,
    by_key: &HashMap<&str, &LiveObject>,
    consumed: &mut BTreeSet<ObjectKey>,
    read: &mut BTreeMap<ObjectKey, String>,
    diags: &mut Diagnostics,
) {
    for r in adopt::rendered_existing(desired) {
        for k in crate::kinds::keys(&r.kind) {
            if let Some(o) = by_key.get(k.as_str()) {
                consumed.insert(k.clone());
                read.insert(k, o.fingerprint.clone());
            } else {
                read.insert(k, ABSENT.to_string());
                if let Some(res) = Address::parse(&r.address).and_then(|a| desired.get(&a)) {
                    diags.push(adopt::existing_missing(
                        res,
                        &adopt::describe_existing(&r.kind),
                    ));
                }
            }
        }
    }
}

/// The resources of the plan that `address` depends on.
fn managed_dependencies(
    graph: &ResourceGraph,
    address: &str,
    managed: &BTreeSet<&str>,
) -> Vec<String> {
    Address::parse(address)
        .map(|a| {
            graph
                .dependencies(&a)
                .into_iter()
                .map(|d| d.to_string())
                .filter(|d| managed.contains(d.as_str()))
                .collect()
        })
        .unwrap_or_default()
}
