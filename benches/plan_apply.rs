//! Whole-plan and apply benchmark against moto and the Kubernetes test server, side by side
//! with per-resource reading (the way the Terraform AWS provider reads roles: GetRole,
//! ListRolePolicies, GetRolePolicy per inline policy, ListAttachedRolePolicies; 10 at a time).
//!
//! `cargo bench --bench plan_apply -- 100 1000` (needs `.venv/bin/moto_server` — tests/run.sh
//! installs it — and the test servers built: `cargo build -p eksfed-test-servers`).
//! Prints a markdown table and writes `target/bench/plan_apply.csv`.

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::plan::diff::{diff, DiffOptions};
use eksfed_compiler::plan::live::LiveState;
use eksfed_compiler::plan::AwsSettingsDoc;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Facts,
    desired::compile::VarInputs, plan::render,
};
use eksfed_runtime::apply::{apply, ApplyOptions};
use eksfed_runtime::state;
use eksfed_test_servers::moto;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, p: &str) -> Result<String, String> {
        Err(format!("no file {p}"))
    }
}

/// CPU seconds (user + system) this process has used.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds used so far by the moto server listening on `port` (found by its command
/// line under /proc), to show what bounds the apply's wall time.
fn moto_cpu_seconds(port: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    for e in dir.flatten() {
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains("moto_server.py")
            && cmd.contains(&format!("-p {port}"))
            && !cmd.starts_with("sh ")
        {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let after = stat.rsplit(')').next().unwrap_or("").to_string();
            let f: Vec<&str> = after.split_whitespace().collect();
            let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
            return (ticks(11) + ticks(12)) / 100.0;
        }
    }
    0.0
}

fn kube_requests(port: u16) -> u64 {
    let out = Command::new("curl")
        .args(["-s", &format!("http://127.0.0.1:{port}/__eksfed/requests")])
        .output();
    out.ok()
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .and_then(|v| v["total"].as_u64())
        .unwrap_or(0)
}

fn server_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("exe");
    let target = exe.ancestors().nth(3).expect("target dir").to_path_buf();
    for profile in ["release", "debug"] {
        let p = target.join(profile).join("kube-test-server");
        if p.exists() {
            return p;
        }
    }
    panic!("kube-test-server not built: cargo build -p eksfed-test-servers");
}

/// A fresh Kubernetes test server writing its kubeconfig into `dir`: (process, port, kubeconfig).
fn start_kube(dir: &std::path::Path) -> (std::process::Child, u16, std::path::PathBuf) {
    let kubeconfig = dir.join("kubeconfig");
    let mut server = Command::new(server_bin())
        .args(["--kubeconfig-out", kubeconfig.to_str().expect("path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kube-test-server");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("port");
    let port: u16 = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    (server, port, kubeconfig)
}

/// CPU seconds (user + system) of this process's children that have been waited for
/// (`cutime` + `cstime` of /proc/self/stat).
fn children_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(13) + ticks(14)) / 100.0
}

