//! Helpers for black-box tests against the test doubles: moto (AWS), kube-test-server
//! (Kubernetes over kube-fake-client) and eks-test-server, each test in its own AWS account and
//! its own Kubernetes server. Other clients (boto3, raw Kubernetes HTTP) read back what eksfed
//! wrote.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub use eksfed_test_servers::moto;

pub mod real_kube;
use real_kube::RealKube;

pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_eksfed"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A server binary of tests/servers, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn start(name: &str, args: &[&str]) -> Server {
        let bin = bin_dir().join(name);
        let mut child = Command::new(&bin)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}); build the workspace first (tests/run.sh does)",
                    bin.display()
                )
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().rsplit(':').next().unwrap().parse().unwrap();
        Server { child, port }
    }
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    /// One HTTP request with an optional JSON body; (status, body).
    pub fn http(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        content_type: &str,
    ) -> (u16, String) {
        http(self.port, method, path, body, content_type)
    }
}

/// What the tests ask of a Kubernetes API server, the test server's or a real one's, as its
/// admin.
pub trait KubeApi {
    /// One request with an optional JSON body (a merge patch for PATCH); (status, body).
    fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String);

    fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let (c, b) = self.request("GET", path, None);
        (
            c,
            serde_json::from_str(&b).unwrap_or(serde_json::Value::Null),
        )
    }
    /// POST `object` to the collection at `path`; it must be created.
    fn create(&self, path: &str, object: &serde_json::Value) {
        let (c, b) = self.request("POST", path, Some(&object.to_string()));
        assert!(c == 201 || c == 200, "POST {path}: {c} {b}");
    }
    /// A namespace, as another tool would create it.
    fn create_namespace(&self, name: &str) {
        let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
        self.create("/api/v1/namespaces", &ns);
    }
    /// `kube-system/aws-auth` created with `map_roles` (node groups, other tools).
    fn seed_aws_auth(&self, map_roles: &str) {
        let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": {"mapRoles": map_roles}});
        self.create("/api/v1/namespaces/kube-system/configmaps", &cm);
    }
    /// The `kube-system/aws-auth` ConfigMap (null when absent).
    fn aws_auth(&self) -> serde_json::Value {
        self.get_json("/api/v1/namespaces/kube-system/configmaps/aws-auth")
            .1
    }
}

impl KubeApi for Server {
    fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let ct = if method == "PATCH" {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        self.http(method, path, body, ct)
    }
}

/// One HTTP request to a loopback port, with an optional body; (status, body).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    content_type: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let b = body.unwrap_or("");
    write!(s, "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}", b.len()).unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    let (head, body) = r.split_once("\r\n\r\n").unwrap_or((&r, ""));
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    // chunked bodies: keep it simple, the test servers send Content-Length
    (code, body.to_string())
}

/// GET a JSON document from a loopback port; (status, document or null).
pub fn get_json(port: u16, path: &str) -> (u16, serde_json::Value) {
    let (c, b) = http(port, "GET", path, None, "application/json");
    (
        c,
        serde_json::from_str(&b).unwrap_or(serde_json::Value::Null),
    )
}

/// One isolated world: an AWS account in the shared moto, a fresh Kubernetes server (the test
/// server over kube-fake-client, or a real control plane: `World::real`), and (optionally) an
/// EKS access-entry server, plus a temp dir.
pub struct World<K = Server> {
    pub account: String,
    pub kube: K,
    pub eks: Option<Server>,
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
}

fn world_dir(name: &str) -> PathBuf {
    let _ = moto::moto();
    let dir = std::env::temp_dir().join(format!("eksfed-live-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl World<RealKube> {
    /// A world whose Kubernetes is a real etcd + kube-apiserver (tests/support/real_kube.rs);
    /// eksfed's kubeconfig is the admin's (`system:masters`), contexts `demo` and `prod`.
    pub fn real(name: &str) -> World<RealKube> {
        let dir = world_dir(name);
        let kube = RealKube::start(name);
        let kubeconfig = kube.kubeconfig(real_kube::ADMIN, &[], &["demo", "prod"]);
        World {
            account: moto::new_account(),
            kube,
            eks: None,
            dir,
            kubeconfig,
        }
    }
}

impl World {
    pub fn new(name: &str) -> World {
        let dir = world_dir(name);
        let kubeconfig = dir.join("kubeconfig");
        let kube = Server::start(
            "kube-test-server",
            &[
                "--kubeconfig-out",
                kubeconfig.to_str().unwrap(),
                "--context",
                "demo",
                "--context",
                "prod",
            ],
        );
        World {
            account: moto::new_account(),
            kube,
            eks: None,
            dir,
            kubeconfig,
        }
    }
}

impl<K> World<K> {
    pub fn with_eks(mut self, clusters: &[(&str, &str)]) -> World<K> {
        let mut args = vec!["--account-id".to_string(), self.account.clone()];
        for (n, i) in clusters {
            args.push("--cluster".into());
            args.push(format!("{n}={i}"));
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        self.eks = Some(Server::start("eks-test-server", &a));
        self
    }

    pub fn envs(&self) -> Vec<(String, String)> {
        let mut e = moto::env(&self.account);
        e.push(("KUBECONFIG".into(), self.kubeconfig.display().to_string()));
        e.push(("EKSFED_RETRY_BUDGET_SECS".into(), "20".into()));
        e.push(("NO_COLOR".into(), "1".into()));
        e
    }

    /// Runs eksfed; the stack's `aws { endpoint }` is not needed: AWS_ENDPOINT_URL points at moto.
    pub fn eksfed(&self, args: &[&str]) -> Output {
        self.eksfed_with(&self.kubeconfig, args)
    }

    /// Runs eksfed with another kubeconfig (another Kubernetes user).
    pub fn eksfed_with(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_eksfed"));
        cmd.args(args)
            .envs(self.envs())
            .env("KUBECONFIG", kubeconfig)
            .env_remove("AWS_PROFILE");
        if let Some(eks) = &self.eks {
            // EKS calls go to the EKS test server; IAM/STS to moto.
            cmd.env("AWS_ENDPOINT_URL_EKS", eks.url());
        }
        cmd.output().unwrap()
    }

    /// Runs a Python snippet with boto3 (from moto's venv) as this account; prints JSON.
    pub fn boto3(&self, code: &str) -> serde_json::Value {
        let py =
            PathBuf::from(std::env::var("EKSFED_MOTO_SERVER").unwrap_or_else(|_| {
                format!("{}/.venv/bin/moto_server", env!("CARGO_MANIFEST_DIR"))
            }))
            .with_file_name("python");
        let prelude = format!(
            "import boto3, json, sys\nfrom botocore.config import Config\niam = boto3.client('iam', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='t', aws_secret_access_key='t')\niam.meta.events.register('before-sign.*.*', lambda request, **kw: request.headers.__setitem__('x-moto-account-id', '{}'))\n",
            moto::moto().endpoint,
            self.account
        );
        let out = Command::new(&py)
            .arg("-c")
            .arg(format!("{prelude}{code}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "boto3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&out.stdout).to_string())
        })
    }

    pub fn write_stack(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let d = self.dir.join(name);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        for (f, text) in files {
            std::fs::write(d.join(f), text.replace("ACCOUNT", &self.account)).unwrap();
        }
        d
    }
}

pub fn text(o: &Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
