//! Kubernetes: reading the objects a stack owns (ServiceAccounts, RoleBindings,
//! ClusterRoleBindings, entries of `kube-system/aws-auth`) and applying changes to them.
//!
//! Reading costs one LIST per kind and cluster (cluster-wide, no label selector, so objects
//! that hold a name the stack wants but lack its labels are found in the same request) plus
//! one GET of `aws-auth`: the count does not grow with the number of objects.
//!
//! Writing: ServiceAccounts and bindings by server-side apply with field manager `eksfed`;
//! a binding whose `roleRef` changes is deleted and created (roleRef is immutable). Before any
//! write to an existing object its labels are checked: an object of another stack, or with no
//! mark, is never changed.
//!
//! `aws-auth` is merged, never rewritten: `mapRoles` / `mapUsers` are split into their list
//! items as text, only this stack's items are removed, replaced or appended, and every other
//! item keeps its exact bytes (node groups, Fargate, other tools). Which entries the stack
//! owns is recorded on the ConfigMap in the annotation `eksfed.io/aws-auth.<stack>` (a JSON
//! list of ARNs). Writes use the resourceVersion read (optimistic concurrency) and start over
//! from a fresh read on 409 Conflict.

use crate::k8s_error::{api_err, escalation_hint};
use anyhow::{bail, Context, Result};
use eksfed_compiler::kinds;
use eksfed_compiler::kinds::kind::ObjectKey;
use eksfed_compiler::plan::live::{self, LiveObject};
use eksfed_compiler::plan::rendered::AwsAuthEntry;
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::plan::rendered::MANAGED_BY_LABEL;
use eksfed_compiler::plan::rendered::STACK_LABEL;
use eksfed_compiler::plan::{Action, Change};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

pub const FIELD_MANAGER: &str = "eksfed";
const AWS_AUTH_NS: &str = "kube-system";
const AWS_AUTH: &str = "aws-auth";

/// The annotation recording which `aws-auth` entries a stack owns.
pub fn ownership_annotation(stack: &str) -> String {
    let clean: String = stack
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = format!("aws-auth.{clean}");
    format!("eksfed.io/{}", &name[..name.len().min(63)])
}

/// The object as the diff sees it: no server-managed noise.
fn clean_manifest(mut v: Json) -> Json {
    if let Some(md) = v.get_mut("metadata").and_then(Json::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
            "selfLink",
        ] {
            md.remove(k);
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    v
}

fn owner_of(v: &Json) -> Option<String> {
    v["metadata"]["labels"][STACK_LABEL]
        .as_str()
        .map(String::from)
}

fn is_managed(v: &Json) -> bool {
    v["metadata"]["labels"][MANAGED_BY_LABEL].as_str() == Some("eksfed")
}

fn is_conflict(e: &kube::Error) -> bool {
    crate::error::Error::from_kube(e).is_conflict()
}

fn is_not_found(e: &kube::Error) -> bool {
    crate::error::Error::from_kube(e).is_missing()
}

fn push_manifests<T: serde::Serialize>(
    items: Vec<T>,
    cluster: &str,
    stack: &str,
    wanted: &BTreeSet<ObjectKey>,
    rbac: bool,
    out: &mut Vec<LiveObject>,
) {
    for item in items {
        let m = clean_manifest(serde_json::to_value(&item).unwrap_or_default());
        let key = eksfed_compiler::kinds::k8s::key_manifest(cluster, &m);
        let own = owner_of(&m).filter(|_| is_managed(&m));
        if !crate::filter::keep(&own, stack, &key, wanted) {
            continue;
        }
        let piece = if rbac {
            RenderedKind::RbacBinding {
                cluster: cluster.to_string(),
                manifests: vec![m],
            }
        } else {
            RenderedKind::ServiceAccount {
                cluster: cluster.to_string(),
                manifest: m,
                pod_identity_association: None,
            }
        };
        out.push(live::live_object(key, own, piece, BTreeMap::new()));
    }
}

/// The names of the cluster's namespaces (one LIST).
pub async fn namespaces(client: &kube::Client) -> Result<BTreeSet<String>> {
    let list = Api::<Namespace>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(|e| api_err("list Namespaces", e))?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect())
}

