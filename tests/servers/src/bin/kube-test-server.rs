//! `kube-test-server`: a loopback Kubernetes API server for tests, backed by kube-fake-client's
//! stateful in-memory store.
//!
//! The HTTP handler is mostly a proxy: it forwards each request to the tower service inside a
//! kube-fake-client `kube::Client` (`Client::send`) and returns its answer. Around that it fills
//! the gaps that matter to a real `kube::Client`/kubectl:
//!
//! - `/api/v1/namespaces[/NAME]`, which kube-fake-client cannot route, is served from an alias
//!   resource registered in the fake's registry; namespaces get `status.phase: Active` and the
//!   `kubernetes.io/metadata.name` label, and deleting one deletes its contents;
//! - writes into a namespace that does not exist fail with 404 like a real API server;
//! - server-side apply drops the fields a manager applied before and no longer applies
//!   (the fake only merges), unless another manager also owns them;
//! - lists are sorted by namespace/name and paginate with `limit`/`continue`;
//! - `dryRun` requests are answered without touching the store;
//! - discovery (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/GROUP/VERSION`) and `/healthz`;
//! - `watch` is refused with 405 rather than answered with a list;
//! - errors the fake raises as transport failures become `Status` objects (400 BadRequest).
//!
//! CLI: `kube-test-server [--port P] [--kubeconfig-out FILE] [--context NAME ...]`.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use http::{header::CONTENT_TYPE, Method, Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{json, Map, Value};

use eksfed_test_servers::{
    announce, bind, bytes_response, json_response, parse_query, path_segments, query_get,
    read_body, serve, Args, Counter, Resp,
};

/// Internal plural under which Namespace objects are stored in the fake.
const NS_ALIAS: &str = "eksfed-namespaces";
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
const SEED_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];
const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
];

/// Resources announced by discovery (all built-in kinds work through the fake, though).
struct ResourceInfo {
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
}

const fn res(
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> ResourceInfo {
    ResourceInfo {
        group,
        plural,
        kind,
        namespaced,
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";
const RESOURCES: &[ResourceInfo] = &[
    res("", "namespaces", "Namespace", false),
    res("", "serviceaccounts", "ServiceAccount", true),
    res("", "configmaps", "ConfigMap", true),
    res("", "secrets", "Secret", true),
    res(RBAC, "roles", "Role", true),
    res(RBAC, "rolebindings", "RoleBinding", true),
    res(RBAC, "clusterroles", "ClusterRole", false),
    res(RBAC, "clusterrolebindings", "ClusterRoleBinding", false),
    res("coordination.k8s.io", "leases", "Lease", true),
];

/// Registers [`NS_ALIAS`] as the plural of core/v1 Namespace in the fake's registry.
struct NamespaceAlias {
    metadata: ObjectMeta,
}

impl kube::Resource for NamespaceAlias {
    type DynamicType = ();
    type Scope = k8s_openapi::ClusterResourceScope;
    fn kind(_: &()) -> Cow<'_, str> {
        "Namespace".into()
    }
    fn group(_: &()) -> Cow<'_, str> {
        "".into()
    }
    fn version(_: &()) -> Cow<'_, str> {
        "v1".into()
    }
    fn plural(_: &()) -> Cow<'_, str> {
        NS_ALIAS.into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// A parsed resource path: `/api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]]` or the `/apis/G/V` form.
#[derive(Clone, Debug)]
struct KPath {
    group: String,
    version: String,
    namespace: Option<String>,
    resource: String,
    name: Option<String>,
    sub: Option<String>,
}

impl KPath {
    fn parse(segs: &[String]) -> Option<Self> {
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        let (group, version, rest) = match s.as_slice() {
            ["api", v, rest @ ..] => ("", *v, rest),
            ["apis", g, v, rest @ ..] => (*g, *v, rest),
            _ => return None,
        };
        let (namespace, rest) = match rest {
            // `/api/v1/namespaces/NAME/status` is a namespace subresource, not a resource list.
            ["namespaces", _, "status" | "finalize"] => (None, rest),
            ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some(ns.to_string()), tail),
            _ => (None, rest),
        };
        let (resource, name, sub) = match rest {
            [r] => (*r, None, None),
            [r, n] => (*r, Some(n.to_string()), None),
            [r, n, sub] => (*r, Some(n.to_string()), Some(sub.to_string())),
            _ => return None,
        };
        Some(Self {
            group: group.to_string(),
            version: version.to_string(),
            namespace,
            resource: resource.to_string(),
            name,
            sub,
        })
    }

    fn namespace_item(name: &str) -> Self {
        Self {
            group: String::new(),
            version: "v1".into(),
            namespace: None,
            resource: "namespaces".into(),
            name: Some(name.into()),
            sub: None,
        }
    }

    fn is_namespaces(&self) -> bool {
        self.group.is_empty() && self.resource == "namespaces"
    }

    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    fn info(&self) -> Option<&'static ResourceInfo> {
        RESOURCES
            .iter()
            .find(|r| r.group == self.group && r.plural == self.resource && self.version == "v1")
    }

    fn with_name(&self, name: &str) -> Self {
        Self {
            name: Some(name.into()),
            sub: None,
            ..self.clone()
        }
    }

    /// The path understood by kube-fake-client's mock service.
    fn upstream(&self) -> String {
        let mut p = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        if let Some(ns) = &self.namespace {
            p += &format!("/namespaces/{ns}");
        }
        p += "/";
        p += if self.is_namespaces() {
            NS_ALIAS
        } else {
            &self.resource
        };
        for part in [&self.name, &self.sub].into_iter().flatten() {
            p += "/";
            p += part;
        }
        p
    }
}

