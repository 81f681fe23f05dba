//! Starts moto's server (the AWS double) for tests: one per test binary, on a free loopback
//! port, from `EKSFED_MOTO_SERVER` (set by tests/run.sh) or `.venv/bin/moto_server`. Tests
//! isolate themselves with a fresh account id each (`x-moto-account-id`), so no resets.
//! A missing moto is a test failure, never a skip.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Moto {
    pub endpoint: String,
    _child: ChildGuard,
}

struct ChildGuard(Child);
impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn moto_path() -> String {
    std::env::var("EKSFED_MOTO_SERVER")
        .unwrap_or_else(|_| format!("{}/../../.venv/bin/moto_server", env!("CARGO_MANIFEST_DIR")))
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// The shared moto server of this test binary.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let path = moto_path();
        let port = free_port();
        // A static is never dropped, so the server is started under a small shell watchdog
        // that stops it when this test process exits (no moto_server outlives its tests).
        // moto_server's own Python runs our launcher (tests/servers/moto_server.py), which is
        // moto with SAML provider tags kept, as AWS keeps them.
        let python = std::path::Path::new(&path).with_file_name("python");
        let launcher = format!("{}/moto_server.py", env!("CARGO_MANIFEST_DIR"));
        let script = format!(
            "\"$0\" \"{launcher}\" -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; while kill -0 {parent} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 1; done; kill $m 2>/dev/null",
            parent = std::process::id()
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&python)
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto_server at {path} ({e}); run tests/run.sh, which installs it"));
        if !std::path::Path::new(&path).exists() {
            panic!("moto_server not found at {path}; run tests/run.sh, which installs it into .venv");
        }
        let guard = ChildGuard(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { endpoint: format!("http://127.0.0.1:{port}"), _child: guard }
    })
}

/// A fresh 12-digit account id for one test.
pub fn new_account() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let pid = u64::from(std::process::id()) % 100_000;
    format!("{:012}", 100_000_000_000 + pid * 10_000_000 + n * 1_000 + 1)
}

/// Environment for running eksfed (or an SDK) against moto as `account`.
pub fn env(account: &str) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT_URL".into(), moto().endpoint.clone()),
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        (
            "EKSFED_AWS_HEADERS".into(),
            format!("x-moto-account-id={account}"),
        ),
    ]
}
