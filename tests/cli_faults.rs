//! Faults, injected by the `faults` proxy (tests/servers) between eksfed and moto and between
//! eksfed and the Kubernetes test server. Each scenario ends with a converged second plan and
//! nothing foreign touched.
#![allow(clippy::unwrap_used)]

mod support;
use support::{text, KubeApi, Server, World};

trait LogWrites {
    fn log_writes(url: &str) -> usize;
}

impl LogWrites for Server {
    /// IAM writes the proxy at `url` has forwarded so far.
    fn log_writes(url: &str) -> usize {
        let port: u16 = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return 0;
        };
        use std::io::{Read, Write};
        let _ = write!(s, "GET /__fault/log HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let mut r = String::new();
        let _ = s.read_to_string(&mut r);
        let body = r.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
        serde_json::from_str::<Vec<serde_json::Value>>(body)
            .map(|v| v.iter().filter(|e| e["write"] == true).count())
            .unwrap_or(0)
    }
}

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

const STACK: &str = r#"
stack "qs" {}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
oidc_provider "demo" {
  url = cluster.demo.oidc_issuer_url
}
policy "read" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::reports/*"]
  }
}
role "reader" {
  trust_service_account {
    cluster   = cluster.demo
    namespace = "reports"
    names     = ["reader"]
  }
  policies = [policy.read.arn]
  inline_policy "extra" {
    statement {
      actions   = ["sqs:SendMessage"]
      resources = ["arn:aws:sqs:us-east-1:111122223333:reports"]
    }
  }
}
role "admins" {
  trust_aws { principals = ["arn:aws:iam::111122223333:root"] }
}
service_account "reader" {
  cluster          = cluster.demo
  namespace        = "reports"
  name             = "reader"
  role             = role.reader
  create_namespace = true
}
access "admins" {
  cluster = cluster.demo
  role    = role.admins
  groups  = ["platform:admins"]
}
"#;

/// A world whose AWS and Kubernetes traffic goes through fault proxies.
struct Faulty {
    w: World,
    aws: Server,
    kube: Server,
    kubeconfig: std::path::PathBuf,
}

impl Faulty {
    fn new(name: &str) -> Faulty {
        Faulty::with(World::new(name))
    }

    fn with(w: World) -> Faulty {
        let aws = Server::start("faults", &["--upstream", &support::moto::moto().endpoint]);
        let kube = Server::start("faults", &["--upstream", &w.kube.url()]);
        let kubeconfig = w.dir.join("kubeconfig-faults");
        let cfg = std::fs::read_to_string(&w.kubeconfig)
            .unwrap()
            .replace(&w.kube.url(), &kube.url());
        std::fs::write(&kubeconfig, cfg).unwrap();
        // foreign objects that must survive every scenario
        w.boto3("iam.create_role(RoleName='foreign', AssumeRolePolicyDocument=json.dumps({'Version':'2012-10-17','Statement':[{'Effect':'Allow','Principal':{'Service':'ec2.amazonaws.com'},'Action':'sts:AssumeRole'}]}))\nprint('{}')");
        let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": {"mapRoles": NODES}});
        w.kube.http(
            "POST",
            "/api/v1/namespaces/kube-system/configmaps",
            Some(&cm.to_string()),
            "application/json",
        );
        Faulty {
            w,
            aws,
            kube,
            kubeconfig,
        }
    }

    fn eksfed(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
            .args(args)
            .envs(self.w.envs())
            .env("AWS_ENDPOINT_URL", self.aws.url())
            .env("KUBECONFIG", &self.kubeconfig)
            .env("EKSFED_LOCK_TTL_SECS", "1")
            .envs(
                self.w
                    .eks
                    .iter()
                    .map(|e| ("AWS_ENDPOINT_URL_EKS".to_string(), e.url())),
            )
            .output()
            .unwrap()
    }

    fn rules(server: &Server, rules: serde_json::Value) {
        let (c, b) = server.http(
            "POST",
            "/__fault/rules",
            Some(&serde_json::json!({ "rules": rules }).to_string()),
            "application/json",
        );
        assert_eq!(c, 200, "{b}");
    }

    fn log(server: &Server) -> Vec<serde_json::Value> {
        server
            .get_json("/__fault/log")
            .1
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// After the faults: a clean apply converges, the plan is empty, foreign objects are intact.
    fn converges(&self, dir: &str, what: &str) {
        Self::rules(&self.aws, serde_json::json!([]));
        Self::rules(&self.kube, serde_json::json!([]));
        let a = self.eksfed(&["apply", dir, "--auto-approve", "--lock-timeout", "10s"]);
        assert_eq!(code(&a), 0, "{what}: the re-run must succeed: {}", text(&a));
        let p = self.eksfed(&["plan", dir, "--detailed-exitcode"]);
        assert_eq!(
            code(&p),
            0,
            "{what}: the plan after the re-run must be empty: {}",
            text(&p)
        );
        let t = self
            .w
            .boto3("print(json.dumps(iam.list_role_tags(RoleName='foreign')['Tags']))");
        assert_eq!(
            t,
            serde_json::json!([]),
            "{what}: the foreign role was touched"
        );
        let (_, cm) = self
            .w
            .kube
            .get_json("/api/v1/namespaces/kube-system/configmaps/aws-auth");
        assert!(
            cm["data"]["mapRoles"]
                .as_str()
                .unwrap_or("")
                .starts_with(NODES),
            "{what}: node entries changed: {cm}"
        );
    }
}

const NODES: &str = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/eks-node-group\n  username: system:node:{{EC2PrivateDNSName}}\n";

#[test]
fn throttling_storm_on_every_iam_call() {
    let f = Faulty::new("throttle");
    let dir = f.w.write_stack("throttle", &[("main.hcl", STACK)]);
    let d = dir.to_str().unwrap();
    Faulty::rules(
        &f.aws,
        serde_json::json!([{ "mode": "p:0.4", "fault": "throttle" }]),
    );
    Faulty::rules(
        &f.kube,
        serde_json::json!([{ "writes_only": true, "mode": "p:0.3", "fault": "retry_after:0" }]),
    );
    let a = f.eksfed(&["apply", d, "--auto-approve"]);
    let throttled = Faulty::log(&f.aws)
        .iter()
        .filter(|e| e["fault"] == "throttle")
        .count();
    assert!(throttled >= 3, "the storm hit ({throttled} throttled)");
    assert_eq!(code(&a), 0, "retries ride over throttling: {}", text(&a));
    f.converges(d, "throttling");
}

/// Reading a stack of 300 owned roles costs a handful of requests, counted at the endpoint
/// (the proxy's log), independent of the number of roles.
#[test]
fn plan_of_300_roles_costs_a_handful_of_requests_at_the_endpoint() {
    let f = Faulty::new("count300");
    let mut counts = vec![];
    for n in [30usize, 300] {
        let text = eksfed_compiler::synthetic::stack(n, &f.w.account).replace(
            "cluster \"main\" {",
            "cluster \"main\" {\n  kube_context = \"demo\"",
        );
        let dir = f.w.write_stack(&format!("gen{n}"), &[("main.hcl", &text)]);
        let d = dir.to_str().unwrap();
        let a = f.eksfed(&["apply", d, "--auto-approve", "--quiet"]);
        assert_eq!(code(&a), 0, "{}", text_of(&a));
        f.aws
            .http("POST", "/__fault/reset", None, "application/json");
        f.kube
            .http("POST", "/__fault/reset", None, "application/json");
        let p = f.eksfed(&["plan", d, "--detailed-exitcode"]);
        assert_eq!(code(&p), 0, "{}", text_of(&p));
        let aws = Faulty::log(&f.aws);
        let kube = Faulty::log(&f.kube).len();
        counts.push((n, aws.len(), kube));
    }
    eprintln!("plan requests (roles, AWS, Kubernetes): {counts:?}");
    let (_, aws30, kube30) = counts[0];
    let (_, aws300, kube300) = counts[1];
    // ARCHITECTURE.md ("A request, end to end") gives these numbers: 7 AWS requests (STS,
    // GetAccountAuthorizationDetails pages, ListRoles, providers) and 4 Kubernetes ones.
    assert_eq!(aws300, 7, "AWS requests for 300 roles");
    assert_eq!(
        aws300, aws30,
        "AWS requests do not grow with the number of roles"
    );
    assert_eq!(
        kube300, kube30,
        "Kubernetes requests do not grow with the number of objects"
    );
    assert_eq!(kube300, 4, "Kubernetes requests for 300 roles");
    // Reading role by role (GetRole, ListRolePolicies, GetRolePolicy, ListAttachedRolePolicies)
    // would cost at least 4 x 300 = 1,200.
    assert!(aws300 * 100 <= 1200);
}

fn text_of(o: &std::process::Output) -> String {
    text(o)
}

/// The apply-fault sweep on the DSL.md full stack (providers, SAML, policies, five kinds of
/// role, IRSA and pod identity service accounts, aws-auth, RBAC): for every N, the N-th IAM
/// write gets a 500, or is carried out but loses its response (a crash or a cut connection);
/// the N-th Kubernetes write gets a 409 Conflict, or loses its response. A re-run converges
/// each time, with foreign objects intact.
#[test]
fn fault_on_every_nth_write_of_the_full_stack_converges() {
    let issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E";
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dsl_full");
    let files = |w: &World| -> Vec<(String, String)> {
        ["main.hcl", "okta-metadata.xml", "queue-policy.json.j2"]
            .iter()
            .map(|f| {
                (
                    f.to_string(),
                    std::fs::read_to_string(src.join(f))
                        .unwrap()
                        .replace("111122223333", &w.account)
                        .replace("kube_context    = \"prod\"", "kube_context    = \"demo\""),
                )
            })
            .collect()
    };
    let setup = |name: &str| {
        let f = Faulty::with(World::new(name).with_eks(&[("prod-eks", issuer)]));
        let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "reports"}});
        f.w.kube.http(
            "POST",
            "/api/v1/namespaces",
            Some(&ns.to_string()),
            "application/json",
        );
        let fs = files(&f.w);
        let refs: Vec<(&str, &str)> = fs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let dir = f.w.write_stack("full", &refs);
        (f, dir)
    };
    let (f, dir) = setup("fullcount");
    let a = f.eksfed(&["apply", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    // Lease renewals are timing-dependent writes: keep them out of the count and the faults,
    // so the N-th write is the same write in every run.
    let counted = |e: &serde_json::Value| {
        e["write"] == true && !e["path"].as_str().unwrap_or("").contains("/leases")
    };
    let iam_writes = Faulty::log(&f.aws).iter().filter(|e| counted(e)).count();
    let kube_writes = Faulty::log(&f.kube).iter().filter(|e| counted(e)).count();
    eprintln!("full stack: {iam_writes} IAM writes, {kube_writes} Kubernetes writes");
    assert!(
        iam_writes >= 15 && kube_writes >= 3,
        "iam {iam_writes}, kube {kube_writes}"
    );
    let mut scenarios = 0;
    for (side, writes, faults) in [
        ("iam", iam_writes, ["status:500", "drop_after"]),
        ("kube", kube_writes, ["conflict", "drop_after"]),
    ] {
        for fault in faults {
            for n in 1..=writes {
                let (f, dir) = setup(&format!("full{side}{n}{}", &fault[..4]));
                let d = dir.to_str().unwrap();
                let target = if side == "iam" { &f.aws } else { &f.kube };
                Faulty::rules(
                    target,
                    serde_json::json!([{ "writes_only": true, "path_excludes": "/leases", "mode": format!("nth:{n}"), "fault": fault }]),
                );
                let _ = f.eksfed(&["apply", d, "--auto-approve"]);
                let hit = Faulty::log(target)
                    .iter()
                    .filter(|e| e["fault"] == fault)
                    .count();
                assert_eq!(hit, 1, "{side} write {n} ({fault}) was injected once");
                f.converges(d, &format!("{fault} on {side} write {n} of the full stack"));
                scenarios += 1;
            }
        }
    }
    assert_eq!(scenarios, 2 * (iam_writes + kube_writes));
}

/// SIGKILL at several points of one apply; each time a re-run converges.
#[test]
fn sigkill_at_several_points_converges() {
    use std::io::BufRead;
    for (i, point) in [1usize, 5, 11].into_iter().enumerate() {
        let f = Faulty::new(&format!("kill{i}"));
        let dir = f.w.write_stack("kill", &[("main.hcl", STACK)]);
        let d = dir.to_str().unwrap();
        // Slow every write a little so the kill lands between writes.
        Faulty::rules(
            &f.aws,
            serde_json::json!([{ "writes_only": true, "fault": "latency:150" }]),
        );
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
            .args(["apply", d, "--auto-approve", "--parallelism", "1"])
            .envs(f.w.envs())
            .env("AWS_ENDPOINT_URL", f.aws.url())
            .env("KUBECONFIG", &f.kubeconfig)
            .env("EKSFED_LOCK_TTL_SECS", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let aws = f.aws.url();
        // Kill once `point` IAM writes reached moto (the proxy's log), reading stdout meanwhile.
        let reader = std::thread::spawn(move || std::io::BufReader::new(stdout).lines().count());
        loop {
            let writes = Server::log_writes(&aws);
            if writes >= point || std::time::Instant::now() > deadline {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let _ = reader.join();
        f.converges(d, &format!("SIGKILL after IAM write {point}"));
    }
}