fn status(code: StatusCode, reason: &str, message: impl Into<String>) -> Resp {
    json_response(
        code,
        &json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message.into(), "reason": reason, "code": code.as_u16(),
        }),
    )
}

fn not_found(kp: &KPath, name: &str) -> Resp {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("{} \"{name}\" not found", kp.resource),
    )
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

struct Server {
    client: kube::Client,
    counter: Counter,
    port: u16,
}

impl Server {
    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Resp {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path().to_string();
        if let Some(resp) = self.counter.handle(&parts.method, &path) {
            return resp;
        }
        let segs = path_segments(&path);
        let kp = KPath::parse(&segs);
        self.counter.record(match &kp {
            Some(kp) => {
                let verb = if parts.method == Method::GET && kp.name.is_none() {
                    "LIST"
                } else {
                    parts.method.as_str()
                };
                match &kp.sub {
                    Some(sub) => format!("{verb} {}/{sub}", kp.resource),
                    None => format!("{verb} {}", kp.resource),
                }
            }
            None => format!("{} {path}", parts.method),
        });
        if parts.method == Method::GET {
            if matches!(path.as_str(), "/healthz" | "/livez" | "/readyz") {
                return bytes_response(StatusCode::OK, "text/plain", Bytes::from_static(b"ok"));
            }
            if let Some(doc) = self.discovery(&segs) {
                return json_response(StatusCode::OK, &doc);
            }
        }
        let Some(kp) = kp else {
            return status(
                StatusCode::NOT_FOUND,
                "NotFound",
                "the server could not find the requested resource",
            );
        };
        let body = match read_body(body).await {
            Ok(b) => b,
            Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", e.to_string()),
        };
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let query = parse_query(parts.uri.query());
        self.resource_request(parts.method, kp, &query, content_type, body)
            .await
    }

