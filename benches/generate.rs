//! `eksfed generate` for a cluster with N IRSA roles, against moto (IAM, STS), the EKS test
//! server (DescribeCluster, access entries, pod identity) and the Kubernetes test server: the
//! account seeded with boto3 as eksctl leaves it (the cluster's OIDC provider, N roles each
//! trusting one service account, each with an AWS managed and an inline policy, plus 20
//! roles unrelated to the cluster), the cluster with N annotated service accounts. Runs the
//! `eksfed` binary as a user would, with and without `--group`, and reports its AWS requests
//! (its own count), Kubernetes requests (the server's counter), wall time and peak resident
//! memory (`/usr/bin/time -f %M`). The generated stack must validate.
//!
//! `cargo bench --bench generate -- 100 1000` (needs `.venv/bin/moto_server` — tests/run.sh
//! installs it — and the test servers built: `cargo build -p eksfed-test-servers`).

use eksfed_test_servers::moto;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/BENCH0123456789ABCDEF012345678";

fn server_bin(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("exe");
    let target = exe.ancestors().nth(3).expect("target dir").to_path_buf();
    for profile in ["release", "debug"] {
        let p = target.join(profile).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} not built: cargo build -p eksfed-test-servers");
}

/// Starts a test server; (process, port).
fn start(name: &str, args: &[&str]) -> (Child, u16) {
    let mut child = Command::new(server_bin(name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("port");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    (child, port)
}

fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(s, "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).expect("write");
    let mut r = String::new();
    s.read_to_string(&mut r).expect("read");
    let (head, body) = r.split_once("\r\n\r\n").unwrap_or((&r, ""));
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, body.to_string())
}

fn kube_requests(port: u16) -> u64 {
    let (_, b) = http(port, "GET", "/__eksfed/requests", "");
    serde_json::from_str::<serde_json::Value>(&b)
        .ok()
        .and_then(|v| v["total"].as_u64())
        .unwrap_or(0)
}

/// Runs Python with boto3 (moto's venv) as `account`.
fn boto3(account: &str, code: &str) {
    let py = std::path::PathBuf::from(
        std::env::var("EKSFED_MOTO_SERVER")
            .unwrap_or_else(|_| format!("{}/.venv/bin/moto_server", env!("CARGO_MANIFEST_DIR"))),
    )
    .with_file_name("python");
    let prelude = format!(
        "import boto3, json\niam = boto3.client('iam', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='t', aws_secret_access_key='t')\niam.meta.events.register('before-sign.*.*', lambda request, **kw: request.headers.__setitem__('x-moto-account-id', '{account}'))\n",
        moto::moto().endpoint
    );
    let out = Command::new(py)
        .arg("-c")
        .arg(format!("{prelude}{code}"))
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "boto3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Run {
    wall_s: f64,
    cpu_s: f64,
    rss_mb: f64,
    aws: usize,
    kube: u64,
    lines: usize,
}

fn generate(
    n: usize,
    account: &str,
    eks_port: u16,
    kube_port: u16,
    kubeconfig: &std::path::Path,
    group: bool,
) -> Run {
    let out_dir = std::env::temp_dir().join(format!(
        "eksfed-bench-gen-{n}-{group}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&out_dir);
    let mut args = vec![
        "-f".to_string(),
        "%M %U %S".into(),
        env!("CARGO_BIN_EXE_eksfed").into(),
        "generate".into(),
        "--cluster".into(),
        "prod".into(),
        "--out".into(),
        out_dir.display().to_string(),
        "--stack".into(),
        "bench".into(),
    ];
    if group {
        args.push("--group".into());
    }
    let k0 = kube_requests(kube_port);
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(&args)
        .envs(moto::env(account))
        .env(
            "AWS_ENDPOINT_URL_EKS",
            format!("http://127.0.0.1:{eks_port}"),
        )
        .env("KUBECONFIG", kubeconfig)
        .output()
        .expect("eksfed generate");
    let wall_s = t.elapsed().as_secs_f64();
    let kube = kube_requests(kube_port) - k0;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "generate: {stdout}\n{stderr}");
    let fields: Vec<f64> = stderr
        .lines()
        .last()
        .map(|l| {
            l.split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let [rss_kb, user, sys] = fields[..] else {
        panic!("peak RSS and CPU from /usr/bin/time: {stderr}");
    };
    let i = stdout.find("AWS requests: ").expect("request count");
    let aws = stdout[i + 14..]
        .split(')')
        .next()
        .and_then(|x| x.trim().parse().ok())
        .expect("request count");
    let main = std::fs::read_to_string(out_dir.join("main.hcl")).expect("main.hcl");
    let v = Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(["validate", out_dir.to_str().expect("path")])
        .output()
        .expect("validate");
    assert!(
        v.status.success(),
        "validate: {}",
        String::from_utf8_lossy(&v.stderr)
    );
    let imports = std::fs::read_to_string(out_dir.join("imports.hcl")).expect("imports.hcl");
    assert!(imports.matches("import {").count() >= 2 * n);
    Run {
        wall_s,
        cpu_s: user + sys,
        rss_mb: rss_kb / 1024.0,
        aws,
        kube,
        lines: main.lines().count(),
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
    let host = ISSUER.trim_start_matches("https://");
    println!(
        "| IRSA roles | blocks | AWS requests | k8s requests | wall | eksfed CPU | peak RSS | main.hcl lines |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut csv =
        String::from("roles,group,aws_requests,kube_requests,wall_s,cpu_s,peak_rss_mb,lines\n");
    for &n in &sizes {
        let account = moto::new_account();
        let dir = std::env::temp_dir().join(format!("eksfed-bench-gen-{n}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let kubeconfig = dir.join("kubeconfig");
        let (mut kube, kport) = start(
            "kube-test-server",
            &["--kubeconfig-out", kubeconfig.to_str().expect("path")],
        );
        let cluster = format!("prod={ISSUER}");
        let (mut eks, eport) = start(
            "eks-test-server",
            &["--account-id", &account, "--cluster", &cluster],
        );
        boto3(
            &account,
            &format!(
                r#"
iam.create_open_id_connect_provider(Url='{ISSUER}', ClientIDList=['sts.amazonaws.com'], ThumbprintList=['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'])
prov = 'arn:aws:iam::{account}:oidc-provider/{host}'
for i in range({n}):
    ns = f'team-{{i % 10}}'
    doc = {{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Federated': prov}}, 'Action': 'sts:AssumeRoleWithWebIdentity',
      'Condition': {{'StringEquals': {{'{host}:aud': 'sts.amazonaws.com', '{host}:sub': f'system:serviceaccount:{{ns}}:app-{{i}}'}}}}}}]}}
    name = f'app-{{i}}'
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc), Tags=[{{'Key': 'alpha.eksctl.io/cluster-name', 'Value': 'prod'}}])
    iam.attach_role_policy(RoleName=name, PolicyArn='arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess')
    iam.put_role_policy(RoleName=name, PolicyName='queue', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'sqs:SendMessage', 'Resource': 'arn:aws:sqs:us-east-1:{account}:jobs'}}]}}))
ec2 = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'ec2.amazonaws.com'}}, 'Action': 'sts:AssumeRole'}}]}})
for i in range(20):
    iam.create_role(RoleName=f'unrelated-{{i}}', AssumeRolePolicyDocument=ec2)
