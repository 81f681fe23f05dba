//! A real Kubernetes control plane for the tests: `etcd` and `kube-apiserver` built from their
//! Go modules (tests/kube-control-plane, built by tests/run.sh, paths in `EKSFED_ETCD` and
//! `EKSFED_KUBE_APISERVER`), started on loopback the way envtest starts them: etcd, then
//! kube-apiserver with RBAC authorization, client-certificate authentication against a CA made
//! here (openssl), service-account signing keys and a secure port. No controller manager runs:
//! tests create what they need (namespaces) themselves.
//!
//! Reading back goes through `curl` with a client certificate: another client than eksfed's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::KubeApi;

/// The user of the admin kubeconfig: in `system:masters`, as a cluster creator is.
pub const ADMIN: &str = "eksfed-test-admin";

/// One control plane (its etcd and kube-apiserver), stopped and removed when dropped.
pub struct RealKube {
    etcd: Child,
    apiserver: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Drop for RealKube {
    fn drop(&mut self) {
        for c in [&mut self.apiserver, &mut self.etcd] {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn binary(var: &str) -> PathBuf {
    let p = std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: tests/run.sh builds etcd and kube-apiserver (tests/kube-control-plane) and sets it")
    });
    assert!(Path::new(&p).is_file(), "{var}={p} is not a file");
    PathBuf::from(p)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An EC key and a certificate for `subject` signed by the CA in `dir`; `ext` is an
/// extensions file's text (SANs, usage).
fn signed_cert(dir: &Path, name: &str, subject: &str, ext: &str) {
    let (key, csr, crt, extf) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.crt"),
        format!("{name}.ext"),
    );
    std::fs::write(dir.join(&extf), ext).unwrap();
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &key,
        ],
    );
    openssl(
        dir,
        &["req", "-new", "-key", &key, "-subj", subject, "-out", &csr],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &extf,
            "-out",
            &crt,
        ],
    );
}

