//! `eks-test-server`: an in-memory Amazon EKS restJson1 endpoint for tests, covering what moto
//! lacks: access entries, access policies and their associations, pod identity associations,
//! tags, and DescribeCluster/ListClusters for clusters registered on the command line.
//!
//! Request and response shapes, status codes and error types (`x-amzn-errortype` header plus a
//! JSON `message`) follow the EKS API reference, as read by `aws-sdk-eks`. Point the SDK at it
//! with `endpoint_url`; any credentials are accepted (signatures are not checked).
//!
//! CLI: `eks-test-server [--port P] [--cluster NAME[=ISSUER_URL] ...] [--account-id ID] [--region R]
//! [--authentication-mode MODE]`.
//!
//! A cluster's authentication mode (DescribeCluster `accessConfig.authenticationMode`) is
//! `API_AND_CONFIG_MAP` unless `--authentication-mode` gives `API`, `CONFIG_MAP` or `NONE` (no
//! `accessConfig` at all, as DescribeCluster answers for clusters older than access entries)
//! for the clusters of the command line; UpdateClusterConfig changes it the one way EKS allows
//! (`CONFIG_MAP` → `API_AND_CONFIG_MAP` → `API`). Without the API in its mode, a cluster's
//! access-entry operations fail with EKS's InvalidRequestException.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Value};

use eksfed_test_servers::{
    announce, bind, json_response, parse_query, path_segments, read_body, serve, Args, Counter,
    Resp,
};

const ACCESS_POLICIES: &[&str] = &[
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
];
const ENTRY_TYPES: &[&str] = &[
    "STANDARD",
    "FARGATE_LINUX",
    "EC2_LINUX",
    "EC2_WINDOWS",
    "EC2",
    "HYBRID_LINUX",
    "HYPERPOD_LINUX",
];
const RESERVED_USERNAME_PREFIXES: &[&str] = &["system:", "eks:", "aws:", "amazon:", "iam:"];

/// An error as EKS reports it: status code, `x-amzn-errortype`, message.
struct ApiError {
    code: StatusCode,
    kind: &'static str,
    message: String,
}

type Result<T> = std::result::Result<T, ApiError>;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError {
        code: StatusCode::BAD_REQUEST,
        kind: "InvalidParameterException",
        message: message.into(),
    }
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError {
        code: StatusCode::NOT_FOUND,
        kind: "ResourceNotFoundException",
        message: message.into(),
    }
}

fn in_use(message: impl Into<String>) -> ApiError {
    ApiError {
        code: StatusCode::CONFLICT,
        kind: "ResourceInUseException",
        message: message.into(),
    }
}

fn now() -> f64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    ms as f64 / 1000.0
}

struct Entry {
    principal_arn: String,
    arn: String,
    groups: Vec<String>,
    username: String,
    kind: String,
    created_at: f64,
    modified_at: f64,
    /// policy ARN -> (access scope, associatedAt, modifiedAt)
    policies: BTreeMap<String, (Value, f64, f64)>,
}

struct PodIdentity {
    id: String,
    arn: String,
    namespace: String,
    service_account: String,
    role_arn: String,
    target_role_arn: Option<String>,
    external_id: Option<String>,
    disable_session_tags: bool,
    policy: Option<String>,
    created_at: f64,
    modified_at: f64,
}

struct Cluster {
    arn: String,
    issuer: String,
    /// `accessConfig.authenticationMode`; `None`: DescribeCluster has no `accessConfig`.
    authentication_mode: Option<String>,
    created_at: f64,
    entries: BTreeMap<String, Entry>,
    pod_identities: BTreeMap<String, PodIdentity>,
}

#[derive(Default)]
struct State {
    clusters: BTreeMap<String, Cluster>,
    /// resource ARN -> tags
    tags: BTreeMap<String, BTreeMap<String, String>>,
}

struct Eks {
    account: String,
    region: String,
    partition: &'static str,
    state: Mutex<State>,
    counter: Counter,
    ids: AtomicU64,
    seed: u64,
}

/// `(kind, account, name without path)` of an IAM role or user ARN.
fn parse_iam_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "iam", "", account, resource] = parts.as_slice() else {
        return None;
    };
    let (kind, path) = resource.split_once('/')?;
    let name = path.rsplit('/').next().filter(|n| !n.is_empty())?;
    let ok = partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && matches!(kind, "role" | "user");
    ok.then_some((kind, *account, name))
}

fn role_arn(v: &Value, field: &str) -> Result<Option<String>> {
    match opt_str(v, field)? {
        Some(arn) if arn.is_empty() => Ok(Some(arn)),
        Some(arn) => match parse_iam_arn(&arn) {
            Some(("role", _, _)) => Ok(Some(arn)),
            _ => Err(invalid(format!(
                "{field} {arn} is not a valid IAM role ARN"
            ))),
        },
        None => Ok(None),
    }
}

