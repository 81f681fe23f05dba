//! Stage `diff`: desired state + live snapshot -> [`Plan`]. Pure. Compares canonical forms so
//! what IAM and Kubernetes rewrite (statement and list order, a string vs a one-element list,
//! condition order, white space, defaults) never shows as a change, and what the user did not
//! specify (thumbprints, other writers' labels) is not compared.

use crate::adopt;
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::ResourceGraph;
use crate::iam;
use crate::live::{self, LiveObject, LiveState, ObjectKey};
use crate::model::{DesiredState, ResourceKind};
use crate::plan::{Action, Change, ClusterTarget, Importing, Plan, ABSENT, PLAN_FORMAT_VERSION};
use crate::render::{self, RenderedKind, RenderedResource};
use crate::value::Address;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub const E_NOT_OWNED: &str = "E0701";
pub const E_PREVENT_DESTROY: &str = "E0702";
/// A warning: an object the plan creates goes into a namespace that is not there.
pub const W_NO_NAMESPACE: &str = "W0703";

#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// `--target`: only these addresses and what they depend on; no orphan deletes.
    pub targets: Vec<Address>,
    /// `destroy`: every owned object is deleted.
    pub destroy: bool,
}

/// The keys a desired resource may find live pieces under: its own pieces, and the pieces it
/// had under another mode (an `aws-auth` entry after a switch to access entries, an IRSA
/// account now in pod identity mode, a RoleBinding in a namespace no longer listed).
fn candidate_keys(kind: &RenderedKind, stack: &str, live: &LiveState) -> Vec<ObjectKey> {
    let mut keys = live::keys(kind);
    match kind {
        RenderedKind::ServiceAccount {
            cluster,
            manifest,
            pod_identity_association,
        } => {
            let ns = manifest["metadata"]["namespace"]
                .as_str()
                .or(pod_identity_association
                    .as_ref()
                    .map(|p| p.namespace.as_str()))
                .unwrap_or("");
            let name = manifest["metadata"]["name"]
                .as_str()
                .or(pod_identity_association
                    .as_ref()
                    .map(|p| p.service_account.as_str()))
                .unwrap_or("");
            keys.push(live::key_service_account(cluster, ns, name));
            keys.push(live::key_pod_identity(cluster, ns, name));
        }
        RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } => {
            let arn = access_entry
                .as_ref()
                .map(|e| e.principal_arn.clone())
                .or_else(|| aws_auth.as_ref().map(|a| a.arn().to_string()))
                .unwrap_or_default();
            keys.push(live::key_aws_auth(cluster, &render::strip_role_path(&arn)));
            keys.push(live::key_access_entry(cluster, &arn));
        }
        RenderedKind::RbacBinding { cluster, manifests } => {
            let names: BTreeSet<&str> = manifests
                .iter()
                .filter_map(|m| m["metadata"]["name"].as_str())
                .collect();
            for o in &live.objects {
                if let RenderedKind::RbacBinding {
                    cluster: c,
                    manifests: lm,
                } = &o.piece
                {
                    let n = lm
                        .first()
                        .and_then(|m| m["metadata"]["name"].as_str())
                        .unwrap_or("");
                    if c == cluster && names.contains(n) && o.owner.as_deref() == Some(stack) {
                        keys.push(o.key.clone());
                    }
                }
            }
        }
        _ => {}
    }
    let mut seen = BTreeSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    keys
}