fn make_pki(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=eksfed-test-ca",
        ],
    );
    signed_cert(
        dir,
        "serving",
        "/CN=kube-apiserver",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    );
    openssl(dir, &["genpkey", "-algorithm", "RSA", "-out", "sa.key"]);
    openssl(dir, &["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

fn spawn(bin: &Path, args: &[String], log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()))
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn start_etcd(dir: &Path) -> (Child, u16) {
    let (client, peer) = (free_port(), free_port());
    let c = format!("http://127.0.0.1:{client}");
    let p = format!("http://127.0.0.1:{peer}");
    let args: Vec<String> = [
        "--name=test",
        &format!("--data-dir={}", dir.join("etcd").display()),
        &format!("--listen-client-urls={c}"),
        &format!("--advertise-client-urls={c}"),
        &format!("--listen-peer-urls={p}"),
        &format!("--initial-advertise-peer-urls={p}"),
        &format!("--initial-cluster=test={p}"),
        "--unsafe-no-fsync=true",
        "--log-level=warn",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let log = dir.join("etcd.log");
    let mut child = spawn(&binary("EKSFED_ETCD"), &args, &log);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", client)).is_err() {
        if let Ok(Some(s)) = child.try_wait() {
            panic!("etcd exited ({s}):\n{}", tail(&log));
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("etcd did not listen in 60s:\n{}", tail(&log));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, client)
}

fn apiserver_args(dir: &Path, etcd_port: u16, port: u16) -> Vec<String> {
    let f = |n: &str| dir.join(n).display().to_string();
    vec![
        format!("--etcd-servers=http://127.0.0.1:{etcd_port}"),
        "--bind-address=127.0.0.1".into(),
        "--advertise-address=127.0.0.1".into(),
        format!("--secure-port={port}"),
        format!("--cert-dir={}", f("certs")),
        format!("--tls-cert-file={}", f("serving.crt")),
        format!("--tls-private-key-file={}", f("serving.key")),
        format!("--client-ca-file={}", f("ca.crt")),
        "--authorization-mode=RBAC".into(),
        format!("--service-account-key-file={}", f("sa.pub")),
        format!("--service-account-signing-key-file={}", f("sa.key")),
        "--service-account-issuer=https://kubernetes.default.svc".into(),
        "--service-cluster-ip-range=10.0.0.0/24".into(),
        "--allow-privileged=true".into(),
        // No kubernetes Service endpoints: the advertised address is loopback (as envtest).
        "--endpoint-reconciler-type=none".into(),
        "--v=0".into(),
    ]
}

impl RealKube {
    /// Starts etcd and kube-apiserver and waits until the API server is ready and
    /// `kube-system` exists. Fails (never skips) when the binaries are missing.
    pub fn start(name: &str) -> RealKube {
        let started = Instant::now();
        let dir = std::env::temp_dir().join(format!("eksfed-kube-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("certs")).unwrap();
        make_pki(&dir);
        let (etcd, etcd_port) = start_etcd(&dir);
        let port = free_port();
        let log = dir.join("kube-apiserver.log");
        let apiserver = spawn(
            &binary("EKSFED_KUBE_APISERVER"),
            &apiserver_args(&dir, etcd_port, port),
            &log,
        );
        let mut k = RealKube {
            etcd,
            apiserver,
            port,
            dir,
        };
        k.client_cert(ADMIN, ADMIN, &["system:masters"]);
        k.wait_ready(&log);
        eprintln!(
            "{name}: etcd and kube-apiserver ready in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        k
    }

    fn wait_ready(&mut self, log: &Path) {
        let start = Instant::now();
        loop {
            if let Ok(Some(s)) = self.apiserver.try_wait() {
                panic!("kube-apiserver exited ({s}):\n{}", tail(log));
            }
            let ready = self.request("GET", "/readyz", None).0 == 200
                && self
                    .request("GET", "/api/v1/namespaces/kube-system", None)
                    .0
                    == 200;
            if ready {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "kube-apiserver not ready after 120s:\n{}",
                tail(log)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A client certificate for `user` in `groups` (file stem `stem`, in this plane's dir).
    pub fn client_cert(&self, stem: &str, user: &str, groups: &[&str]) {
        let mut subject = String::new();
        for g in groups {
            subject += &format!("/O={g}");
        }
        subject += &format!("/CN={user}");
        signed_cert(
            &self.dir,
            stem,
            &subject,
            "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n",
        );
    }

    pub fn server(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// A kubeconfig for `user` (in `groups`) with one context per name in `contexts`, all
    /// pointing at this API server.
    pub fn kubeconfig(&self, user: &str, groups: &[&str], contexts: &[&str]) -> PathBuf {
        if user != ADMIN {
            self.client_cert(user, user, groups);
        }
        let f = |n: &str| self.dir.join(n).display().to_string();
        let mut text = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        text += &format!(
            "- name: real\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n",
            self.server(),
            f("ca.crt")
        );
        text += &format!(
            "- name: {user}\n  user:\n    client-certificate: {}\n    client-key: {}\ncontexts:\n",
            f(&format!("{user}.crt")),
            f(&format!("{user}.key"))
        );
        for c in contexts {
            text += &format!("- name: {c}\n  context:\n    cluster: real\n    user: {user}\n");
        }
        text += &format!("current-context: {}\n", contexts[0]);
        let path = self.dir.join(format!("kubeconfig-{user}"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// One request as `user` (whose certificate `client_cert` or `kubeconfig` made).
    pub fn http_as(
        &self,
        user: &str,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> (u16, String) {
        let f = |n: &str| self.dir.join(n).display().to_string();
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "-X", method, "-w", "\n%{http_code}", "--cacert"])
            .arg(f("ca.crt"))
            .arg("--cert")
            .arg(f(&format!("{user}.crt")))
            .arg("--key")
            .arg(f(&format!("{user}.key")))
            .arg(format!("{}{path}", self.server()));
        if let Some(b) = body {
            let ct = if method == "PATCH" {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            cmd.args(["-H", &format!("Content-Type: {ct}"), "--data-binary", b]);
        }
        let out = cmd.output().expect("curl");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    /// Creates RBAC objects (ClusterRoles, Roles and their bindings) as the admin.
    pub fn create_rbac(&self, docs: &[serde_json::Value]) {
        for d in docs {
            let plural = match d["kind"].as_str().unwrap() {
                "ClusterRole" => "clusterroles",
                "ClusterRoleBinding" => "clusterrolebindings",
                "Role" => "roles",
                "RoleBinding" => "rolebindings",
                other => panic!("create_rbac: {other}"),
            };
            let ns = d["metadata"]["namespace"]
                .as_str()
                .map(|n| format!("/namespaces/{n}"))
                .unwrap_or_default();
            self.create(
                &format!("/apis/rbac.authorization.k8s.io/v1{ns}/{plural}"),
                d,
            );
        }
    }
}

impl KubeApi for RealKube {
    /// One request as the admin (`system:masters`).
    fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        self.http_as(ADMIN, method, path, body)
    }
}