fn opt_str(v: &Value, field: &str) -> Result<Option<String>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("{field} must be a string"))),
    }
}

fn req_str(v: &Value, field: &str) -> Result<String> {
    opt_str(v, field)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid(format!("{field} is required")))
}

fn opt_str_list(v: &Value, field: &str) -> Result<Option<Vec<String>>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid(format!("{field} must be a list of strings")))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(invalid(format!("{field} must be a list of strings"))),
    }
}

fn tag_map(v: &Value) -> Result<BTreeMap<String, String>> {
    let mut tags = BTreeMap::new();
    for (k, val) in v
        .get("tags")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let val = val
            .as_str()
            .ok_or_else(|| invalid("tag values must be strings"))?;
        tags.insert(k.clone(), val.to_string());
    }
    Ok(tags)
}

fn query_str<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// One page of `items` (sorted by key) per `maxResults` (1..=100, default 100) and `nextToken`.
fn paginate<T>(
    items: Vec<(String, T)>,
    query: &[(String, String)],
) -> Result<(Vec<T>, Option<String>)> {
    let max = match query_str(query, "maxResults") {
        None => 100,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|m| (1..=100).contains(m))
            .ok_or_else(|| invalid("maxResults must be between 1 and 100"))?,
    };
    let start = match query_str(query, "nextToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => {
            let key = decode_token(token).ok_or_else(|| invalid("The nextToken is invalid"))?;
            items
                .iter()
                .position(|(k, _)| *k >= key)
                .unwrap_or(items.len())
        }
    };
    let next = items.get(start + max).map(|(k, _)| encode_token(k));
    let page = items
        .into_iter()
        .skip(start)
        .take(max)
        .map(|(_, t)| t)
        .collect();
    Ok((page, next))
}

fn encode_token(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<String> {
    let pairs = token.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    let raw = pairs
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(raw).ok()
}

/// Drops `null` members so absent optional fields are omitted, as EKS does.
fn compact(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        obj.retain(|_, val| !val.is_null());
    }
    v
}

impl Eks {
    /// A pseudo-random 64-bit value, unique per call.
    fn next_u64(&self) -> u64 {
        let mut z = self.seed.wrapping_add(
            self.ids
                .fetch_add(1, Ordering::Relaxed)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uuid(&self) -> String {
        let h = format!("{:016x}{:016x}", self.next_u64(), self.next_u64());
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }

    fn policy_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:eks::aws:cluster-access-policy/{name}",
            self.partition
        )
    }

    fn add_cluster(&self, name: &str, issuer: Option<&str>, mode: Option<&str>) {
        let issuer = issuer.map(str::to_string).unwrap_or_else(|| {
            let id = format!("{:016X}{:016X}", self.next_u64(), self.next_u64());
            format!("https://oidc.eks.{}.amazonaws.com/id/{id}", self.region)
        });
        let cluster = Cluster {
            arn: format!(
                "arn:{}:eks:{}:{}:cluster/{name}",
                self.partition, self.region, self.account
            ),
            issuer,
            authentication_mode: mode.map(str::to_string),
            created_at: now(),
            entries: BTreeMap::new(),
            pod_identities: BTreeMap::new(),
        };
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.clusters.insert(name.to_string(), cluster);
    }

    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Resp {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path().to_string();
        if let Some(resp) = self.counter.handle(&parts.method, &path) {
            return resp;
        }
        let body = match read_body(body).await {
            Ok(b) => b,
            Err(e) => return error_response(&invalid(e.to_string())),
        };
        let query = parse_query(parts.uri.query());
        let segs = path_segments(&path);
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let (op, result) = self.route(&parts.method, &segs, &query, &body);
        self.counter
            .record(op.map_or_else(|| format!("{} {path}", parts.method), str::to_string));
        match result {
            Ok(v) => json_response(StatusCode::OK, &v),
            Err(e) => error_response(&e),
        }
    }