    async fn resource_request(
        &self,
        method: Method,
        kp: KPath,
        query: &[(String, String)],
        content_type: Option<String>,
        mut body: Bytes,
    ) -> Resp {
        let ct = content_type.as_deref();
        if matches!(method, Method::POST | Method::PUT | Method::PATCH) {
            if let Some(ns) = &kp.namespace {
                if self.get_json(&KPath::namespace_item(ns)).await.is_none() {
                    return not_found(&KPath::namespace_item(ns), ns);
                }
            }
            // The fake panics on bodies of the wrong JSON type; refuse them up front.
            let json_patch = ct.is_some_and(|c| c.contains("json-patch"));
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Array(_)) if json_patch => {}
                Ok(Value::Object(_)) if !json_patch => {}
                Ok(_) => return bad_request_resp("request body has the wrong JSON type".into()),
                Err(e) => return bad_request_resp(format!("invalid JSON body: {e}")),
            }
        }
        if query_get(query, "dryRun").is_some() {
            return self.dry_run(&method, &kp, query, ct, &body).await;
        }
        if method == Method::GET && matches!(query_get(query, "watch"), Some("true" | "1")) {
            let msg = "watch is not supported by kube-test-server";
            return status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", msg);
        }
        if method == Method::GET && kp.name.is_none() {
            return self.list(&kp, query).await;
        }
        if method == Method::POST && kp.is_namespaces() {
            if let Ok(mut ns) = serde_json::from_slice::<Value>(&body) {
                namespace_defaults(&mut ns);
                body = Bytes::from(ns.to_string());
            }
        }
        if method == Method::PATCH && ct.is_some_and(|c| c.contains("apply-patch")) {
            self.prune_before_apply(&kp, query, &body).await;
        }
        let uri = with_query(kp.upstream(), query, &[]);
        let (code, bytes) = self.send(method.clone(), uri, ct, body).await;
        if method == Method::DELETE && code.is_success() && kp.is_namespaces() {
            if let Some(ns) = &kp.name {
                self.delete_namespace_contents(ns).await;
            }
        }
        finish(&kp, code, bytes)
    }

    /// Sends one request to the fake's tower service.
    async fn send(
        &self,
        method: Method,
        uri: String,
        content_type: Option<&str>,
        body: Bytes,
    ) -> (StatusCode, Bytes) {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(ct) = content_type {
            builder = builder.header(CONTENT_TYPE, ct);
        }
        let sent = match builder.body(kube::client::Body::from(body)) {
            Ok(req) => self.client.send(req).await,
            Err(e) => return bad_request(e.to_string()),
        };
        match sent {
            Ok(resp) => {
                let code = resp.status();
                match resp.into_body().collect().await {
                    Ok(c) => (code, c.to_bytes()),
                    Err(e) => bad_request(e.to_string()),
                }
            }
            // The fake reports unparseable bodies and paths as service errors.
            Err(e) => bad_request(e.to_string()),
        }
    }

    async fn get_json(&self, kp: &KPath) -> Option<Value> {
        let (code, bytes) = self
            .send(Method::GET, kp.upstream(), None, Bytes::new())
            .await;
        code.is_success()
            .then(|| serde_json::from_slice(&bytes).ok())
            .flatten()
    }

    async fn list(&self, kp: &KPath, query: &[(String, String)]) -> Resp {
        // Paginate here: the fake truncates at `limit` without a continue token.
        let uri = with_query(kp.upstream(), query, &["limit", "continue"]);
        let (code, bytes) = self.send(Method::GET, uri, None, Bytes::new()).await;
        let Some(mut list) = code
            .is_success()
            .then(|| serde_json::from_slice::<Value>(&bytes).ok())
            .flatten()
        else {
            return finish(kp, code, bytes);
        };
        let offset = match query_get(query, "continue").filter(|t| !t.is_empty()) {
            None => 0,
            Some(token) => match token.strip_prefix("eksfed:").and_then(|n| n.parse().ok()) {
                Some(n) => n,
                None => {
                    return status(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        "invalid continue token",
                    )
                }
            },
        };
        let limit = query_get(query, "limit")
            .and_then(|l| l.parse::<usize>().ok())
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX);
        let mut items = match list.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        items.sort_by(|a, b| {
            (meta_str(a, "namespace"), meta_str(a, "name"))
                .cmp(&(meta_str(b, "namespace"), meta_str(b, "name")))
        });
        let total = items.len();
        let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
        let end = offset.saturating_add(page.len());
        set_path(&mut list, &["items"], Value::Array(page));
        if end < total {
            set_path(
                &mut list,
                &["metadata", "continue"],
                json!(format!("eksfed:{end}")),
            );
            set_path(
                &mut list,
                &["metadata", "remainingItemCount"],
                json!(total - end),
            );
        }
        finish(kp, StatusCode::OK, Bytes::from(list.to_string()))
    }

    /// Server-side apply removes fields the manager applied before and omits now; the fake
    /// only merges, so remove them first with a merge patch.
    async fn prune_before_apply(&self, kp: &KPath, query: &[(String, String)], body: &Bytes) {
        let Some(manager) = query_get(query, "fieldManager") else {
            return;
        };
        let Ok(patch) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let Some(existing) = self.get_json(kp).await else {
            return;
        };
        let removals = ssa_removals(&existing, &patch, manager, kp.sub.as_deref().unwrap_or(""));
        if removals.is_empty() {
            return;
        }
        let nulls = Bytes::from(removal_patch(&removals).to_string());
        let merge = Some("application/merge-patch+json");
        let _ = self.send(Method::PATCH, kp.upstream(), merge, nulls).await;
    }

    async fn delete_namespace_contents(&self, ns: &str) {
        for r in RESOURCES.iter().filter(|r| r.namespaced) {
            let kp = KPath {
                group: r.group.into(),
                version: "v1".into(),
                namespace: Some(ns.into()),
                resource: r.plural.into(),
                name: None,
                sub: None,
            };
            let _ = self
                .send(Method::DELETE, kp.upstream(), None, Bytes::new())
                .await;
        }
    }

    /// Answers a `dryRun` request from the current state without changing it.
    async fn dry_run(
        &self,
        method: &Method,
        kp: &KPath,
        query: &[(String, String)],
        ct: Option<&str>,
        body: &Bytes,
    ) -> Resp {
        let existing = match &kp.name {
            Some(_) => self.get_json(kp).await,
            None => None,
        };
        let parsed = serde_json::from_slice::<Value>(body);
        let name = kp.name.clone().unwrap_or_default();
        let fill = |mut obj: Value, name: &str| {
            set_path(&mut obj, &["apiVersion"], json!(kp.api_version()));
            if let Some(info) = kp.info() {
                set_path(&mut obj, &["kind"], json!(info.kind));
            }
            set_path(&mut obj, &["metadata", "name"], json!(name));
            if let Some(ns) = &kp.namespace {
                set_path(&mut obj, &["metadata", "namespace"], json!(ns));
            }
            obj
        };
        match (method.as_str(), parsed, existing) {
            ("DELETE", _, Some(obj)) => json_response(StatusCode::OK, &obj),
            ("POST", Ok(obj), _) => {
                let name = meta_str(&obj, "name").to_string();
                if self.get_json(&kp.with_name(&name)).await.is_some() {
                    let msg = format!("{} \"{name}\" already exists", kp.resource);
                    return status(StatusCode::CONFLICT, "AlreadyExists", msg);
                }
                let mut obj = fill(obj, &name);
                if kp.is_namespaces() {
                    namespace_defaults(&mut obj);
                }
                json_response(StatusCode::CREATED, &obj)
            }
            ("PUT", Ok(obj), Some(current)) => {
                let rv = meta_str(&obj, "resourceVersion");
                if !rv.is_empty() && rv != meta_str(&current, "resourceVersion") {
                    let msg = format!(
                        "Operation cannot be fulfilled on {} \"{name}\": the object has been modified",
                        kp.resource
                    );
                    return status(StatusCode::CONFLICT, "Conflict", msg);
                }
                json_response(StatusCode::OK, &fill(obj, &name))
            }
            ("PATCH", Ok(patch), current) => {
                let apply = ct.is_some_and(|c| c.contains("apply-patch"));
                let Some(mut obj) = current else {
                    return if apply {
                        json_response(StatusCode::CREATED, &fill(patch, &name))
                    } else {
                        not_found(kp, &name)
                    };
                };
                if ct.is_some_and(|c| c.contains("json-patch")) {
                    let applied = serde_json::from_value::<json_patch::Patch>(patch)
                        .map_err(|e| e.to_string())
                        .and_then(|p| json_patch::patch(&mut obj, &p).map_err(|e| e.to_string()));
                    if let Err(e) = applied {
                        return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", e);
                    }
                } else {
                    if apply {
                        let manager = query_get(query, "fieldManager").unwrap_or("");
                        let sub = kp.sub.as_deref().unwrap_or("");
                        let removals = ssa_removals(&obj, &patch, manager, sub);
                        json_patch::merge(&mut obj, &removal_patch(&removals));
                    }
                    json_patch::merge(&mut obj, &patch);
                }
                json_response(StatusCode::OK, &obj)
            }
            (_, Err(e), _) if method != Method::DELETE => bad_request_resp(e.to_string()),
            ("DELETE" | "PUT", _, None) => not_found(kp, &name),
            _ => status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "dryRun is not supported for this request",
            ),
        }
    }

    fn discovery(&self, segs: &[String]) -> Option<Value> {
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        let resource_list = |group: &str| {
            let resources: Vec<Value> = RESOURCES
                .iter()
                .filter(|r| r.group == group)
                .map(|r| {
                    json!({
                        "name": r.plural, "singularName": r.kind.to_lowercase(),
                        "namespaced": r.namespaced, "kind": r.kind, "verbs": VERBS,
                    })
                })
                .collect();
            let gv = if group.is_empty() {
                "v1".to_string()
            } else {
                format!("{group}/v1")
            };
            (!resources.is_empty()).then(|| {
                json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
            })
        };
        match s.as_slice() {
            ["version"] => Some(json!({
                "major": "1", "minor": "32", "gitVersion": "v1.32.0-eksfed-test",
                "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
                "platform": "linux/amd64",
            })),
            ["api"] => Some(json!({
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{}", self.port)}
                ],
            })),
            ["apis"] => {
                let mut groups: Vec<&str> = RESOURCES
                    .iter()
                    .map(|r| r.group)
                    .filter(|g| !g.is_empty())
                    .collect();
                groups.dedup();
                let groups: Vec<Value> = groups
                    .into_iter()
                    .map(|g| {
                        let v = json!({"groupVersion": format!("{g}/v1"), "version": "v1"});
                        json!({"name": g, "versions": [v], "preferredVersion": v})
                    })
                    .collect();
                Some(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
            }
            ["api", "v1"] => resource_list(""),
            ["apis", g, "v1"] if !g.is_empty() => resource_list(g),
            _ => None,
        }
    }
}