"#
            ),
        );
        for t in 0..10 {
            let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("team-{t}")}});
            http(kport, "POST", "/api/v1/namespaces", &ns.to_string());
        }
        for i in 0..n {
            let ns = format!("team-{}", i % 10);
            let sa = serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": format!("app-{i}"), "namespace": ns,
                "annotations": {"eks.amazonaws.com/role-arn": format!("arn:aws:iam::{account}:role/app-{i}")}}});
            let (c, b) = http(
                kport,
                "POST",
                &format!("/api/v1/namespaces/{ns}/serviceaccounts"),
                &sa.to_string(),
            );
            assert!(c == 201 || c == 200, "{c} {b}");
        }
        for group in [false, true] {
            let r = generate(n, &account, eport, kport, &kubeconfig, group);
            let mode = if group { "`--group`" } else { "one block each" };
            println!(
                "| {n} | {mode} | {} | {} | {:.2} s | {:.2} s | {:.0} MB | {} |",
                r.aws, r.kube, r.wall_s, r.cpu_s, r.rss_mb, r.lines
            );
            csv.push_str(&format!(
                "{n},{group},{},{},{:.3},{:.2},{:.1},{}\n",
                r.aws, r.kube, r.wall_s, r.cpu_s, r.rss_mb, r.lines
            ));
        }
        let _ = kube.kill();
        let _ = kube.wait();
        let _ = eks.kill();
        let _ = eks.wait();
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("generate.csv"), csv);
}