/// Reads the stack's objects in one cluster.
pub async fn read(
    client: &kube::Client,
    cluster: &str,
    stack: &str,
    wanted: &BTreeSet<ObjectKey>,
) -> Result<Vec<LiveObject>> {
    let mut out = vec![];
    let lp = ListParams::default();
    let sas = Api::<ServiceAccount>::all(client.clone())
        .list(&lp)
        .await
        .map_err(|e| api_err("list ServiceAccounts", e))?;
    push_manifests(sas.items, cluster, stack, wanted, false, &mut out);
    let rbs = Api::<RoleBinding>::all(client.clone())
        .list(&lp)
        .await
        .map_err(|e| api_err("list RoleBindings", e))?;
    push_manifests(rbs.items, cluster, stack, wanted, true, &mut out);
    let crbs = Api::<ClusterRoleBinding>::all(client.clone())
        .list(&lp)
        .await
        .map_err(|e| api_err("list ClusterRoleBindings", e))?;
    push_manifests(crbs.items, cluster, stack, wanted, true, &mut out);
    let cm = Api::<ConfigMap>::namespaced(client.clone(), AWS_AUTH_NS)
        .get_opt(AWS_AUTH)
        .await
        .map_err(|e| api_err("get aws-auth", e))?;
    if let Some(cm) = cm {
        let owned = owned_arns(&cm, stack);
        for (field, is_user) in [("mapRoles", false), ("mapUsers", true)] {
            let text = cm
                .data
                .as_ref()
                .and_then(|d| d.get(field))
                .cloned()
                .unwrap_or_default();
            for item in split_items(&text) {
                let Some(entry) = parse_entry(&item, is_user) else {
                    continue;
                };
                let arn = entry.arn().to_string();
                let key = eksfed_compiler::kinds::access::key_aws_auth(cluster, &arn);
                let own = owned.contains(&arn).then(|| stack.to_string());
                if !crate::filter::keep(&own, stack, &key, wanted) {
                    continue;
                }
                out.push(live::live_object(
                    key,
                    own,
                    live::aws_auth_piece(cluster, entry),
                    BTreeMap::new(),
                ));
            }
        }
    }
    Ok(out)
}

/// The cluster's ClusterRoles and Roles, for the access model to expand what a binding grants
/// (`eksfed access --live`; two LISTs). They are not pieces of the stack: the plan never
/// reads them.
pub async fn rbac_roles(
    client: &kube::Client,
    cluster: &str,
) -> Result<Vec<eksfed_compiler::review::access_model::RbacRole>> {
    let lp = ListParams::default();
    let crs = Api::<ClusterRole>::all(client.clone())
        .list(&lp)
        .await
        .map_err(|e| api_err("list ClusterRoles", e))?;
    let rs = Api::<Role>::all(client.clone())
        .list(&lp)
        .await
        .map_err(|e| api_err("list Roles", e))?;
    let mut manifests: Vec<Json> = vec![];
    for cr in crs.items {
        let mut m = serde_json::to_value(&cr).unwrap_or_default();
        m["kind"] = json!("ClusterRole");
        manifests.push(m);
    }
    for r in rs.items {
        let mut m = serde_json::to_value(&r).unwrap_or_default();
        m["kind"] = json!("Role");
        manifests.push(m);
    }
    Ok(manifests
        .iter()
        .filter_map(|m| eksfed_compiler::review::access_model::rbac_role(cluster, m))
        .collect())
}

fn owned_arns(cm: &ConfigMap, stack: &str) -> BTreeSet<String> {
    cm.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(&ownership_annotation(stack)))
        .and_then(|v| serde_json::from_str::<Vec<String>>(v).ok())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// Splits a `mapRoles`/`mapUsers` YAML string into its top-level list items, as text, so
/// items can be kept byte for byte. Handles block lists at any indentation; a flow-style list
/// (`[...]`) is one item per element after parsing.
pub fn split_items(text: &str) -> Vec<String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return serde_yaml::from_str::<Vec<serde_yaml::Value>>(text)
            .unwrap_or_default()
            .iter()
            .map(|v| serde_yaml::to_string(&vec![v]).unwrap_or_default())
            .collect();
    }
    let indent = text
        .lines()
        .find(|l| l.trim_start().starts_with("- ") || l.trim() == "-")
        .map(|l| l.len() - l.trim_start().len())
        .unwrap_or(0);
    let mut items: Vec<String> = vec![];
    for line in text.split_inclusive('\n') {
        let starts_item = line.len() - line.trim_start().len() == indent
            && (line.trim_start().starts_with("- ")
                || line.trim_end() == format!("{}-", " ".repeat(indent)));
        if starts_item || items.is_empty() {
            items.push(String::new());
        }
        if let Some(last) = items.last_mut() {
            last.push_str(line);
        }
    }
    items.retain(|i| !i.trim().is_empty() && i.trim_start().starts_with('-'));
    items
}

