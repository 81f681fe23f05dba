//! The apply workflow (`workflow::apply`) driven by a recording `Hooks` implementation, against
//! moto (IAM/STS) and kube-test-server (Kubernetes, where the Lease is taken): the order of
//! what it shows, asks and does; a declined confirmation writes nothing; a live change made
//! while the user was asked is caught by the re-check under the lock; a saved plan is checked
//! before the lock and applied without asking.
//!
//! kube-test-server is a binary of tests/servers (`cargo build -p eksfed-test-servers --bins`;
//! tests/run.sh builds the workspace first).
#![allow(clippy::unwrap_used)]

use eksfed_compiler::plan::{Action, Plan};
use eksfed_compiler::{diag::Diagnostic, diag::SourceMap};
use eksfed_runtime::apply::{Outcome as ChangeOutcome, ProgressEvent};
use eksfed_runtime::workflow::{self, Event, Hooks, Options, Outcome, PlanInputs, Source};
use eksfed_test_servers::moto::{moto, new_account};
use eksfed_test_servers::Spawned;
use k8s_openapi::api::coordination::v1::Lease;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One test at a time: the process environment (account header, KUBECONFIG) is per test.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB";

fn stack(name: &str) -> String {
    format!(
        r#"
stack "{name}" {{}}
cluster "demo" {{
  name            = "demo"
  oidc_issuer_url = "{ISSUER}"
  kube_context    = "demo"
}}
oidc_provider "demo" {{
  url = cluster.demo.oidc_issuer_url
}}
role "reader" {{
  name = "{name}-reader"
  trust_service_account {{
    cluster   = cluster.demo
    namespace = "reports"
    names     = ["reader"]
  }}
}}
service_account "reader" {{
  cluster          = cluster.demo
  namespace        = "reports"
  name             = "reader"
  role             = role.reader
  create_namespace = true
}}
"#
    )
}

/// An AWS account in moto and a Kubernetes server of its own, with the process environment
/// pointing at them, held for one test.
struct World {
    _serial: tokio::sync::MutexGuard<'static, ()>,
    _kube: Spawned,
    dir: PathBuf,
    aws: eksfed_runtime::aws::AwsClients,
}

