//! `faults`: a fault-injecting HTTP proxy for tests, between a client (eksfed, an SDK) and
//! an upstream (moto, kube-test-server, eks-test-server).
//!
//! `faults --upstream http://127.0.0.1:PORT [--port P] [--seed N]` prints
//! `listening on http://127.0.0.1:PORT`. Every request is forwarded (method, path, headers,
//! body) unless a rule matches it. Rules are set at run time:
//!
//! - `POST /__fault/rules` with `{"rules": [RULE, ...]}`; a RULE is
//!   `{"method": "POST", "path_prefix": "/", "action": "Create*", "writes_only": true,
//!     "mode": "always" | "first:K" | "nth:N" | "p:0.3",
//!     "fault": "throttle" | "status:500" | "status:503" | "conflict" | "retry_after:1"
//!              | "latency:200" | "drop" | "drop_after"}`
//!   (`drop` closes the connection without forwarding; `drop_after` forwards the request,
//!   lets the upstream carry it out, and closes the connection without the response — what
//!   a crash or a cut network looks like to the client);
//!   (`path_excludes: "/leases"` keeps matching paths out; `action` matches the AWS Query
//!   `Action=` of the form body with `*` wildcards;
//!   `writes_only` matches IAM actions that write, and Kubernetes POST/PUT/PATCH/DELETE);
//! - `GET /__fault/log`: every request seen, `{method, path, action, write, fault}`;
//! - `POST /__fault/reset`: no rules, empty log.
//!
//! The proxy speaks HTTP/1.1 with `Connection: close` on both sides, which every client used
//! here (hyper in the AWS SDK and in kube-rs) handles.

use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Deserialize, Clone, Default)]
struct Rule {
    method: Option<String>,
    path_prefix: Option<String>,
    /// Requests whose path contains this never match (e.g. `/leases`).
    path_excludes: Option<String>,
    action: Option<String>,
    #[serde(default)]
    writes_only: bool,
    #[serde(default = "always")]
    mode: String,
    fault: String,
    #[serde(skip)]
    seen: u64,
}

fn always() -> String {
    "always".into()
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    log: Vec<Value>,
    rng: u64,
}

fn glob(p: &str, s: &str) -> bool {
    match p.split_once('*') {
        None => p == s,
        Some((a, b)) => {
            s.starts_with(a) && s.len() >= a.len() + b.len() && glob_rest(b, &s[a.len()..])
        }
    }
}

fn glob_rest(p: &str, s: &str) -> bool {
    if !p.contains('*') {
        return s.ends_with(p);
    }
    (0..=s.len()).any(|i| s.is_char_boundary(i) && glob(p, &s[i..]))
}

const IAM_WRITES: &[&str] = &[
    "Create", "Put", "Delete", "Update", "Attach", "Detach", "Add", "Remove", "Set", "Tag", "Untag",
];

struct Request {
    method: String,
    path: String,
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn action(&self) -> Option<String> {
        let body = String::from_utf8_lossy(&self.body);
        body.split('&')
            .find_map(|kv| kv.strip_prefix("Action="))
            .map(String::from)
    }
    fn is_write(&self) -> bool {
        match self.action() {
            Some(a) => IAM_WRITES.iter().any(|w| a.starts_with(w)),
            None => matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"),
        }
    }
}

async fn read_request(s: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = s.read(&mut tmp).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&tmp[..n]);
    }
    let mut first = head.lines().next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    Some(Request {
        method,
        path,
        head,
        body,
    })
}

fn respond(status: u16, reason: &str, headers: &[(&str, String)], body: &str) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r.into_bytes()
}

fn fault_response(fault: &str, req: &Request) -> Option<Vec<u8>> {
    let aws = req.action().is_some();
    match fault.split_once(':').unwrap_or((fault, "")) {
        ("throttle", _) if aws => Some(respond(400, "Bad Request", &[("Content-Type", "text/xml".into())], "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>")),
        ("throttle", _) | ("retry_after", _) => {
            let secs = fault.split_once(':').map(|x| x.1.to_string()).filter(|s| !s.is_empty()).unwrap_or_else(|| "1".into());
            Some(respond(429, "Too Many Requests", &[("Content-Type", "application/json".into()), ("Retry-After", secs)], &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "too many requests (fault-proxy)", "reason": "TooManyRequests", "code": 429}).to_string()))
        }
        ("conflict", _) => Some(respond(409, "Conflict", &[("Content-Type", "application/json".into())], &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "the object has been modified (fault-proxy)", "reason": "Conflict", "code": 409}).to_string())),
        ("status", code) => {
            let code: u16 = code.parse().unwrap_or(500);
            let body = if aws {
                "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>injected by fault-proxy</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>".to_string()
            } else {
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "injected by fault-proxy", "reason": "InternalError", "code": code}).to_string()
            };
            Some(respond(code, "Injected", &[], &body))
        }
        _ => None,
    }
}