/// `path?query` re-encoded for the fake, which percent-decodes but does not read `+` as space.
fn with_query(path: String, query: &[(String, String)], skip: &[&str]) -> String {
    let pairs: Vec<String> = query
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect();
    if pairs.is_empty() {
        path
    } else {
        format!("{path}?{}", pairs.join("&"))
    }
}

fn bad_request(message: String) -> (StatusCode, Bytes) {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": "BadRequest", "code": 400,
    });
    (StatusCode::BAD_REQUEST, Bytes::from(body.to_string()))
}

fn bad_request_resp(message: String) -> Resp {
    status(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// Turns the fake's answer into the response, hiding the namespace alias.
fn finish(kp: &KPath, code: StatusCode, bytes: Bytes) -> Resp {
    let bytes = if kp.is_namespaces() {
        match std::str::from_utf8(&bytes) {
            Ok(text) if text.contains(NS_ALIAS) => {
                Bytes::from(text.replace(NS_ALIAS, "namespaces"))
            }
            _ => bytes,
        }
    } else {
        bytes
    };
    bytes_response(code, "application/json", bytes)
}

/// What a real API server adds to every new Namespace.
fn namespace_defaults(ns: &mut Value) {
    let name = meta_str(ns, "name").to_string();
    set_path(
        ns,
        &["metadata", "labels", NAMESPACE_NAME_LABEL],
        json!(name),
    );
    if ns.get("status").is_none() {
        set_path(ns, &["status"], json!({"phase": "Active"}));
    }
}

/// Sets `path` in `obj` to `value`, turning whatever is in the way into objects.
fn set_path(obj: &mut Value, path: &[&str], value: Value) {
    let mut node = obj;
    for seg in path {
        if !node.is_object() {
            *node = json!({});
        }
        let Value::Object(map) = node else {
            return;
        };
        node = map.entry(seg.to_string()).or_insert(Value::Null);
    }
    *node = value;
}

/// The fieldsV1 trie kube-fake-client records for an applied object (`f:` keys only).
fn fields_trie(v: &Value, top: bool, metadata: bool) -> Map<String, Value> {
    const SKIP_META: &[&str] = &[
        "managedFields",
        "resourceVersion",
        "uid",
        "creationTimestamp",
        "generation",
        "name",
        "namespace",
    ];
    let mut out = Map::new();
    for (k, child) in v.as_object().into_iter().flatten() {
        if (top && (k == "apiVersion" || k == "kind"))
            || (metadata && SKIP_META.contains(&k.as_str()))
        {
            continue;
        }
        match child.as_object() {
            Some(_) => {
                let sub = fields_trie(child, false, top && k == "metadata");
                if !sub.is_empty() {
                    out.insert(format!("f:{k}"), Value::Object(sub));
                }
            }
            None => {
                out.insert(format!("f:{k}"), json!({}));
            }
        }
    }
    out
}

fn leaf_paths(trie: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for (k, child) in trie.as_object().into_iter().flatten() {
        let Some(field) = k.strip_prefix("f:") else {
            continue;
        };
        prefix.push(field.to_string());
        if child.as_object().is_some_and(Map::is_empty) {
            out.push(prefix.clone());
        } else {
            leaf_paths(child, prefix, out);
        }
        prefix.pop();
    }
}

/// Whether `trie` owns `path`, a descendant of it, or an ancestor of it.
fn owns(trie: &Value, path: &[String]) -> bool {
    let mut node = trie;
    for seg in path {
        match node.get(format!("f:{seg}")) {
            None => return false,
            Some(child) if child.as_object().is_some_and(Map::is_empty) => return true,
            Some(child) => node = child,
        }
    }
    true
}

/// Leaf paths `manager` applied before, omits from `patch`, that no other manager owns and
/// that are still present on `existing`.
fn ssa_removals(existing: &Value, patch: &Value, manager: &str, sub: &str) -> Vec<Vec<String>> {
    let entries = existing
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let field = |e: &Value, f: &str| e.get(f).and_then(Value::as_str).unwrap_or("").to_string();
    let mut mine = Vec::new();
    let mut others = Vec::new();
    for e in entries.iter().filter(|e| field(e, "subresource") == sub) {
        let Some(fields) = e.get("fieldsV1") else {
            continue;
        };
        if field(e, "manager") == manager && field(e, "operation") == "Apply" {
            leaf_paths(fields, &mut Vec::new(), &mut mine);
        } else {
            others.push(fields);
        }
    }
    let new = Value::Object(fields_trie(patch, true, false));
    mine.retain(|p| {
        let present = p
            .iter()
            .try_fold(existing, |node, seg| node.get(seg))
            .is_some();
        present && !owns(&new, p) && !others.iter().any(|o| owns(o, p))
    });
    mine
}

/// A JSON merge patch that deletes every path in `paths`.
fn removal_patch(paths: &[Vec<String>]) -> Value {
    let mut patch = json!({});
    for path in paths {
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        set_path(&mut patch, &path, Value::Null);
    }
    patch
}

/// A kubeconfig with one cluster/user/context per name, all pointing at `server`.
fn kubeconfig(server: &str, contexts: &[String]) -> String {
    let q = |s: &str| Value::from(s).to_string();
    let mut clusters = String::new();
    let mut users = String::new();
    let mut ctxs = String::new();
    for name in contexts {
        clusters += &format!(
            "- name: {}\n  cluster:\n    server: {}\n",
            q(name),
            q(server)
        );
        users += &format!("- name: {}\n  user: {{}}\n", q(name));
        ctxs += &format!(
            "- name: {n}\n  context:\n    cluster: {n}\n    user: {n}\n    namespace: default\n",
            n = q(name)
        );
    }
    let current = contexts.first().map(String::as_str).unwrap_or("fake");
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}users:\n{users}contexts:\n{ctxs}current-context: {}\npreferences: {{}}\n",
        q(current)
    )
}