    fn route(
        &self,
        method: &Method,
        segs: &[&str],
        query: &[(String, String)],
        body: &[u8],
    ) -> (Option<&'static str>, Result<Value>) {
        let body = if body.is_empty() {
            Ok(json!({}))
        } else {
            serde_json::from_slice::<Value>(body).map_err(|e| ApiError {
                code: StatusCode::BAD_REQUEST,
                kind: "SerializationException",
                message: e.to_string(),
            })
        };
        let body = match body {
            Ok(b) => b,
            Err(e) => return (None, Err(e)),
        };
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let st = &mut *guard;
        if let ["clusters", c, "access-entries", ..] = segs {
            if let Err(e) = self.check_api_mode(st, c) {
                return (None, Err(e));
            }
        }
        let (op, result): (&'static str, Result<Value>) = match (method.as_str(), segs) {
            ("GET", ["clusters"]) => ("ListClusters", self.list_clusters(st, query)),
            ("GET", ["clusters", c]) => ("DescribeCluster", self.describe_cluster(st, c)),
            ("POST", ["clusters", c, "update-config"]) => (
                "UpdateClusterConfig",
                self.update_cluster_config(st, c, &body),
            ),
            ("POST", ["clusters", c, "access-entries"]) => {
                ("CreateAccessEntry", self.create_access_entry(st, c, &body))
            }
            ("GET", ["clusters", c, "access-entries"]) => {
                ("ListAccessEntries", self.list_access_entries(st, c, query))
            }
            ("GET", ["clusters", c, "access-entries", p]) => (
                "DescribeAccessEntry",
                self.entry(st, c, p)
                    .map(|e| json!({ "accessEntry": self.entry_json(st, c, e) })),
            ),
            ("POST", ["clusters", c, "access-entries", p]) => (
                "UpdateAccessEntry",
                self.update_access_entry(st, c, p, &body),
            ),
            ("DELETE", ["clusters", c, "access-entries", p]) => {
                ("DeleteAccessEntry", self.delete_access_entry(st, c, p))
            }
            ("POST", ["clusters", c, "access-entries", p, "access-policies"]) => (
                "AssociateAccessPolicy",
                self.associate_policy(st, c, p, &body),
            ),
            ("GET", ["clusters", c, "access-entries", p, "access-policies"]) => (
                "ListAssociatedAccessPolicies",
                self.list_associated_policies(st, c, p, query),
            ),
            ("DELETE", ["clusters", c, "access-entries", p, "access-policies", a]) => (
                "DisassociateAccessPolicy",
                self.disassociate_policy(st, c, p, a),
            ),
            ("GET", ["access-policies"]) => {
                ("ListAccessPolicies", self.list_access_policies(query))
            }
            ("POST", ["clusters", c, "pod-identity-associations"]) => (
                "CreatePodIdentityAssociation",
                self.create_pod_identity(st, c, &body),
            ),
            ("GET", ["clusters", c, "pod-identity-associations"]) => (
                "ListPodIdentityAssociations",
                self.list_pod_identities(st, c, query),
            ),
            ("GET", ["clusters", c, "pod-identity-associations", id]) => (
                "DescribePodIdentityAssociation",
                self.pod_identity(st, c, id)
                    .map(|p| json!({ "association": self.pod_identity_json(st, c, p) })),
            ),
            ("POST", ["clusters", c, "pod-identity-associations", id]) => (
                "UpdatePodIdentityAssociation",
                self.update_pod_identity(st, c, id, &body),
            ),
            ("DELETE", ["clusters", c, "pod-identity-associations", id]) => (
                "DeletePodIdentityAssociation",
                self.delete_pod_identity(st, c, id),
            ),
            ("GET", ["tags", arn]) => ("ListTagsForResource", self.list_tags(st, arn)),
            ("POST", ["tags", arn]) => ("TagResource", self.tag_resource(st, arn, &body)),
            ("DELETE", ["tags", arn]) => ("UntagResource", self.untag_resource(st, arn, query)),
            _ => {
                let err = ApiError {
                    code: StatusCode::NOT_FOUND,
                    kind: "UnknownOperationException",
                    message: format!("no EKS operation for {method} /{}", segs.join("/")),
                };
                return (None, Err(err));
            }
        };
        (Some(op), result)
    }