impl World {
    async fn new(name: &str) -> World {
        let serial = SERIAL.lock().await;
        let dir = std::env::temp_dir().join(format!("eksfed-wf-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("stack")).unwrap();
        let kubeconfig = dir.join("kubeconfig");
        let kube = Spawned::start(
            "kube-test-server",
            &[
                "--kubeconfig-out",
                kubeconfig.to_str().unwrap(),
                "--context",
                "demo",
            ],
        )
        .unwrap();
        let account = new_account();
        for (k, v) in [
            ("AWS_ENDPOINT_URL", moto().endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("EKSFED_AWS_HEADERS", format!("x-moto-account-id={account}")),
            ("EKSFED_RETRY_BUDGET_SECS", "5".into()),
            ("KUBECONFIG", kubeconfig.display().to_string()),
        ] {
            std::env::set_var(k, v);
        }
        std::env::remove_var("AWS_PROFILE");
        std::fs::write(dir.join("stack/main.hcl"), stack(name)).unwrap();
        let aws = eksfed_runtime::aws::clients(&Default::default()).await;
        World {
            _serial: serial,
            _kube: kube,
            dir,
            aws,
        }
    }

    fn inputs(&self) -> PlanInputs {
        PlanInputs {
            dir: self.dir.join("stack"),
            ..Default::default()
        }
    }

    fn options(&self, source: Source, auto_approve: bool) -> Options {
        Options {
            source,
            auto_approve,
            parallelism: 4,
            lock_timeout: Duration::from_secs(5),
            lock_ttl: Duration::from_secs(30),
            quiet: false,
        }
    }

    async fn role_exists(&self, name: &str) -> bool {
        self.aws.iam.get_role().role_name(name).send().await.is_ok()
    }

    /// The stack's Lease in the cluster, if any.
    async fn lease(&self, stack: &str) -> Option<Lease> {
        let client = eksfed_runtime::state::kube_client(Some("demo"))
            .await
            .unwrap();
        kube::Api::<Lease>::namespaced(client, "kube-system")
            .get_opt(&eksfed_runtime::lease::lease_name(stack))
            .await
            .unwrap()
    }
}

type OnLine = Box<dyn Fn() + Send + Sync>;

/// Records what the workflow shows, asks and reports, as short lines.
struct Recorder {
    log: Mutex<Vec<String>>,
    approve: bool,
    /// Run when this line is recorded (e.g. `confirm`: a live change made while the user
    /// reads the plan), before the workflow goes on.
    on: Option<(&'static str, OnLine)>,
}

impl Recorder {
    fn new(approve: bool) -> Arc<Recorder> {
        Arc::new(Recorder {
            log: Mutex::default(),
            approve,
            on: None,
        })
    }

    fn push(&self, s: String) {
        let run = matches!(&self.on, Some((line, _)) if *line == s);
        self.log.lock().unwrap().push(s);
        if let (true, Some((_, f))) = (run, &self.on) {
            f();
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Hooks for Recorder {
    fn diagnostic(&self, sources: &SourceMap, d: &Diagnostic) {
        self.push(format!("diagnostic {}", sources.render(d).trim()));
    }
    fn show_plan(&self, plan: &Plan) {
        let n = plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .count();
        self.push(format!("show plan ({n} changes)"));
    }
    fn confirm(&self, _plan: &Plan) -> anyhow::Result<bool> {
        self.push("confirm".into());
        Ok(self.approve)
    }
    fn event(&self, ev: Event<'_>) {
        let line = match ev {
            Event::ReadStarted { why, .. } => format!("read {why:?}"),
            Event::ReadFinished { why } => format!("read {why:?} done"),
            Event::Note(n) => format!("note {n}"),
            Event::Locked { clusters } => format!("locked {}", clusters.join(",")),
            Event::Replanning => "replanning".into(),
            Event::ApplyStarted(_) => "apply started".into(),
            Event::Change(ProgressEvent::Started(c)) => format!("start {}", c.address),
            Event::Change(ProgressEvent::Finished(r)) => {
                format!("finish {} {:?}", r.address, r.outcome)
            }
            Event::ApplyFinished => "apply finished".into(),
            Event::Interrupted => "interrupted".into(),
            Event::Unlocked { failures } => format!("unlocked {failures:?}"),
        };
        self.push(line);
    }
}

/// Runs a future to completion from a synchronous hook (on a thread of its own, so the
/// workflow's runtime is not re-entered).
fn blocking(f: impl std::future::Future<Output = ()> + Send + 'static) {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    })
    .join()
    .unwrap();
}

/// Index of the first line equal to `s` (the test fails when there is none).
fn at(log: &[String], s: &str) -> usize {
    log.iter()
        .position(|l| l == s)
        .unwrap_or_else(|| panic!("no `{s}` in {log:#?}"))
}

#[tokio::test]
async fn an_approved_apply_shows_asks_locks_rechecks_then_applies() {
    let w = World::new("wf-order").await;
    let hooks = Recorder::new(true);
    let out = workflow::apply(&w.options(Source::Stack(w.inputs()), false), hooks.clone())
        .await
        .unwrap();
    let log = hooks.log();
    let Outcome::Ran(summary) = out else {
        panic!("{out:?} {log:#?}")
    };
    assert!(summary.complete(), "{summary:?}");
    assert!(!summary.destroying);
    assert_eq!(summary.count(Action::Create), 3, "{summary:?}");
    // The order: read and plan, show, ask, lock, read again under the lock, apply, unlock.
    let order = [
        "read Plan",
        "read Plan done",
        "show plan (3 changes)",
        "confirm",
        "locked demo",
        "read Recheck",
        "read Recheck done",
        "apply started",
        "apply finished",
        "unlocked []",
    ]
    .map(|s| at(&log, s));
    assert!(order.windows(2).all(|p| p[0] < p[1]), "{log:#?}");
    // Every change starts and finishes between "apply started" and "apply finished".
    for addr in ["role.reader", "service_account.reader"] {
        let start = at(&log, &format!("start {addr}"));
        let finish = at(&log, &format!("finish {addr} Done"));
        assert!(
            order[7] < start && start < finish && finish < order[8],
            "{log:#?}"
        );
    }
    // The service account waits for its role (depends_on).
    assert!(at(&log, "finish role.reader Done") < at(&log, "start service_account.reader"));
    assert!(w.role_exists("wf-order-reader").await);
    assert!(w.lease("wf-order").await.is_none(), "the lock is released");

    // Again, auto-approved: nothing to do, nothing asked, no lock taken.
    let again = Recorder::new(false);
    let out = workflow::apply(&w.options(Source::Stack(w.inputs()), true), again.clone())
        .await
        .unwrap();
    assert!(
        matches!(out, Outcome::NoChanges { saved: false }),
        "{out:?}"
    );
    let log = again.log();
    assert_eq!(
        log,
        ["read Plan", "read Plan done", "show plan (0 changes)"],
        "{log:#?}"
    );
}

#[tokio::test]
async fn a_declined_confirmation_writes_nothing() {
    let w = World::new("wf-no").await;
    let hooks = Recorder::new(false);
    let out = workflow::apply(&w.options(Source::Stack(w.inputs()), false), hooks.clone())
        .await
        .unwrap();
    assert!(matches!(out, Outcome::Cancelled), "{out:?}");
    let log = hooks.log();
    assert_eq!(
        log,
        [
            "read Plan",
            "read Plan done",
            "show plan (3 changes)",
            "confirm"
        ],
        "{log:#?}"
    );
    assert!(!w.role_exists("wf-no-reader").await, "nothing was written");
    assert!(w.lease("wf-no").await.is_none(), "no lock was taken");
    // The plan is unchanged: everything still to create.
    let planned = workflow::plan(&w.inputs(), Recorder::new(false).as_ref())
        .await
        .unwrap()
        .unwrap();
    assert!(planned
        .plan
        .changes
        .iter()
        .all(|c| c.action == Action::Create));
}

#[tokio::test]
async fn a_live_change_while_asking_is_refused_under_the_lock() {
    let w = World::new("wf-moved").await;
    // While the user reads the plan, someone else creates the role the plan would create.
    let iam = w.aws.iam.clone();
    let create_role: OnLine = Box::new(move || {
        let iam = iam.clone();
        blocking(async move {
            iam.create_role()
                .role_name("wf-moved-reader")
                .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
                .send()
                .await
                .unwrap();
        })
    });
    let hooks = Arc::new(Recorder {
        log: Mutex::default(),
        approve: true,
        on: Some(("confirm", create_role)),
    });
    let err = workflow::apply(&w.options(Source::Stack(w.inputs()), false), hooks.clone())
        .await
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("is stale: 1 live object(s) changed"), "{msg}");
    let log = hooks.log();
    assert!(at(&log, "confirm") < at(&log, "locked demo"), "{log:#?}");
    assert!(
        at(&log, "read Recheck done") < at(&log, "unlocked []"),
        "{log:#?}"
    );
    assert!(!log.iter().any(|l| l == "apply started"), "{log:#?}");
    assert!(w.lease("wf-moved").await.is_none(), "the lock is released");
    // Nothing was written: the service account (which the plan would have created) is absent.
    let client = eksfed_runtime::state::kube_client(Some("demo"))
        .await
        .unwrap();
    let sa = kube::Api::<k8s_openapi::api::core::v1::ServiceAccount>::namespaced(client, "reports")
        .get_opt("reader")
        .await;
    assert!(matches!(sa, Ok(None)), "{sa:?}");
}

#[tokio::test]
async fn a_saved_plan_is_checked_then_applied_without_asking() {
    let w = World::new("wf-saved").await;
    let planned = workflow::plan(&w.inputs(), Recorder::new(false).as_ref())
        .await
        .unwrap()
        .unwrap();
    let file = w.dir.join("plan.json");
    std::fs::write(&file, serde_json::to_string(&planned.plan).unwrap()).unwrap();
    drop(planned);
    let hooks = Recorder::new(false);
    let out = workflow::apply(
        &w.options(
            Source::Saved {
                file: file.clone(),
                stack: None,
                given: w.inputs(),
            },
            false,
        ),
        hooks.clone(),
    )
    .await
    .unwrap();
    let log = hooks.log();
    let Outcome::Ran(summary) = out else {
        panic!("{out:?} {log:#?}")
    };
    assert!(summary.complete(), "{summary:?}");
    assert!(summary
        .results
        .iter()
        .all(|r| r.outcome == ChangeOutcome::Done));
    // A saved plan is shown (its security review is of what is applied) but not asked about;
    // its configuration is planned again (read only) before the lock, and the live state read
    // again under it.
    assert!(!log.iter().any(|l| l == "confirm"));
    assert!(log.iter().any(|l| l.starts_with("show plan")), "{log:#?}");
    let order = [
        "read SavedPlanCheck",
        "read SavedPlanCheck done",
        "locked demo",
        "read Recheck",
        "apply started",
        "unlocked []",
    ]
    .map(|s| at(&log, s));
    assert!(order.windows(2).all(|p| p[0] < p[1]), "{log:#?}");
    assert!(w.role_exists("wf-saved-reader").await);

    // The same file again: the live state moved (it was applied), so it is stale, and
    // refused before any lock.
    let again = Recorder::new(false);
    let err = workflow::apply(
        &w.options(
            Source::Saved {
                file,
                stack: None,
                given: w.inputs(),
            },
            false,
        ),
        again.clone(),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("is stale"), "{err:#}");
    assert!(!again.log().iter().any(|l| l.starts_with("locked")));
}

#[tokio::test]
async fn auto_approved_plans_again_when_the_live_state_moved_while_locking() {
    let w = World::new("wf-replan").await;
    let first = workflow::apply(
        &w.options(Source::Stack(w.inputs()), true),
        Recorder::new(false),
    )
    .await
    .unwrap();
    assert!(
        matches!(&first, Outcome::Ran(s) if s.complete()),
        "{first:?}"
    );
    // Drift: the service account is deleted, so the plan has one change; then, once the lock
    // is taken and before the re-check, someone deletes the role as well.
    let client = eksfed_runtime::state::kube_client(Some("demo"))
        .await
        .unwrap();
    kube::Api::<k8s_openapi::api::core::v1::ServiceAccount>::namespaced(client, "reports")
        .delete("reader", &Default::default())
        .await
        .unwrap();
    let iam = w.aws.iam.clone();
    let delete_role: OnLine = Box::new(move || {
        let iam = iam.clone();
        blocking(async move {
            iam.delete_role()
                .role_name("wf-replan-reader")
                .send()
                .await
                .unwrap();
        })
    });
    let hooks = Arc::new(Recorder {
        log: Mutex::default(),
        approve: false,
        on: Some(("locked demo", delete_role)),
    });
    let out = workflow::apply(&w.options(Source::Stack(w.inputs()), true), hooks.clone())
        .await
        .unwrap();
    let log = hooks.log();
    let Outcome::Ran(summary) = out else {
        panic!("{out:?} {log:#?}")
    };
    assert!(summary.complete(), "{summary:?}");
    // The fresh plan (role and service account) is what ran, not the one approved.
    assert_eq!(summary.count(Action::Create), 2, "{summary:?} {log:#?}");
    let order = [
        "show plan (1 changes)",
        "locked demo",
        "read Recheck done",
        "replanning",
        "read Replan",
        "read Replan done",
        "show plan (2 changes)",
        "apply started",
        "unlocked []",
    ]
    .map(|s| at(&log, s));
    assert!(order.windows(2).all(|p| p[0] < p[1]), "{log:#?}");
    assert!(!log.iter().any(|l| l == "confirm"), "{log:#?}");
    assert!(w.role_exists("wf-replan-reader").await);
}