/// Merges live pieces of one resource into one object of its type.
fn merge_pieces(kind: &RenderedKind, pieces: &[&LiveObject]) -> Option<RenderedKind> {
    if pieces.is_empty() {
        return None;
    }
    Some(match kind {
        RenderedKind::ServiceAccount { cluster, .. } => {
            let mut manifest = Json::Null;
            let mut pia = None;
            for p in pieces {
                if let RenderedKind::ServiceAccount {
                    manifest: m,
                    pod_identity_association: a,
                    ..
                } = &p.piece
                {
                    if !m.is_null() {
                        manifest = m.clone();
                    }
                    if a.is_some() {
                        pia = a.clone();
                    }
                }
            }
            RenderedKind::ServiceAccount {
                cluster: cluster.clone(),
                manifest,
                pod_identity_association: pia,
            }
        }
        RenderedKind::Access { cluster, .. } => {
            let (mut aa, mut ae) = (None, None);
            for p in pieces {
                if let RenderedKind::Access {
                    aws_auth,
                    access_entry,
                    ..
                } = &p.piece
                {
                    aa = aa.or(aws_auth.clone());
                    ae = ae.or(access_entry.clone());
                }
            }
            RenderedKind::Access {
                cluster: cluster.clone(),
                aws_auth: aa,
                access_entry: ae,
            }
        }
        RenderedKind::RbacBinding { cluster, .. } => {
            let mut manifests = vec![];
            for p in pieces {
                if let RenderedKind::RbacBinding { manifests: m, .. } = &p.piece {
                    manifests.extend(m.iter().cloned());
                }
            }
            manifests.sort_by_key(|m| {
                m["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            });
            RenderedKind::RbacBinding {
                cluster: cluster.clone(),
                manifests,
            }
        }
        _ => pieces[0].piece.clone(),
    })
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Labels/annotations: the desired ones must be present with the same values; others' are
/// not compared. `eks.amazonaws.com/role-arn` is compared both ways (it decides what pods get).
fn meta_subset(desired: &Json, live: &Json, field: &str) -> (Json, Json) {
    let d = desired["metadata"][field]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let l = live["metadata"][field]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut lv = serde_json::Map::new();
    for k in d.keys() {
        lv.insert(k.clone(), l.get(k).cloned().unwrap_or(Json::Null));
    }
    if field == "annotations" {
        if let Some(v) = l.get(render::ROLE_ARN_ANNOTATION) {
            lv.insert(render::ROLE_ARN_ANNOTATION.into(), v.clone());
        }
    }
    let mut dv: serde_json::Map<String, Json> = d;
    if field == "annotations"
        && lv.contains_key(render::ROLE_ARN_ANNOTATION)
        && !dv.contains_key(render::ROLE_ARN_ANNOTATION)
    {
        dv.insert(render::ROLE_ARN_ANNOTATION.into(), Json::Null);
    }
    (Json::Object(dv), Json::Object(lv))
}

fn manifest_view(m: &Json, reference: &Json) -> Json {
    if m.is_null() {
        return Json::Null;
    }
    let (_, labels) = meta_subset(reference, m, "labels");
    let (_, annotations) = meta_subset(reference, m, "annotations");
    let mut subjects: Vec<Json> = m["subjects"].as_array().cloned().unwrap_or_default();
    subjects.sort_by_key(|s| s.to_string());
    json!({
        "kind": m["kind"], "name": m["metadata"]["name"], "namespace": m["metadata"]["namespace"],
        "labels": labels, "annotations": annotations, "roleRef": m["roleRef"], "subjects": subjects,
    })
}

/// The comparable form of a resource, seen through the desired one (what it specifies).
pub fn normalize(kind: &RenderedKind, desired: &RenderedKind) -> Json {
    match (kind, desired) {
        (
            RenderedKind::OidcProvider {
                url,
                client_ids,
                thumbprints,
                tags,
                ..
            },
            RenderedKind::OidcProvider {
                thumbprints: dt, ..
            },
        ) => json!({
            "url": url.trim_end_matches('/'), "client_ids": sorted(client_ids),
            "thumbprints": dt.as_ref().map(|_| sorted(&thumbprints.clone().unwrap_or_default().iter().map(|t| t.to_lowercase()).collect::<Vec<_>>())),
            "tags": sorted_map(tags),
        }),
        (
            RenderedKind::SamlProvider {
                name,
                metadata,
                tags,
                ..
            },
            _,
        ) => json!({ "name": name, "metadata": metadata.trim(), "tags": sorted_map(tags) }),
        (
            RenderedKind::Policy {
                name,
                path,
                description,
                document,
                tags,
                ..
            },
            _,
        ) => {
            json!({ "name": name, "path": path, "description": description, "document": iam::canonical(document), "tags": sorted_map(tags) })
        }
        (
            RenderedKind::Role {
                name,
                path,
                description,
                max_session_duration,
                permissions_boundary,
                tags,
                trust_policy,
                policies,
                inline_policies,
                ..
            },
            _,
        ) => json!({
            "name": name, "path": path, "description": description, "max_session_duration": max_session_duration,
            "permissions_boundary": permissions_boundary, "tags": sorted_map(tags),
            "trust_policy": iam::canonical(trust_policy), "policies": sorted(policies),
            "inline_policies": inline_policies.iter().map(|(k, v)| (k.clone(), iam::canonical(v))).collect::<BTreeMap<_, _>>(),
        }),
        (
            RenderedKind::ServiceAccount {
                manifest,
                pod_identity_association,
                ..
            },
            RenderedKind::ServiceAccount { manifest: dm, .. },
        ) => json!({
            "manifest": manifest_view(manifest, dm),
            "pod_identity_association": pod_identity_association.as_ref().map(|p| json!({ "role_arn": p.role_arn })),
        }),
        (
            RenderedKind::Access {
                aws_auth,
                access_entry,
                ..
            },
            RenderedKind::Access {
                access_entry: de, ..
            },
        ) => json!({
            "aws_auth": aws_auth.as_ref().map(|a| json!({ "arn": a.arn(), "username": a.username, "groups": sorted(&a.groups) })),
            "access_entry": access_entry.as_ref().map(|e| {
                let mut pols: Vec<Json> = e.access_policies.iter().map(|p| json!({ "policy_arn": p.policy_arn, "type": p.access_scope.scope_type, "namespaces": sorted(&p.access_scope.namespaces) })).collect();
                pols.sort_by_key(|p| p.to_string());
                // EKS generates a username when none is given: compare only a specified one.
                let username = if de.as_ref().is_some_and(|d| d.username.is_some()) { json!(e.username) } else { Json::Null };
                json!({ "principal_arn": e.principal_arn, "username": username, "groups": sorted(&e.kubernetes_groups), "type": e.entry_type, "policies": pols })
            }),
        }),
        (
            RenderedKind::RbacBinding { manifests, .. },
            RenderedKind::RbacBinding { manifests: dm, .. },
        ) => {
            let reference = dm.first().cloned().unwrap_or(Json::Null);
            let mut v: Vec<Json> = manifests
                .iter()
                .map(|m| manifest_view(m, &reference))
                .collect();
            v.sort_by_key(|m| m.to_string());
            json!(v)
        }
        (other, _) => serde_json::to_value(other).unwrap_or_default(),
    }
}

fn sorted_map(m: &indexmap::IndexMap<String, String>) -> BTreeMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn replace_reason(before: &RenderedKind, after: &RenderedKind) -> Option<String> {
    match (before, after) {
        (RenderedKind::Role { path: a, .. }, RenderedKind::Role { path: b, .. }) if a != b => {
            Some(format!("path changed from {a} to {b}"))
        }
        (
            RenderedKind::Policy { description: a, .. },
            RenderedKind::Policy { description: b, .. },
        ) if a != b => {
            Some("description changed (IAM cannot update a policy's description)".into())
        }
        (
            RenderedKind::Access {
                access_entry: Some(a),
                ..
            },
            RenderedKind::Access {
                access_entry: Some(b),
                ..
            },
        ) if a.entry_type != b.entry_type => Some(format!(
            "access entry type changed from {} to {} (immutable)",
            a.entry_type, b.entry_type
        )),
        _ => None,
    }
}

/// Deletes run dependents first: cluster-side pieces, then roles, then policies, then providers.
fn delete_tier(kind: &RenderedKind) -> u8 {
    match kind {
        RenderedKind::ServiceAccount { .. }
        | RenderedKind::Access { .. }
        | RenderedKind::RbacBinding { .. } => 0,
        RenderedKind::Role { .. } => 1,
        RenderedKind::Policy { .. } => 2,
        RenderedKind::OidcProvider { .. } | RenderedKind::SamlProvider { .. } => 3,
    }
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
    let in_scope: Option<BTreeSet<String>> = (!opts.targets.is_empty()).then(|| {
        graph
            .closure(&opts.targets)
            .into_iter()
            .map(|a| a.to_string())
            .collect()
    });
    let managed: BTreeSet<&str> = resources.iter().map(|r| r.address.as_str()).collect();
    let mut consumed: BTreeSet<ObjectKey> = BTreeSet::new();
    let mut read: BTreeMap<ObjectKey, String> = BTreeMap::new();
    let mut changes: Vec<Change> = vec![];
    let mut replaced_roles: BTreeMap<String, String> = BTreeMap::new();

    // `existing = true` objects: read, never changed; an error when missing.
    for r in adopt::rendered_existing(desired) {
        for k in live::keys(&r.kind) {
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

    for r in &resources {
        let wanted = live::keys(&r.kind);
        let candidates = candidate_keys(&r.kind, stack, live);
        let import = adopt::import_for(desired, &r.address);
        let (mut adopting, mut foreign) = (false, false);
        let mut pieces = vec![];
        for k in &candidates {
            if let Some(o) = by_key.get(k.as_str()) {
                consumed.insert(k.clone());
                if o.owner.as_deref() == Some(stack) {
                    pieces.push(*o);
                } else if let (Some(imp), true) = (import, wanted.contains(k)) {
                    match &o.owner {
                        None => {
                            pieces.push(*o);
                            adopting = true;
                        }
                        Some(other) => {
                            foreign = true;
                            diags.push(adopt::import_foreign(imp, &describe(&o.piece), other))
                        }
                    }
                } else if wanted.contains(k) {
                    let who = match &o.owner {
                        Some(other) => format!("is owned by the stack `{other}`"),
                        None => "exists but does not carry this stack's ownership mark".to_string(),
                    };
                    let res = desired.get(
                        &Address::parse(&r.address).unwrap_or_else(|| Address::new("?", "?", None)),
                    );
                    diags.push(
                        Diagnostic::error(
                            E_NOT_OWNED,
                            format!(
                                "{} {who}; eksfed never changes objects it does not own",
                                describe(&o.piece)
                            ),
                        )
                        .at(res.map(|x| x.block.span.clone()))
                        .address(r.address.clone())
                        .help(match &o.owner {
                            Some(_) => "remove it from the other stack first, or rename it here"
                                .to_string(),
                            None => format!(
                                "adopt it with `eksfed import {} {}`",
                                r.address,
                                import_id(&o.piece)
                            ),
                        }),
                    );
                }
                read.insert(k.clone(), o.fingerprint.clone());
            } else {
                read.insert(k.clone(), ABSENT.to_string());
            }
        }
        if let (Some(imp), true) = (import, pieces.is_empty() && !foreign) {
            diags.push(adopt::import_missing(imp, &describe(&r.kind)));
        }
        if in_scope.as_ref().is_some_and(|s| !s.contains(&r.address)) {
            continue;
        }
        let before = merge_pieces(&r.kind, &pieces);
        // An adopted object is compared as it will be: with the mark apply adds.
        let compared = before.as_ref().map(|b| {
            if adopting {
                adopt::marked(b, stack)
            } else {
                b.clone()
            }
        });
        let (action, reason) = match &compared {
            None => (Action::Create, None),
            Some(b) => {
                if normalize(b, &r.kind) == normalize(&r.kind, &r.kind) {
                    (Action::NoOp, None)
                } else if let Some(why) = replace_reason(b, &r.kind) {
                    (Action::Replace, Some(why))
                } else {
                    (Action::Update, None)
                }
            }
        };
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
            depends_on: Address::parse(&r.address)
                .map(|a| {
                    graph
                        .dependencies(&a)
                        .into_iter()
                        .map(|d| d.to_string())
                        .filter(|d| managed.contains(d.as_str()))
                        .collect()
                })
                .unwrap_or_default(),
            keys: pieces
                .iter()
                .map(|p| p.key.clone())
                .chain(wanted.iter().cloned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        });
    }

    // A recreated role is a new principal: its access entries must be recreated too.
    for c in &mut changes {
        if let Some(RenderedResource {
            kind:
                RenderedKind::Access {
                    access_entry: Some(e),
                    ..
                },
            ..
        }) = &c.after
        {
            if let Some(role) = replaced_roles.get(&e.principal_arn) {
                if c.action != Action::Create {
                    c.action = Action::Replace;
                    c.reason = Some(format!("{role} is replaced; an access entry stops working when its role is recreated"));
                }
            }
        }
    }

    // Owned objects no longer declared.
    let mut deletes: Vec<(u8, Change)> = vec![];
    if opts.targets.is_empty() {
        for o in &live.objects {
            if consumed.contains(&o.key) || o.owner.as_deref() != Some(stack) {
                continue;
            }
            read.insert(o.key.clone(), o.fingerprint.clone());
            let address = live::orphan_address(&o.piece);
            deletes.push((
                delete_tier(&o.piece),
                Change {
                    address: address.clone(),
                    kind: o.piece.type_name().to_string(),
                    action: Action::Delete,
                    reason: Some("owned by this stack but no longer declared".into()),
                    before: Some(live::resource(address, o.piece.clone())),
                    after: None,
                    depends_on: vec![],
                    keys: vec![o.key.clone()],
                    importing: None,
                },
            ));
        }
    }
    pair_replacements(&mut changes, &mut deletes);
    pair_access_entries(&mut changes, &mut deletes);
    if opts.destroy {
        // Every declared, owned object goes too; prevent_destroy refuses.
        let mut out = vec![];
        for c in changes.drain(..) {
            if let Some(before) = c.before {
                let res = desired.get(
                    &Address::parse(&c.address).unwrap_or_else(|| Address::new("?", "?", None)),
                );
                if res.is_some_and(|r| r.prevent_destroy) {
                    diags.push(
                        Diagnostic::error(
                            E_PREVENT_DESTROY,
                            format!(
                                "{} has lifecycle.prevent_destroy; destroy refuses to delete it",
                                c.address
                            ),
                        )
                        .at(res.map(|r| r.block.span.clone()))
                        .address(c.address.clone()),
                    );
                    continue;
                }
                let tier = delete_tier(&before.kind);
                out.push((
                    tier,
                    Change {
                        action: Action::Delete,
                        reason: Some("destroy".into()),
                        after: None,
                        depends_on: vec![],
                        before: Some(before),
                        ..c
                    },
                ));
            }
        }
        deletes.extend(out);
    }
    for c in &changes {
        if c.action == Action::Replace {
            if let Some(res) = desired
                .get(&Address::parse(&c.address).unwrap_or_else(|| Address::new("?", "?", None)))
            {
                if res.prevent_destroy {
                    diags.push(
                        Diagnostic::error(
                            E_PREVENT_DESTROY,
                            format!(
                                "{} must be replaced ({}), but has lifecycle.prevent_destroy",
                                c.address,
                                c.reason.clone().unwrap_or_default()
                            ),
                        )
                        .at(Some(res.block.span.clone()))
                        .address(c.address.clone()),
                    );
                }
            }
        }
    }
    // Deletes: dependents first, each tier after the one before it.
    deletes.sort_by(|a, b| (a.0, &a.1.address).cmp(&(b.0, &b.1.address)));
    let mut prev_tier_addrs: Vec<String> = vec![];
    let mut cur_tier = None;
    let mut cur_addrs: Vec<String> = vec![];
    for (tier, c) in &mut deletes {
        if cur_tier != Some(*tier) {
            prev_tier_addrs.append(&mut cur_addrs);
            cur_tier = Some(*tier);
        }
        c.depends_on = prev_tier_addrs.clone();
        cur_addrs.push(c.address.clone());
    }
    changes.extend(deletes.into_iter().map(|(_, c)| c));

    let clusters = desired
        .resources
        .iter()
        .filter_map(|r| match &r.kind {
            ResourceKind::Cluster(c) => Some((
                crate::render::cluster_key(&r.address),
                ClusterTarget {
                    name: c.name.clone(),
                    region: c.region.clone(),
                    kube_context: c.kube_context.clone(),
                    access_mode: c.access_mode,
                },
            )),
            _ => None,
        })
        .collect();
    let plan = Plan {
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
            .filter(|r| matches!(&r.kind, ResourceKind::ServiceAccount(sa) if sa.create_namespace))
            .map(|r| r.address.to_string())
            .collect(),
        diagnostics: vec![],
    };
    (plan, diags)
}

/// A create and a delete of the same type, one each: the object was renamed (URL or name
/// changed). Shown and applied as one replace.
fn pair_replacements(changes: &mut [Change], deletes: &mut Vec<(u8, Change)>) {
    for kind in ["oidc_provider", "saml_provider", "policy", "role"] {
        let creates: Vec<usize> = changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == kind && c.action == Action::Create)
            .map(|(i, _)| i)
            .collect();
        let dels: Vec<usize> = deletes
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| c.kind == kind)
            .map(|(i, _)| i)
            .collect();
        if creates.len() == 1 && dels.len() == 1 {
            let (_, d) = deletes.remove(dels[0]);
            let c = &mut changes[creates[0]];
            let what = match kind {
                "oidc_provider" => "url",
                _ => "name",
            };
            c.action = Action::Replace;
            c.reason = Some(format!("{what} changed (was {})", d.address));
            c.before = d.before.map(|b| live::resource(c.address.clone(), b.kind));
            c.keys.extend(d.keys);
        }
    }
}

/// An access entry's principal is immutable: when its role's ARN changes (path or name), the
/// entry for the new ARN is created and the one for the old ARN deleted. Shown as one replace
/// when the old entry belongs to a role of the same name in the same cluster.
fn pair_access_entries(changes: &mut [Change], deletes: &mut Vec<(u8, Change)>) {
    let role_name = |arn: &str| arn.rsplit('/').next().unwrap_or(arn).to_string();
    for c in changes
        .iter_mut()
        .filter(|c| c.kind == "access" && c.action == Action::Create)
    {
        let Some(RenderedResource {
            kind:
                RenderedKind::Access {
                    cluster,
                    access_entry: Some(new),
                    ..
                },
            ..
        }) = &c.after
        else {
            continue;
        };
        let found = deletes.iter().position(|(_, d)| {
            matches!(&d.before, Some(RenderedResource { kind: RenderedKind::Access { cluster: dc, access_entry: Some(old), .. }, .. })
                if dc == cluster && role_name(&old.principal_arn) == role_name(&new.principal_arn) && old.principal_arn != new.principal_arn)
        });
        if let Some(i) = found {
            let (_, d) = deletes.remove(i);
            let old_arn = match &d.before {
                Some(RenderedResource {
                    kind:
                        RenderedKind::Access {
                            access_entry: Some(o),
                            ..
                        },
                    ..
                }) => o.principal_arn.clone(),
                _ => String::new(),
            };
            c.action = Action::Replace;
            c.reason = Some(format!("principal changed from {old_arn} (an access entry's principal is immutable; the role was recreated)"));
            c.before = d.before.map(|b| live::resource(c.address.clone(), b.kind));
            c.keys.extend(d.keys);
        }
    }
}

fn describe(p: &RenderedKind) -> String {
    match p {
        RenderedKind::OidcProvider { arn, .. } => format!("the OIDC provider {arn}"),
        RenderedKind::SamlProvider { arn, .. } => format!("the SAML provider {arn}"),
        RenderedKind::Policy { arn, .. } => format!("the policy {arn}"),
        RenderedKind::Role { name, .. } => format!("the role {name}"),
        RenderedKind::ServiceAccount {
            cluster,
            manifest,
            pod_identity_association,
        } => match pod_identity_association {
            Some(a) if manifest.is_null() => format!(
                "the pod identity association for {}/{} in cluster {cluster}",
                a.namespace, a.service_account
            ),
            _ => format!(
                "the ServiceAccount {}/{} in cluster {cluster}",
                manifest["metadata"]["namespace"].as_str().unwrap_or(""),
                manifest["metadata"]["name"].as_str().unwrap_or("")
            ),
        },
        RenderedKind::Access {
            cluster,
            aws_auth,
            access_entry,
        } => match (aws_auth, access_entry) {
            (Some(a), _) => format!("the aws-auth entry for {} in cluster {cluster}", a.arn()),
            (_, Some(e)) => format!(
                "the access entry for {} in cluster {cluster}",
                e.principal_arn
            ),
            _ => "an access mapping".into(),
        },
        RenderedKind::RbacBinding { cluster, manifests } => {
            let m = manifests.first().cloned().unwrap_or(Json::Null);
            format!(
                "the {} {} in cluster {cluster}",
                m["kind"].as_str().unwrap_or(""),
                m["metadata"]["name"].as_str().unwrap_or("")
            )
        }
    }
}

/// The ID `eksfed import` takes for a piece.
pub fn import_id(p: &RenderedKind) -> String {
    match p {
        RenderedKind::OidcProvider { arn, .. }
        | RenderedKind::SamlProvider { arn, .. }
        | RenderedKind::Policy { arn, .. } => arn.clone(),
        RenderedKind::Role { name, .. } => name.clone(),
        RenderedKind::ServiceAccount {
            manifest,
            pod_identity_association,
            ..
        } => match pod_identity_association {
            Some(a) if manifest.is_null() => format!("{}/{}", a.namespace, a.service_account),
            _ => format!(
                "{}/{}",
                manifest["metadata"]["namespace"].as_str().unwrap_or(""),
                manifest["metadata"]["name"].as_str().unwrap_or("")
            ),
        },
        RenderedKind::Access {
            aws_auth,
            access_entry,
            ..
        } => aws_auth
            .as_ref()
            .map(|a| a.arn().to_string())
            .or_else(|| access_entry.as_ref().map(|e| e.principal_arn.clone()))
            .unwrap_or_default(),
        RenderedKind::RbacBinding { manifests, .. } => {
            let m = manifests.first().cloned().unwrap_or(Json::Null);
            format!(
                "{}/{}",
                m["metadata"]["namespace"].as_str().unwrap_or(""),
                m["metadata"]["name"].as_str().unwrap_or("")
            )
        }
    }
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
        .filter_map(|r| match &r.kind {
            ResourceKind::ServiceAccount(sa) => {
                Some((render::cluster_key(&sa.cluster), sa.namespace.clone()))
            }
            _ => None,
        })
        .collect()
}

fn namespace_uses<'d>(
    desired: &'d DesiredState,
    plan: &'d Plan,
) -> impl Iterator<Item = (&'d crate::model::Resource, String, String)> + 'd {
    let created = namespaces_created(desired, plan);
    plan.changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Replace))
        .filter(|c| !plan.create_namespaces.contains(&c.address))
        .filter_map(|c| Address::parse(&c.address))
        .filter_map(|a| desired.get(&a))
        .flat_map(|r| {
            let uses: Vec<(String, String)> = match &r.kind {
                ResourceKind::ServiceAccount(sa) if !sa.create_namespace => {
                    vec![(render::cluster_key(&sa.cluster), sa.namespace.clone())]
                }
                ResourceKind::RbacBinding(b) => b
                    .namespaces
                    .iter()
                    .map(|ns| (render::cluster_key(&b.cluster), ns.clone()))
                    .collect(),
                _ => vec![],
            };
            uses.into_iter().map(move |(c, ns)| (r, c, ns))
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
        let (attr, fix) = match r.kind {
            ResourceKind::ServiceAccount(_) => (
                "namespace",
                "create it first, or set `create_namespace = true`",
            ),
            _ => ("namespaces", "create it first"),
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