    fn cluster<'a>(&self, st: &'a State, name: &str) -> Result<&'a Cluster> {
        st.clusters
            .get(name)
            .ok_or_else(|| not_found(format!("No cluster found for name: {name}.")))
    }

    fn cluster_mut<'a>(&self, st: &'a mut State, name: &str) -> Result<&'a mut Cluster> {
        st.clusters
            .get_mut(name)
            .ok_or_else(|| not_found(format!("No cluster found for name: {name}.")))
    }

    fn list_clusters(&self, st: &State, query: &[(String, String)]) -> Result<Value> {
        let names = st.clusters.keys().map(|k| (k.clone(), k.clone())).collect();
        let (clusters, next) = paginate(names, query)?;
        Ok(compact(json!({ "clusters": clusters, "nextToken": next })))
    }

    fn describe_cluster(&self, st: &State, name: &str) -> Result<Value> {
        let c = self.cluster(st, name)?;
        let endpoint_id = encode_token(name).to_uppercase();
        let cluster = json!({
            "name": name,
            "arn": c.arn,
            "createdAt": c.created_at,
            "version": "1.32",
            "endpoint": format!("https://{endpoint_id}.gr7.{}.eks.amazonaws.com", self.region),
            "roleArn": format!("arn:{}:iam::{}:role/eksClusterRole", self.partition, self.account),
            "identity": { "oidc": { "issuer": c.issuer } },
            "status": "ACTIVE",
            "platformVersion": "eks.1",
            "tags": st.tags.get(&c.arn).cloned().unwrap_or_default(),
            "accessConfig": c.authentication_mode.as_ref().map(|m| json!({
                "authenticationMode": m,
                "bootstrapClusterCreatorAdminPermissions": true,
            })),
        });
        Ok(json!({ "cluster": compact(cluster) }))
    }

    /// Access-entry operations need the API in the cluster's authentication mode.
    fn check_api_mode(&self, st: &State, name: &str) -> Result<()> {
        let c = self.cluster(st, name)?;
        match c.authentication_mode.as_deref() {
            Some("API" | "API_AND_CONFIG_MAP") => Ok(()),
            _ => Err(ApiError {
                code: StatusCode::BAD_REQUEST,
                kind: "InvalidRequestException",
                message: "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.".into(),
            }),
        }
    }

    /// UpdateClusterConfig with `accessConfig.authenticationMode`: one way only, as EKS.
    fn update_cluster_config(&self, st: &mut State, name: &str, body: &Value) -> Result<Value> {
        let Some(mode) = body
            .get("accessConfig")
            .map(|a| opt_str(a, "authenticationMode"))
            .transpose()?
            .flatten()
        else {
            return Err(invalid(
                "only accessConfig.authenticationMode updates are supported",
            ));
        };
        let rank = |m: Option<&str>| match m {
            None | Some("CONFIG_MAP") => Some(0),
            Some("API_AND_CONFIG_MAP") => Some(1),
            Some("API") => Some(2),
            Some(_) => None,
        };
        let Some(to) = rank(Some(&mode)) else {
            return Err(invalid(format!(
                "The authentication mode {mode} is not valid"
            )));
        };
        let c = self.cluster_mut(st, name)?;
        let from = rank(c.authentication_mode.as_deref()).unwrap_or(0);
        if to < from {
            return Err(invalid(format!(
                "Unsupported authentication mode update from {} to {mode}",
                c.authentication_mode.as_deref().unwrap_or("CONFIG_MAP")
            )));
        }
        c.authentication_mode = Some(mode.clone());
        Ok(json!({ "update": {
            "id": self.uuid(),
            "status": "Successful",
            "type": "AccessConfigUpdate",
            "params": [{ "type": "AuthenticationMode", "value": mode }],
            "createdAt": now(),
            "errors": [],
        }}))
    }

    fn entry<'a>(&self, st: &'a State, cluster: &str, principal: &str) -> Result<&'a Entry> {
        self.cluster(st, cluster)?
            .entries
            .get(principal)
            .ok_or_else(|| entry_not_found(principal))
    }

    fn entry_mut<'a>(
        &self,
        st: &'a mut State,
        cluster: &str,
        principal: &str,
    ) -> Result<&'a mut Entry> {
        self.cluster_mut(st, cluster)?
            .entries
            .get_mut(principal)
            .ok_or_else(|| entry_not_found(principal))
    }

    fn entry_json(&self, st: &State, cluster: &str, e: &Entry) -> Value {
        json!({
            "clusterName": cluster,
            "principalArn": e.principal_arn,
            "kubernetesGroups": e.groups,
            "accessEntryArn": e.arn,
            "createdAt": e.created_at,
            "modifiedAt": e.modified_at,
            "tags": st.tags.get(&e.arn).cloned().unwrap_or_default(),
            "username": e.username,
            "type": e.kind,
        })
    }

    fn create_access_entry(&self, st: &mut State, cluster: &str, body: &Value) -> Result<Value> {
        let principal = req_str(body, "principalArn")?;
        let kind = opt_str(body, "type")?.unwrap_or_else(|| "STANDARD".into());
        if !ENTRY_TYPES.contains(&kind.as_str()) {
            return Err(invalid(format!("The specified type {kind} is not valid")));
        }
        let username = opt_str(body, "username")?;
        let groups = opt_str_list(body, "kubernetesGroups")?;
        let tags = tag_map(body)?;
        let c = self.cluster(st, cluster)?;
        let Some((iam_kind, account, name)) = parse_iam_arn(&principal) else {
            return Err(invalid(format!(
                "The specified principalArn is invalid: {principal}. It must be the ARN of an IAM role or user."
            )));
        };
        if c.entries.contains_key(&principal) {
            return Err(in_use(
                "The specified access entry resource is already in use on this cluster.",
            ));
        }
        let (username, groups) = if kind == "STANDARD" {
            let username = match username {
                Some(u) => validate_username(u)?,
                None if iam_kind == "role" => format!(
                    "arn:{}:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}",
                    self.partition
                ),
                None => principal.clone(),
            };
            (username, validate_groups(groups.unwrap_or_default())?)
        } else {
            if iam_kind != "role" {
                return Err(invalid(format!(
                    "Access entries of type {kind} require an IAM role"
                )));
            }
            if username.is_some() || groups.as_ref().is_some_and(|g| !g.is_empty()) {
                return Err(invalid(format!(
                    "username and kubernetesGroups cannot be specified for access entries of type {kind}"
                )));
            }
            node_identity(&kind)
        };
        let arn = format!(
            "arn:{}:eks:{}:{}:access-entry/{cluster}/{iam_kind}/{account}/{name}/{}",
            self.partition,
            self.region,
            self.account,
            self.uuid()
        );
        let at = now();
        let entry = Entry {
            principal_arn: principal.clone(),
            arn: arn.clone(),
            groups,
            username,
            kind,
            created_at: at,
            modified_at: at,
            policies: BTreeMap::new(),
        };
        if !tags.is_empty() {
            st.tags.insert(arn, tags);
        }
        let c = self.cluster_mut(st, cluster)?;
        c.entries.insert(principal.clone(), entry);
        let e = self.entry(st, cluster, &principal)?;
        Ok(json!({ "accessEntry": self.entry_json(st, cluster, e) }))
    }

    fn update_access_entry(
        &self,
        st: &mut State,
        cluster: &str,
        principal: &str,
        body: &Value,
    ) -> Result<Value> {
        let username = opt_str(body, "username")?;
        let groups = opt_str_list(body, "kubernetesGroups")?;
        let e = self.entry_mut(st, cluster, principal)?;
        if e.kind != "STANDARD" && (username.is_some() || groups.is_some()) {
            return Err(invalid(format!(
                "username and kubernetesGroups cannot be updated for access entries of type {}",
                e.kind
            )));
        }
        if let Some(u) = username {
            e.username = validate_username(u)?;
        }
        if let Some(g) = groups {
            e.groups = validate_groups(g)?;
        }
        e.modified_at = now();
        let e = self.entry(st, cluster, principal)?;
        Ok(json!({ "accessEntry": self.entry_json(st, cluster, e) }))
    }

    fn delete_access_entry(&self, st: &mut State, cluster: &str, principal: &str) -> Result<Value> {
        let removed = self
            .cluster_mut(st, cluster)?
            .entries
            .remove(principal)
            .ok_or_else(|| entry_not_found(principal))?;
        st.tags.remove(&removed.arn);
        Ok(json!({}))
    }

    fn list_access_entries(
        &self,
        st: &State,
        cluster: &str,
        query: &[(String, String)],
    ) -> Result<Value> {
        let c = self.cluster(st, cluster)?;
        let policy = query_str(query, "associatedPolicyArn");
        if let Some(p) = policy {
            self.check_policy_arn(p)?;
        }
        let arns = c
            .entries
            .values()
            .filter(|e| policy.is_none_or(|p| e.policies.contains_key(p)))
            .map(|e| (e.principal_arn.clone(), e.principal_arn.clone()))
            .collect();
        let (arns, next) = paginate(arns, query)?;
        Ok(compact(json!({ "accessEntries": arns, "nextToken": next })))
    }

    fn check_policy_arn(&self, arn: &str) -> Result<()> {
        let known = ACCESS_POLICIES.iter().any(|n| self.policy_arn(n) == arn);
        known.then_some(()).ok_or_else(|| {
            invalid(format!(
                "The specified policyArn {arn} is not a valid access policy"
            ))
        })
    }

    fn list_access_policies(&self, query: &[(String, String)]) -> Result<Value> {
        let policies = ACCESS_POLICIES
            .iter()
            .map(|n| {
                (
                    n.to_string(),
                    json!({ "name": n, "arn": self.policy_arn(n) }),
                )
            })
            .collect();
        let (policies, next) = paginate(policies, query)?;
        Ok(compact(
            json!({ "accessPolicies": policies, "nextToken": next }),
        ))
    }

    fn associate_policy(
        &self,
        st: &mut State,
        cluster: &str,
        principal: &str,
        body: &Value,
    ) -> Result<Value> {
        let policy = req_str(body, "policyArn")?;
        self.check_policy_arn(&policy)?;
        let scope = body
            .get("accessScope")
            .ok_or_else(|| invalid("accessScope is required"))?;
        let scope_type = opt_str(scope, "type")?.unwrap_or_default();
        let namespaces = opt_str_list(scope, "namespaces")?.unwrap_or_default();
        match (scope_type.as_str(), namespaces.is_empty()) {
            ("cluster", true) | ("namespace", false) => {}
            ("cluster", false) => {
                return Err(invalid(
                    "namespaces can't be specified for an access scope of type cluster",
                ))
            }
            ("namespace", true) => {
                return Err(invalid(
                    "namespaces are required for an access scope of type namespace",
                ))
            }
            _ => {
                return Err(invalid(format!(
                    "The access scope type {scope_type:?} is not valid"
                )))
            }
        }
        let scope = json!({ "type": scope_type, "namespaces": namespaces });
        let e = self.entry_mut(st, cluster, principal)?;
        if e.kind != "STANDARD" {
            return Err(invalid(format!(
                "Access policies can't be associated with access entries of type {}",
                e.kind
            )));
        }
        let at = now();
        let associated_at = e.policies.get(&policy).map_or(at, |(_, a, _)| *a);
        e.policies
            .insert(policy.clone(), (scope.clone(), associated_at, at));
        Ok(json!({
            "clusterName": cluster,
            "principalArn": principal,
            "associatedAccessPolicy": {
                "policyArn": policy, "accessScope": scope,
                "associatedAt": associated_at, "modifiedAt": at,
            },
        }))
    }

    fn disassociate_policy(
        &self,
        st: &mut State,
        cluster: &str,
        principal: &str,
        policy: &str,
    ) -> Result<Value> {
        let e = self.entry_mut(st, cluster, principal)?;
        e.policies.remove(policy).ok_or_else(|| {
            not_found(format!(
                "The specified policy {policy} is not associated with the access entry for {principal}."
            ))
        })?;
        Ok(json!({}))
    }

    fn list_associated_policies(
        &self,
        st: &State,
        cluster: &str,
        principal: &str,
        query: &[(String, String)],
    ) -> Result<Value> {
        let e = self.entry(st, cluster, principal)?;
        let items = e
            .policies
            .iter()
            .map(|(arn, (scope, associated_at, modified_at))| {
                let v = json!({
                    "policyArn": arn, "accessScope": scope,
                    "associatedAt": associated_at, "modifiedAt": modified_at,
                });
                (arn.clone(), v)
            })
            .collect();
        let (items, next) = paginate(items, query)?;
        Ok(compact(json!({
            "clusterName": cluster, "principalArn": principal,
            "associatedAccessPolicies": items, "nextToken": next,
        })))
    }

    fn pod_identity<'a>(&self, st: &'a State, cluster: &str, id: &str) -> Result<&'a PodIdentity> {
        self.cluster(st, cluster)?
            .pod_identities
            .get(id)
            .ok_or_else(|| association_not_found(id))
    }

    fn pod_identity_json(&self, st: &State, cluster: &str, p: &PodIdentity) -> Value {
        compact(json!({
            "clusterName": cluster,
            "namespace": p.namespace,
            "serviceAccount": p.service_account,
            "roleArn": p.role_arn,
            "associationArn": p.arn,
            "associationId": p.id,
            "tags": st.tags.get(&p.arn).cloned().unwrap_or_default(),
            "createdAt": p.created_at,
            "modifiedAt": p.modified_at,
            "disableSessionTags": p.disable_session_tags,
            "targetRoleArn": p.target_role_arn,
            "externalId": p.external_id,
            "policy": p.policy,
        }))
    }

    fn create_pod_identity(&self, st: &mut State, cluster: &str, body: &Value) -> Result<Value> {
        let namespace = req_str(body, "namespace")?;
        let service_account = req_str(body, "serviceAccount")?;
        let role_arn = role_arn(body, "roleArn")?
            .filter(|r| !r.is_empty())
            .ok_or_else(|| invalid("roleArn is required"))?;
        let target_role_arn = role_arn_opt(body)?;
        let disable_session_tags = body
            .get("disableSessionTags")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let policy = opt_str(body, "policy")?;
        let tags = tag_map(body)?;
        let c = self.cluster(st, cluster)?;
        if c.pod_identities
            .values()
            .any(|p| p.namespace == namespace && p.service_account == service_account)
        {
            return Err(in_use(format!(
                "Association already exists for service account {service_account} in namespace {namespace}"
            )));
        }
        let id = format!("a-{:016x}{:x}", self.next_u64(), self.next_u64() % 16);
        let arn = format!(
            "arn:{}:eks:{}:{}:podidentityassociation/{cluster}/{id}",
            self.partition, self.region, self.account
        );
        let at = now();
        let external_id = target_role_arn.as_ref().map(|_| self.uuid());
        let assoc = PodIdentity {
            id: id.clone(),
            arn: arn.clone(),
            namespace,
            service_account,
            role_arn,
            target_role_arn,
            external_id,
            disable_session_tags,
            policy,
            created_at: at,
            modified_at: at,
        };
        if !tags.is_empty() {
            st.tags.insert(arn, tags);
        }
        self.cluster_mut(st, cluster)?
            .pod_identities
            .insert(id.clone(), assoc);
        let p = self.pod_identity(st, cluster, &id)?;
        Ok(json!({ "association": self.pod_identity_json(st, cluster, p) }))
    }

    fn update_pod_identity(
        &self,
        st: &mut State,
        cluster: &str,
        id: &str,
        body: &Value,
    ) -> Result<Value> {
        let new_role = role_arn(body, "roleArn")?.filter(|r| !r.is_empty());
        let has_target = body.get("targetRoleArn").is_some_and(|v| !v.is_null());
        let target = role_arn_opt(body)?;
        let disable = body.get("disableSessionTags").and_then(Value::as_bool);
        let policy = opt_str(body, "policy")?;
        let external_id = self.uuid();
        let p = self
            .cluster_mut(st, cluster)?
            .pod_identities
            .get_mut(id)
            .ok_or_else(|| association_not_found(id))?;
        if let Some(r) = new_role {
            p.role_arn = r;
        }
        if has_target {
            if target.is_none() {
                p.external_id = None;
            } else if p.external_id.is_none() {
                p.external_id = Some(external_id);
            }
            p.target_role_arn = target;
        }
        if let Some(d) = disable {
            p.disable_session_tags = d;
        }
        if let Some(pol) = policy {
            p.policy = Some(pol).filter(|s| !s.is_empty());
        }
        p.modified_at = now();
        let p = self.pod_identity(st, cluster, id)?;
        Ok(json!({ "association": self.pod_identity_json(st, cluster, p) }))
    }

    fn delete_pod_identity(&self, st: &mut State, cluster: &str, id: &str) -> Result<Value> {
        let json = {
            let p = self.pod_identity(st, cluster, id)?;
            self.pod_identity_json(st, cluster, p)
        };
        if let Some(p) = self.cluster_mut(st, cluster)?.pod_identities.remove(id) {
            st.tags.remove(&p.arn);
        }
        Ok(json!({ "association": json }))
    }

    fn list_pod_identities(
        &self,
        st: &State,
        cluster: &str,
        query: &[(String, String)],
    ) -> Result<Value> {
        let c = self.cluster(st, cluster)?;
        let ns = query_str(query, "namespace");
        let sa = query_str(query, "serviceAccount");
        let items = c
            .pod_identities
            .values()
            .filter(|p| ns.is_none_or(|n| p.namespace == n))
            .filter(|p| sa.is_none_or(|s| p.service_account == s))
            .map(|p| {
                let summary = json!({
                    "clusterName": cluster, "namespace": p.namespace,
                    "serviceAccount": p.service_account, "associationArn": p.arn,
                    "associationId": p.id,
                });
                (p.id.clone(), summary)
            })
            .collect();
        let (items, next) = paginate(items, query)?;
        Ok(compact(json!({ "associations": items, "nextToken": next })))
    }

    /// Checks that `arn` names a taggable resource of this server.
    fn check_taggable(&self, st: &State, arn: &str) -> Result<()> {
        let exists = st.clusters.values().any(|c| {
            c.arn == arn
                || c.entries.values().any(|e| e.arn == arn)
                || c.pod_identities.values().any(|p| p.arn == arn)
        });
        if exists {
            Ok(())
        } else if arn.starts_with("arn:") && arn.contains(":eks:") {
            Err(ApiError {
                code: StatusCode::NOT_FOUND,
                kind: "NotFoundException",
                message: format!("Resource {arn} not found"),
            })
        } else {
            Err(ApiError {
                code: StatusCode::BAD_REQUEST,
                kind: "BadRequestException",
                message: format!("{arn} is not a valid resource ARN"),
            })
        }
    }

    fn list_tags(&self, st: &State, arn: &str) -> Result<Value> {
        self.check_taggable(st, arn)?;
        Ok(json!({ "tags": st.tags.get(arn).cloned().unwrap_or_default() }))
    }

    fn tag_resource(&self, st: &mut State, arn: &str, body: &Value) -> Result<Value> {
        self.check_taggable(st, arn)?;
        let tags = tag_map(body)?;
        st.tags.entry(arn.to_string()).or_default().extend(tags);
        Ok(json!({}))
    }

    fn untag_resource(
        &self,
        st: &mut State,
        arn: &str,
        query: &[(String, String)],
    ) -> Result<Value> {
        self.check_taggable(st, arn)?;
        if let Some(tags) = st.tags.get_mut(arn) {
            for (_, key) in query.iter().filter(|(k, _)| k == "tagKeys") {
                tags.remove(key);
            }
        }
        Ok(json!({}))
    }
}

