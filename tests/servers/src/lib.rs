//! Test-only servers (see the binaries under `src/bin`): the plumbing they share.
//!
//! Both servers bind a loopback port, announce it with exactly one stdout line
//! `listening on http://127.0.0.1:PORT`, serve HTTP/1.1 with hyper, and count the requests
//! they serve so tests can assert on traffic (`GET /__eksfed/requests`,
//! `POST /__eksfed/reset-counts`).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::io::Write as _;
use std::sync::Mutex;

use anyhow::Context as _;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// The response type of both servers.
pub type Resp = Response<Full<Bytes>>;

/// Path of the request-counter endpoint (GET).
pub const REQUESTS_PATH: &str = "/__eksfed/requests";
/// Path of the request-counter reset endpoint (POST).
pub const RESET_PATH: &str = "/__eksfed/reset-counts";

/// Counts served requests by a caller-chosen key (e.g. `LIST serviceaccounts`).
#[derive(Default)]
pub struct Counter(Mutex<BTreeMap<String, u64>>);

impl Counter {
    pub fn record(&self, key: String) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(key).or_default() += 1;
    }

    /// `{"total": N, "requests": {"KEY": n, ...}}`
    pub fn snapshot(&self) -> Value {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        json!({ "total": map.values().sum::<u64>(), "requests": *map })
    }

    pub fn reset(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Answers the two `/__eksfed/...` endpoints; `None` for any other request.
    pub fn handle(&self, method: &http::Method, path: &str) -> Option<Resp> {
        match (method.as_str(), path) {
            ("GET", REQUESTS_PATH) => Some(json_response(StatusCode::OK, &self.snapshot())),
            ("POST", RESET_PATH) => {
                self.reset();
                Some(json_response(StatusCode::OK, &self.snapshot()))
            }
            _ => None,
        }
    }
}

pub fn json_response(status: StatusCode, body: &Value) -> Resp {
    bytes_response(status, "application/json", Bytes::from(body.to_string()))
}

pub fn bytes_response(status: StatusCode, content_type: &str, body: Bytes) -> Resp {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    resp
}

/// Decoded `key=value` pairs of a query string, in order (`+` means space).
pub fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        urlencoding::decode(&s).map(|c| c.into_owned()).unwrap_or(s)
    };
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// First value of `key` in decoded query pairs.
pub fn query_get<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Percent-decoded, non-empty path segments.
pub fn path_segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            urlencoding::decode(s)
                .map(|c| c.into_owned())
                .unwrap_or_else(|_| s.to_string())
        })
        .collect()
}

/// Reads a whole request body.
pub async fn read_body(body: Incoming) -> Result<Bytes, hyper::Error> {
    Ok(body.collect().await?.to_bytes())
}

/// Binds `127.0.0.1:port` (0 = ephemeral); returns the listener and the bound port.
pub async fn bind(port: u16) -> anyhow::Result<(TcpListener, u16)> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port}"))?;
    let port = listener.local_addr()?.port();
    Ok((listener, port))
}

/// Prints the one announcement line tests wait for, and flushes it.
pub fn announce(port: u16) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://127.0.0.1:{port}")?;
    out.flush()?;
    Ok(())
}

/// Serves HTTP/1.1 connections forever, one task per connection.
pub async fn serve<H, Fut>(listener: TcpListener, handler: H) -> anyhow::Result<()>
where
    H: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Resp> + Send + 'static,
{
    loop {
        let (stream, _) = listener.accept().await?;
        let handler = handler.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                // A panicking handler must not take the connection down silently: run it as
                // its own task and turn a panic into a 500.
                let task = tokio::spawn(handler(req));
                async move {
                    Ok::<_, Infallible>(task.await.unwrap_or_else(|e| {
                        let msg = format!("test server handler failed: {e}");
                        json_response(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            &json!({ "message": msg }),
                        )
                    }))
                }
            });
            // A client hanging up mid-request is not the server's problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// Minimal command-line reader: `--flag value` / `--flag=value` pairs.
pub struct Args(std::vec::IntoIter<String>);

impl Args {
    pub fn from_env() -> Self {
        Self(std::env::args().skip(1).collect::<Vec<_>>().into_iter())
    }

    /// The next `(flag, value)` pair, or an error for a stray argument / missing value.
    pub fn next_flag(&mut self) -> anyhow::Result<Option<(String, String)>> {
        let Some(arg) = self.0.next() else {
            return Ok(None);
        };
        if !arg.starts_with("--") {
            anyhow::bail!("unexpected argument {arg:?}");
        }
        if let Some((flag, value)) = arg.split_once('=') {
            return Ok(Some((flag.to_string(), value.to_string())));
        }
        let value = self
            .0
            .next()
            .with_context(|| format!("{arg} needs a value"))?;
        Ok(Some((arg, value)))
    }
}
pub mod moto;
/// A test-server binary of this crate (`kube-test-server`, `eks-test-server`, `faults`)
/// for tests of other crates: built next to the running test executable
/// (`target/<profile>/NAME`, which `cargo build --workspace` and tests/run.sh produce).
pub fn server_bin(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/TEST-HASH -> target/<profile>
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .context("no target directory above the test executable")?;
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        bin.exists(),
        "{} not found; build it first: cargo build -p eksfed-test-servers --bins (tests/run.sh builds the workspace)",
        bin.display()
    );
    Ok(bin)
}

/// A running test-server process, killed when dropped.
pub struct Spawned {
    child: std::process::Child,
    pub port: u16,
}

impl Spawned {
    /// Starts the server binary `name` (see [`server_bin`]) with `args` and waits for its
    /// `listening on http://127.0.0.1:PORT` line.
    pub fn start(name: &str, args: &[&str]) -> anyhow::Result<Spawned> {
        use std::io::BufRead as _;
        let bin = server_bin(name)?;
        let mut child = std::process::Command::new(&bin)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut line = String::new();
        let read = child
            .stdout
            .take()
            .context("no stdout")
            .and_then(|out| Ok(std::io::BufReader::new(out).read_line(&mut line)?));
        let port = read.ok().and_then(|_| {
            line.trim_end()
                .strip_prefix("listening on http://127.0.0.1:")?
                .parse()
                .ok()
        });
        match port {
            Some(port) => Ok(Spawned { child, port }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("{name} did not announce its port (first line {line:?})")
            }
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