/// Whole commands, as a user runs them: the `eksfed` binary applies the generated stack of
/// `n` roles to a fresh account and Kubernetes server, then plans it again (exit 0: no
/// changes). Returns (apply wall, apply CPU, plan wall, plan CPU) of the eksfed processes.
fn whole_commands(n: usize, endpoint: &str) -> (f64, f64, f64, f64) {
    let account = moto::new_account();
    let dir = std::env::temp_dir().join(format!("eksfed-bench-cli-{n}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (mut server, _, kubeconfig) = start_kube(&dir);
    let stack = dir.join("stack");
    std::fs::create_dir_all(&stack).expect("dir");
    std::fs::write(
        stack.join("main.hcl"),
        eksfed_compiler::synthetic::stack(n, &account),
    )
    .expect("write");
    let run = |args: &[&str]| {
        let cpu0 = children_cpu_seconds();
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_eksfed"))
            .args(args)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("EKSFED_AWS_HEADERS", format!("x-moto-account-id={account}"))
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .expect("eksfed");
        let wall = t.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "eksfed {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (wall, children_cpu_seconds() - cpu0)
    };
    let dir_arg = stack.to_str().expect("path");
    let (apply_s, apply_cpu) = run(&[
        "apply",
        dir_arg,
        "--auto-approve",
        "--parallelism",
        "10",
        "--quiet",
    ]);
    let (plan_s, plan_cpu) = run(&["plan", dir_arg, "--detailed-exitcode", "--quiet"]);
    let _ = server.kill();
    let _ = server.wait();
    (apply_s, apply_cpu, plan_s, plan_cpu)
}

/// Reads every role of the stack one by one, 10 at a time: the per-resource baseline.
async fn per_resource_read(iam: &aws_sdk_iam::Client, names: &[String]) -> usize {
    use futures_like::run_bounded;
    let results = run_bounded(names.to_vec(), 10, |name| {
        let iam = iam.clone();
        async move {
            let mut n = 0;
            let _ = iam.get_role().role_name(&name).send().await;
            n += 1;
            let inline = iam.list_role_policies().role_name(&name).send().await;
            n += 1;
            if let Ok(l) = inline {
                for p in l.policy_names() {
                    let _ = iam
                        .get_role_policy()
                        .role_name(&name)
                        .policy_name(p)
                        .send()
                        .await;
                    n += 1;
                }
            }
            let _ = iam
                .list_attached_role_policies()
                .role_name(&name)
                .send()
                .await;
            n + 1
        }
    })
    .await;
    results.into_iter().sum()
}

mod futures_like {
    use std::future::Future;
    use std::sync::Arc;
    use tokio::sync::Semaphore;

    pub async fn run_bounded<T, F, Fut>(items: Vec<T>, limit: usize, f: F) -> Vec<usize>
    where
        T: Send + 'static,
        F: Fn(T) -> Fut,
        Fut: Future<Output = usize> + Send + 'static,
    {
        let sem = Arc::new(Semaphore::new(limit));
        let mut set = tokio::task::JoinSet::new();
        for it in items {
            let permit = sem.clone().acquire_owned().await.expect("semaphore");
            let fut = f(it);
            set.spawn(async move {
                let r = fut.await;
                drop(permit);
                r
            });
        }
        let mut out = vec![];
        while let Some(r) = set.join_next().await {
            out.push(r.unwrap_or(0));
        }
        out
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100, 1000]
    } else {
        sizes
    };
    // The runtime the eksfed binary uses (src/commands.rs).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let endpoint = moto::moto().endpoint.clone();
    let moto_port = endpoint.rsplit(':').next().unwrap_or("").to_string();
    std::env::set_var("AWS_ACCESS_KEY_ID", "bench");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "bench");
    std::env::set_var("EKSFED_RETRY_BUDGET_SECS", "60");
    let mut csv = String::from("roles,objects,apply_s,apply_cpu_s,apply_moto_cpu_s,apply_aws_requests,apply_kube_requests,plan_s,plan_aws_requests,plan_kube_requests,baseline_s,baseline_requests\n");
    println!("| roles | apply wall | apply AWS + k8s requests | tool CPU during apply | moto CPU during apply | tool CPU per request | plan wall | plan AWS requests | plan k8s requests | per-resource read wall | per-resource requests |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for &n in &sizes {
        let account = moto::new_account();
        let dir = std::env::temp_dir().join(format!("eksfed-bench-{n}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let (mut server, kport, kubeconfig) = start_kube(&dir);
        std::env::set_var("KUBECONFIG", &kubeconfig);
        let text = eksfed_compiler::synthetic::stack(n, &account);
        let c = compile(CompileInput {
            files: vec![("main.hcl".into(), text)],
            reader: &NoFiles,
            vars: VarInputs::default(),
            facts: Facts::default(),
        });
        assert!(!c.diagnostics.has_errors());
        let (desired, graph) = (c.desired.expect("desired"), c.graph.expect("graph"));
        let rendered = render::render(&desired);
        let settings = AwsSettingsDoc {
            endpoint: Some(endpoint.clone()),
            region: Some("us-east-1".into()),
            profile: None,
        };
        rt.block_on(async {
            let aws = eksfed_runtime::aws::clients_with(&settings, vec![("x-moto-account-id".into(), account.clone())]).await;
            let empty = LiveState { account_id: account.clone(), objects: vec![] };
            let (plan0, _) = diff(&desired, &graph, &empty, &DiffOptions::default());
            let clusters = plan0.clusters.clone();
            let scope = state::scope(rendered.resources.iter().map(|r| &r.kind), &clusters);
            let conn = state::connect(aws.clone(), &scope, &clusters).await.expect("connect");
            // apply
            let cpu0 = cpu_seconds();
            let moto0 = moto_cpu_seconds(&moto_port);
            let aws_apply0 = aws.request_count();
            let kube_apply0 = kube_requests(kport);
            let t = Instant::now();
            let opts = ApplyOptions { parallelism: 10, cancel: Arc::new(AtomicBool::new(false)), progress: Arc::new(|_| {}) };
            let results = apply(&plan0, Arc::new(conn.clone()), &opts).await;
            let apply_s = t.elapsed().as_secs_f64();
            let apply_cpu = cpu_seconds() - cpu0;
            let moto_cpu = moto_cpu_seconds(&moto_port) - moto0;
            let apply_requests = aws.request_count() - aws_apply0;
            let apply_kube = kube_requests(kport) - kube_apply0;
            let failed = results.iter().filter(|r| r.outcome != eksfed_runtime::apply::Outcome::Done).count();
            assert_eq!(failed, 0, "apply failures: {:?}", results.iter().find(|r| r.outcome != eksfed_runtime::apply::Outcome::Done));
            // plan (read + diff)
            let aws0 = aws.request_count();
            let k0 = kube_requests(kport);
            let t = Instant::now();
            let live = state::read(&conn, &desired.stack.name, &account, &scope, &clusters).await.expect("read");
            let (plan, _) = diff(&desired, &graph, &live, &DiffOptions::default());
            let plan_s = t.elapsed().as_secs_f64();
            assert!(!plan.has_changes(), "a plan after apply must be empty");
            let aws_req = aws.request_count() - aws0;
            let kube_req = kube_requests(kport) - k0;
            // per-resource baseline, same process, right after
            let names: Vec<String> = desired.resources.iter().filter_map(|r| match &r.kind {
                eksfed_compiler::desired::model::ResourceKind::Role(role) => Some(role.name.clone()),
                _ => None,
            }).collect();
            let t = Instant::now();
            let base_req = per_resource_read(&aws.iam, &names).await;
            let base_s = t.elapsed().as_secs_f64();
            println!(
                "| {n} | {apply_s:.1} s | {apply_requests} + {apply_kube} | {apply_cpu:.2} s ({:.1}%) | {moto_cpu:.2} s ({:.0}%) | {:.0} µs | {plan_s:.2} s | {aws_req} | {kube_req} | {base_s:.2} s | {base_req} |",
                100.0 * apply_cpu / apply_s,
                100.0 * moto_cpu / apply_s,
                1e6 * apply_cpu / (apply_requests as f64 + apply_kube as f64).max(1.0),
            );
            csv.push_str(&format!("{n},{},{apply_s:.3},{apply_cpu:.3},{moto_cpu:.3},{apply_requests},{apply_kube},{plan_s:.3},{aws_req},{kube_req},{base_s:.3},{base_req}\n", rendered.resources.len()));
        });
        let _ = server.kill();
        let _ = server.wait();
    }
    println!();
    println!("| roles | `eksfed apply` wall | its CPU | `eksfed plan` wall | its CPU |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    let mut cli_csv = String::from("roles,apply_s,apply_cpu_s,plan_s,plan_cpu_s\n");
    for &n in &sizes {
        let (apply_s, apply_cpu, plan_s, plan_cpu) = whole_commands(n, &endpoint);
        println!(
            "| {n} | {apply_s:.1} s | {apply_cpu:.2} s ({:.1}%) | {plan_s:.2} s | {plan_cpu:.2} s |",
            100.0 * apply_cpu / apply_s
        );
        cli_csv.push_str(&format!(
            "{n},{apply_s:.3},{apply_cpu:.3},{plan_s:.3},{plan_cpu:.3}\n"
        ));
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("plan_apply.csv"), csv);
    let _ = std::fs::write(out.join("commands.csv"), cli_csv);
}