const USAGE: &str =
    "usage: kube-test-server [--port P] [--kubeconfig-out FILE] [--context NAME ...]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut port = 0u16;
    let mut kubeconfig_out = None;
    let mut contexts = Vec::new();
    let mut args = Args::from_env();
    while let Some((flag, value)) = args
        .next_flag()
        .map_err(|e| anyhow::anyhow!("{e}\n{USAGE}"))?
    {
        match flag.as_str() {
            "--port" => port = value.parse()?,
            "--kubeconfig-out" => kubeconfig_out = Some(value),
            "--context" => contexts.push(value),
            _ => anyhow::bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    if contexts.is_empty() {
        contexts.push("fake".to_string());
    }

    let client = kube_fake_client::ClientBuilder::new()
        .with_resource::<NamespaceAlias>()
        .build()
        .await?;
    let (listener, port) = bind(port).await?;
    let server = Arc::new(Server {
        client,
        counter: Counter::default(),
        port,
    });
    for ns in SEED_NAMESPACES {
        let mut obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        namespace_defaults(&mut obj);
        let kp = KPath::namespace_item(ns);
        let uri = KPath { name: None, ..kp }.upstream();
        let (code, body) = server
            .send(
                Method::POST,
                uri,
                Some("application/json"),
                Bytes::from(obj.to_string()),
            )
            .await;
        anyhow::ensure!(code.is_success(), "seeding namespace {ns}: {code} {body:?}");
    }
    if let Some(path) = kubeconfig_out {
        let server_url = format!("http://127.0.0.1:{port}");
        std::fs::write(&path, kubeconfig(&server_url, &contexts))?;
    }
    announce(port)?;
    serve(listener, move |req| server.clone().handle(req)).await
}