async fn forward(upstream: &str, req: &Request) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    let mut head: Vec<String> = req
        .head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(String::from)
        .collect();
    head.push("Connection: close".into());
    let mut out = head.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&req.body);
    up.write_all(&out).await?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await?;
    // Tell the client this connection ends here.
    if let Some(i) = resp.windows(2).position(|w| w == b"\r\n") {
        let (status, rest) = resp.split_at(i);
        let mut r = status.to_vec();
        r.extend_from_slice(b"\r\nConnection: close");
        let rest = String::from_utf8_lossy(rest).to_string();
        let filtered: String = rest
            .split_inclusive("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .collect();
        r.extend_from_slice(filtered.as_bytes());
        return Ok(r);
    }
    Ok(resp)
}

fn choose(state: &mut State, req: &Request) -> Option<String> {
    let action = req.action();
    let write = req.is_write();
    let mut rng = state.rng;
    let mut chosen = None;
    for rule in state.rules.iter_mut() {
        let m = rule
            .method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(&req.method))
            && rule
                .path_prefix
                .as_ref()
                .is_none_or(|p| req.path.starts_with(p.as_str()))
            && rule
                .path_excludes
                .as_ref()
                .is_none_or(|x| !req.path.contains(x.as_str()))
            && rule.action.as_ref().is_none_or(|p| {
                action
                    .as_deref()
                    .is_some_and(|a| p.split('|').any(|x| glob(x, a)))
            })
            && (!rule.writes_only || write);
        if !m {
            continue;
        }
        rule.seen += 1;
        let fire = match rule
            .mode
            .split_once(':')
            .unwrap_or((rule.mode.as_str(), ""))
        {
            ("always", _) => true,
            ("nth", n) => rule.seen == n.parse::<u64>().unwrap_or(0),
            ("first", k) => rule.seen <= k.parse::<u64>().unwrap_or(0),
            ("p", p) => {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                (rng % 10_000) as f64 / 10_000.0 < p.parse::<f64>().unwrap_or(0.0)
            }
            _ => false,
        };
        if fire && chosen.is_none() {
            chosen = Some(rule.fault.clone());
        }
    }
    state.rng = rng;
    chosen
}

async fn handle(mut s: TcpStream, upstream: Arc<String>, state: Arc<Mutex<State>>) {
    let Some(req) = read_request(&mut s).await else {
        return;
    };
    let control = |v: Value| {
        respond(
            200,
            "OK",
            &[("Content-Type", "application/json".into())],
            &v.to_string(),
        )
    };
    let reply = match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/__fault/rules") => {
            let rules: Vec<Rule> = serde_json::from_slice::<Value>(&req.body)
                .ok()
                .and_then(|v| serde_json::from_value(v["rules"].clone()).ok())
                .unwrap_or_default();
            let n = rules.len();
            if let Ok(mut st) = state.lock() {
                st.rules = rules;
            }
            control(json!({ "rules": n }))
        }
        ("GET", "/__fault/log") => control(Value::Array(
            state.lock().map(|s| s.log.clone()).unwrap_or_default(),
        )),
        ("POST", "/__fault/reset") => {
            if let Ok(mut st) = state.lock() {
                st.rules.clear();
                st.log.clear();
            }
            control(json!({}))
        }
        _ => {
            let fault = state.lock().ok().and_then(|mut st| choose(&mut st, &req));
            if let Ok(mut st) = state.lock() {
                st.log.push(json!({ "method": req.method, "path": req.path, "action": req.action(), "write": req.is_write(), "fault": fault }));
            }
            match fault.as_deref() {
                Some("drop") => return,
                Some("drop_after") => {
                    let _ = forward(&upstream, &req).await;
                    return;
                }
                Some(f) if f.starts_with("latency:") => {
                    tokio::time::sleep(Duration::from_millis(f[8..].parse().unwrap_or(100))).await;
                    forward(&upstream, &req)
                        .await
                        .unwrap_or_else(|_| respond(502, "Bad Gateway", &[], ""))
                }
                Some(f) => {
                    fault_response(f, &req).unwrap_or_else(|| respond(500, "Injected", &[], ""))
                }
                None => forward(&upstream, &req)
                    .await
                    .unwrap_or_else(|_| respond(502, "Bad Gateway", &[], "upstream unreachable")),
            }
        }
    };
    let _ = s.write_all(&reply).await;
    let _ = s.shutdown().await;
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let upstream = arg("--upstream")
        .ok_or_else(|| anyhow::anyhow!("--upstream http://HOST:PORT is required"))?;
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let port: u16 = arg("--port").and_then(|p| p.parse().ok()).unwrap_or(0);
    let seed: u64 = arg("--seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15)
        | 1;
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    use std::io::Write as _;
    std::io::stdout().flush()?;
    let state = Arc::new(Mutex::new(State {
        rng: seed,
        ..Default::default()
    }));
    let upstream = Arc::new(upstream);
    loop {
        let (s, _) = listener.accept().await?;
        tokio::spawn(handle(s, upstream.clone(), state.clone()));
    }
}