fn role_arn_opt(body: &Value) -> Result<Option<String>> {
    Ok(role_arn(body, "targetRoleArn")?.filter(|r| !r.is_empty()))
}

fn entry_not_found(principal: &str) -> ApiError {
    not_found(format!(
        "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'. ({principal})"
    ))
}

fn association_not_found(id: &str) -> ApiError {
    not_found(format!(
        "The specified association {id} could not be found."
    ))
}

fn validate_username(username: String) -> Result<String> {
    if username.is_empty() {
        return Err(invalid("username can't be empty"));
    }
    match RESERVED_USERNAME_PREFIXES
        .iter()
        .find(|p| username.starts_with(*p))
    {
        Some(p) => Err(invalid(format!(
            "The username {username} is invalid: it can't start with {p}"
        ))),
        None => Ok(username),
    }
}

fn validate_groups(groups: Vec<String>) -> Result<Vec<String>> {
    match groups
        .iter()
        .find(|g| g.is_empty() || g.starts_with("system:"))
    {
        Some(g) => Err(invalid(format!(
            "The kubernetes group name {g:?} is invalid: it can't be empty or start with system:"
        ))),
        None => Ok(groups),
    }
}

/// The username and groups EKS assigns to node access entries.
fn node_identity(kind: &str) -> (String, Vec<String>) {
    let (user, groups): (&str, &[&str]) = match kind {
        "EC2_LINUX" => ("system:node:{{EC2PrivateDNSName}}", &["system:nodes"]),
        "EC2_WINDOWS" => (
            "system:node:{{EC2PrivateDNSName}}",
            &["system:nodes", "eks:kube-proxy-windows"],
        ),
        "EC2" => ("system:node:{{EC2PrivateDNSName}}", &[]),
        "FARGATE_LINUX" => (
            "system:node:{{SessionName}}",
            &["system:node-proxier", "system:nodes"],
        ),
        _ => ("system:node:{{SessionName}}", &["system:nodes"]),
    };
    (
        user.to_string(),
        groups.iter().map(|g| g.to_string()).collect(),
    )
}