/// One list item (text) as an entry; quoted keys are fine (YAML).
pub fn parse_entry(item: &str, is_user: bool) -> Option<AwsAuthEntry> {
    let v: Vec<serde_yaml::Value> = serde_yaml::from_str(item).ok()?;
    let m = v.first()?.as_mapping()?;
    let get = |k: &str| {
        m.get(serde_yaml::Value::String(k.into()))
            .and_then(|x| x.as_str())
            .map(String::from)
    };
    let groups = m
        .get(serde_yaml::Value::String("groups".into()))
        .and_then(|g| g.as_sequence())
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let (rolearn, userarn) = if is_user {
        (None, get("userarn"))
    } else {
        (get("rolearn"), None)
    };
    if rolearn.is_none() && userarn.is_none() {
        return None;
    }
    Some(AwsAuthEntry {
        rolearn,
        userarn,
        username: get("username"),
        groups,
    })
}

/// Our entry as a list item in the usual aws-auth layout.
fn entry_text(e: &AwsAuthEntry, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut s = String::new();
    match (&e.rolearn, &e.userarn) {
        (Some(r), _) => s.push_str(&format!("{pad}- rolearn: {r}\n")),
        (None, Some(u)) => s.push_str(&format!("{pad}- userarn: {u}\n")),
        _ => return s,
    }
    if let Some(u) = &e.username {
        s.push_str(&format!("{pad}  username: {}\n", q(u)));
    }
    if !e.groups.is_empty() {
        s.push_str(&format!("{pad}  groups:\n"));
        for g in &e.groups {
            s.push_str(&format!("{pad}    - {}\n", q(g)));
        }
    }
    s
}

/// Rewrites one `mapRoles`/`mapUsers` string: items whose ARN is in `remove` go, `add` is
/// appended; every other item keeps its exact text.
fn merge_field(
    text: &str,
    is_user: bool,
    remove: &BTreeSet<String>,
    add: &[AwsAuthEntry],
) -> String {
    let items = split_items(text);
    let indent = items
        .first()
        .map(|i| i.len() - i.trim_start().len())
        .unwrap_or(0);
    let mut out = String::new();
    if text.trim_start().starts_with('[') {
        // A flow-style list cannot keep its bytes item by item; it is written as a block list.
        for i in &items {
            if parse_entry(i, is_user).is_some_and(|e| remove.contains(e.arn())) {
                continue;
            }
            out.push_str(i);
        }
    } else {
        for i in &items {
            if parse_entry(i, is_user).is_some_and(|e| remove.contains(e.arn())) {
                continue;
            }
            out.push_str(i);
            if !i.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    for e in add {
        out.push_str(&entry_text(e, indent));
    }
    out
}

fn aws_auth_of(
    k: &Option<eksfed_compiler::plan::rendered::RenderedResource>,
) -> Option<&AwsAuthEntry> {
    k.as_ref().and_then(|r| kinds::parts(&r.kind).aws_auth)
}

/// Attempts at one `aws-auth` write before giving up, each after a fresh read.
const AWS_AUTH_ATTEMPTS: u32 = 25;

/// Applies one entry change to `aws-auth` with optimistic concurrency.
///
/// The writes of one eksfed process take turns (one ConfigMap holds every entry, so
/// concurrent changes of the apply would only conflict with each other); a conflict then
/// means another client wrote it, and the write is read, merged and tried again after a
/// jittered pause.
async fn apply_aws_auth(
    client: &kube::Client,
    stack: &str,
    before: Option<&AwsAuthEntry>,
    after: Option<&AwsAuthEntry>,
) -> Result<()> {
    static TURNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = TURNS.lock().await;
    let api = Api::<ConfigMap>::namespaced(client.clone(), AWS_AUTH_NS);
    let key = ownership_annotation(stack);
    for attempt in 0..AWS_AUTH_ATTEMPTS {
        let current = api
            .get_opt(AWS_AUTH)
            .await
            .map_err(|e| api_err("get aws-auth", e))?;
        let exists = current.is_some();
        let mut cm = current.unwrap_or_else(|| ConfigMap {
            metadata: kube::api::ObjectMeta {
                name: Some(AWS_AUTH.into()),
                namespace: Some(AWS_AUTH_NS.into()),
                ..Default::default()
            },
            ..Default::default()
        });
        let mut owned = owned_arns(&cm, stack);
        let mut remove: BTreeSet<String> = BTreeSet::new();
        if let Some(b) = before {
            remove.insert(b.arn().to_string());
        }
        if let Some(a) = after {
            remove.insert(a.arn().to_string());
        }
        // Never take over an entry someone else wrote: only ours may be replaced.
        for arn in &remove {
            if maps(&cm, arn) && !owned.contains(arn) {
                bail!("aws-auth already maps {arn} and this stack does not own that entry; not changing it (adopt it with `eksfed import`)");
            }
        }
        let data = cm.data.get_or_insert_with(Default::default);
        for (field, is_user) in [("mapRoles", false), ("mapUsers", true)] {
            let add: Vec<AwsAuthEntry> = after
                .into_iter()
                .filter(|a| a.userarn.is_some() == is_user)
                .cloned()
                .collect();
            let text = data.get(field).cloned().unwrap_or_default();
            let merged = merge_field(&text, is_user, &remove, &add);
            if merged != text {
                data.insert(field.to_string(), merged);
            }
        }
        for arn in &remove {
            owned.remove(arn);
        }
        if let Some(a) = after {
            owned.insert(a.arn().to_string());
        }
        let ann = cm.metadata.annotations.get_or_insert_with(Default::default);
        if owned.is_empty() {
            ann.remove(&key);
        } else {
            ann.insert(
                key.clone(),
                serde_json::to_string(&owned.iter().collect::<Vec<_>>()).unwrap_or_default(),
            );
        }
        let result = if exists {
            api.replace(AWS_AUTH, &PostParams::default(), &cm).await
        } else {
            api.create(&PostParams::default(), &cm).await
        };
        match result {
            Ok(_) => return Ok(()),
            Err(e) if is_conflict(&e) && attempt + 1 < AWS_AUTH_ATTEMPTS => {
                // Someone else wrote aws-auth between our read and write: read again.
                let pause = 20 * u64::from(attempt.min(10) + 1) + rand::random::<u64>() % 50;
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                continue;
            }
            Err(e) => return Err(api_err("update aws-auth", e)),
        }
    }
    bail!("aws-auth kept changing under us; gave up after {AWS_AUTH_ATTEMPTS} attempts")
}

fn manifests_of(k: &Option<eksfed_compiler::plan::rendered::RenderedResource>) -> Vec<Json> {
    k.as_ref()
        .map(|r| {
            kinds::parts(&r.kind)
                .manifests
                .into_iter()
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn api_for(
    client: &kube::Client,
    m: &Json,
) -> Result<(kube::Api<kube::api::DynamicObject>, String)> {
    let kind = m["kind"].as_str().unwrap_or_default();
    let name = m["metadata"]["name"]
        .as_str()
        .context("manifest without a name")?
        .to_string();
    let ns = m["metadata"]["namespace"].as_str();
    let (group, version, plural) = match kind {
        "ServiceAccount" => ("", "v1", "serviceaccounts"),
        "RoleBinding" => ("rbac.authorization.k8s.io", "v1", "rolebindings"),
        "ClusterRoleBinding" => ("rbac.authorization.k8s.io", "v1", "clusterrolebindings"),
        other => bail!("eksfed does not manage {other} objects"),
    };
    let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
    let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, plural);
    let api = match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    };
    Ok((api, name))
}

/// The current object, refusing one this stack does not own.
async fn check_owned(
    api: &Api<kube::api::DynamicObject>,
    name: &str,
    stack: &str,
    what: &str,
) -> Result<Option<Json>> {
    match api
        .get_opt(name)
        .await
        .map_err(|e| api_err(&format!("get {what}"), e))?
    {
        None => Ok(None),
        Some(o) => {
            let v = serde_json::to_value(&o).unwrap_or_default();
            if owner_of(&v).as_deref() != Some(stack) || !is_managed(&v) {
                bail!("{what} exists and is not owned by stack `{stack}` (owner: {}); not changing it", owner_of(&v).unwrap_or_else(|| "none".into()));
            }
            Ok(Some(v))
        }
    }
}

/// Namespaces known to exist, as (cluster, namespace).
pub type KnownNamespaces = std::sync::Mutex<BTreeSet<(String, String)>>;

async fn ensure_namespace(
    client: &kube::Client,
    cluster: &str,
    ns: &str,
    known: &KnownNamespaces,
) -> Result<()> {
    let key = (cluster.to_string(), ns.to_string());
    if known.lock().map(|k| k.contains(&key)).unwrap_or(false) {
        return Ok(());
    }
    let api = Api::<Namespace>::all(client.clone());
    if api
        .get_opt(ns)
        .await
        .map_err(|e| api_err("get namespace", e))?
        .is_none()
    {
        let n = Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some(ns.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        match api.create(&PostParams::default(), &n).await {
            Ok(_) => {}
            Err(e) if is_conflict(&e) => {}
            Err(e) => return Err(api_err("create namespace", e)),
        }
    }
    if let Ok(mut k) = known.lock() {
        k.insert(key);
    }
    Ok(())
}

/// Applies the Kubernetes side of a change: ServiceAccount manifests, binding manifests, and
/// the `aws-auth` entry of an `access`.
/// `create_namespace`: the namespaces seen so far, when the change's service account may need
/// its namespace created.
pub async fn apply(
    client: &kube::Client,
    cluster: &str,
    stack: &str,
    change: &Change,
    create_namespace: Option<&KnownNamespaces>,
) -> Result<()> {
    let after = if change.action == Action::Delete {
        None
    } else {
        change.after.clone()
    };
    // By the parts the change's pieces are made of, never by its kind's name.
    let (b, a) = (aws_auth_of(&change.before), aws_auth_of(&after));
    if b.is_some() || a.is_some() {
        return apply_aws_auth(client, stack, b, a).await;
    }
    let before = manifests_of(&change.before);
    let wanted = manifests_of(&after);
    let key = |m: &Json| {
        let ns = m["metadata"]["namespace"]
            .as_str()
            .map(|n| format!("{n}/"))
            .unwrap_or_default();
        format!(
            "{} {ns}{}",
            m["kind"].as_str().unwrap_or(""),
            m["metadata"]["name"].as_str().unwrap_or("")
        )
    };
    let wanted_keys: BTreeSet<String> = wanted.iter().map(key).collect();
    // Deletes first: objects the change no longer wants (a namespace dropped from a binding).
    for m in before.iter().filter(|m| !wanted_keys.contains(&key(m))) {
        let (api, name) = api_for(client, m)?;
        if check_owned(&api, &name, stack, &key(m)).await?.is_some() {
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(api_err(&format!("delete {}", key(m)), e)),
            }
        }
    }
    for m in &wanted {
        let (api, name) = api_for(client, m)?;
        let current = check_owned(&api, &name, stack, &key(m)).await?;
        if let (true, Some(known)) = (m["kind"] == "ServiceAccount", create_namespace) {
            if let Some(ns) = m["metadata"]["namespace"].as_str() {
                ensure_namespace(client, cluster, ns, known).await?;
            }
        }
        // roleRef is immutable: a changed one means delete, then create.
        if let Some(cur) = &current {
            if m.get("roleRef").is_some() && cur.get("roleRef") != m.get("roleRef") {
                api.delete(&name, &DeleteParams::default())
                    .await
                    .map_err(|e| api_err("delete binding", e))?;
            }
        }
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        api.patch(&name, &pp, &Patch::Apply(m)).await.map_err(|e| {
            let hint = escalation_hint(m, &e);
            let err = api_err(&format!("apply {}", key(m)), e);
            match hint {
                Some(h) => anyhow::anyhow!("{err:#}\n{h}"),
                None => err,
            }
        })?;
    }
    Ok(())
}

/// A Kubernetes object `eksfed import` marks as owned.
pub enum KubeObject<'a> {
    /// An entry of the `aws-auth` ConfigMap, by its role or user ARN.
    AwsAuthEntry { arn: &'a str },
    /// An object eksfed applies as a manifest: its `kind`, namespace (none for a
    /// cluster-scoped one) and name.
    Manifest {
        kind: &'a str,
        namespace: Option<&'a str>,
        name: &'a str,
    },
}

/// `eksfed import`: marks an `aws-auth` entry (in the ConfigMap's ownership annotation) or an
/// object eksfed applies as a manifest (ownership labels) as owned by `stack`.
pub async fn adopt(client: &kube::Client, stack: &str, object: KubeObject<'_>) -> Result<()> {
    let (k, ns, name) = match object {
        KubeObject::AwsAuthEntry { arn } => return adopt_aws_auth_entry(client, stack, arn).await,
        KubeObject::Manifest {
            kind,
            namespace,
            name,
        } => (kind, namespace, name),
    };
    let id = match ns {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    let m = json!({ "kind": k, "metadata": { "name": name, "namespace": ns } });
    let (api, name) = api_for(client, &m)?;
    let cur = api
        .get_opt(&name)
        .await
        .map_err(|e| api_err("get", e))?
        .with_context(|| format!("no {k} {id}"))?;
    let v = serde_json::to_value(&cur).unwrap_or_default();
    if let Some(o) = owner_of(&v).filter(|o| o != stack) {
        bail!("{k} {id} is owned by stack `{o}`");
    }
    let patch =
        json!({ "metadata": { "labels": { MANAGED_BY_LABEL: "eksfed", STACK_LABEL: stack } } });
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| api_err("label", e))?;
    Ok(())
}

/// Whether `aws-auth` has an entry (in `mapRoles` or `mapUsers`) for `arn`.
fn maps(cm: &ConfigMap, arn: &str) -> bool {
    ["mapRoles", "mapUsers"].iter().any(|f| {
        let t = cm
            .data
            .as_ref()
            .and_then(|d| d.get(*f))
            .cloned()
            .unwrap_or_default();
        split_items(&t)
            .iter()
            .any(|i| parse_entry(i, *f == "mapUsers").is_some_and(|e| e.arn() == arn))
    })
}

/// Marks the `aws-auth` entry for `id` (a role or user ARN) as owned by `stack`.
async fn adopt_aws_auth_entry(client: &kube::Client, stack: &str, id: &str) -> Result<()> {
    let api = Api::<ConfigMap>::namespaced(client.clone(), AWS_AUTH_NS);
    let mut cm = api
        .get(AWS_AUTH)
        .await
        .map_err(|e| api_err("get aws-auth", e))?;
    if !maps(&cm, id) {
        bail!("aws-auth has no entry for {id}");
    }
    let mut owned = owned_arns(&cm, stack);
    owned.insert(id.to_string());
    cm.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            ownership_annotation(stack),
            serde_json::to_string(&owned).unwrap_or_default(),
        );
    api.replace(AWS_AUTH, &PostParams::default(), &cm)
        .await
        .map_err(|e| api_err("update aws-auth", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::1:role/ng\n  username: system:node:{{EC2PrivateDNSName}}\n- \"rolearn\": \"arn:aws:iam::1:role/other\"\n  \"username\": \"other\"\n";

    #[test]
    fn items_split_and_parse_with_quoted_keys() {
        let items = split_items(NODES);
        assert_eq!(items.len(), 2);
        assert_eq!(
            parse_entry(&items[0], false).map(|e| e.groups.len()),
            Some(2)
        );
        assert_eq!(
            parse_entry(&items[1], false).and_then(|e| e.rolearn),
            Some("arn:aws:iam::1:role/other".into())
        );
    }

    #[test]
    fn merge_keeps_other_items_byte_for_byte() {
        let ours = AwsAuthEntry {
            rolearn: Some("arn:aws:iam::1:role/admins".into()),
            userarn: None,
            username: Some("admin:{{SessionName}}".into()),
            groups: vec!["platform:admins".into()],
        };
        let added = merge_field(
            NODES,
            false,
            &BTreeSet::from([ours.arn().to_string()]),
            std::slice::from_ref(&ours),
        );
        assert!(added.starts_with(NODES));
        assert_eq!(split_items(&added).len(), 3);
        let removed = merge_field(
            &added,
            false,
            &BTreeSet::from([ours.arn().to_string()]),
            &[],
        );
        assert_eq!(removed, NODES);
    }
}