fn error_response(e: &ApiError) -> Resp {
    let mut resp = json_response(e.code, &json!({ "message": e.message }));
    resp.headers_mut()
        .insert("x-amzn-errortype", http::HeaderValue::from_static(e.kind));
    resp
}

const USAGE: &str = "usage: eks-test-server [--port P] [--cluster NAME[=ISSUER_URL] ...] [--account-id ID] [--region R] [--authentication-mode API|API_AND_CONFIG_MAP|CONFIG_MAP|NONE]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut port = 0u16;
    let mut clusters: Vec<(String, Option<String>)> = Vec::new();
    let mut account = "123456789012".to_string();
    let mut region = "us-east-1".to_string();
    let mut mode = Some("API_AND_CONFIG_MAP".to_string());
    let mut args = Args::from_env();
    while let Some((flag, value)) = args
        .next_flag()
        .map_err(|e| anyhow::anyhow!("{e}\n{USAGE}"))?
    {
        match flag.as_str() {
            "--port" => port = value.parse()?,
            "--cluster" => clusters.push(match value.split_once('=') {
                Some((name, issuer)) => (name.to_string(), Some(issuer.to_string())),
                None => (value, None),
            }),
            "--account-id" => account = value,
            "--region" => region = value,
            "--authentication-mode" => {
                mode = match value.as_str() {
                    "API" | "API_AND_CONFIG_MAP" | "CONFIG_MAP" => Some(value),
                    "NONE" => None,
                    _ => anyhow::bail!("unknown authentication mode {value}\n{USAGE}"),
                }
            }
            _ => anyhow::bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default()
        ^ u64::from(std::process::id());
    let eks = Arc::new(Eks {
        account,
        region,
        partition,
        state: Mutex::new(State::default()),
        counter: Counter::default(),
        ids: AtomicU64::new(0),
        seed,
    });
    for (name, issuer) in &clusters {
        eks.add_cluster(name, issuer.as_deref(), mode.as_deref());
    }
    let (listener, port) = bind(port).await?;
    announce(port)?;
    serve(listener, move |req| eks.clone().handle(req)).await
}
