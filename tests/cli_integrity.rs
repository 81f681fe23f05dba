//! Saved plans apply only what the configuration says (DSL.md): a plan file edited after
//! `plan --out` is refused before anything is written; the honest plan applies. Against moto,
//! the Kubernetes test server, read back with boto3 and raw Kubernetes HTTP.
#![allow(clippy::unwrap_used)]

mod support;
use serde_json::{json, Value};
use support::{text, KubeApi, World};

const STACK: &str = r#"
variable "team" {
  type = string
}
stack "integ" {}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
oidc_provider "demo" {
  url = cluster.demo.oidc_issuer_url
}
policy "reports_read" {
  name = "${var.team}-read"
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::reports/*"]
  }
}
role "reader" {
  name = "${var.team}-reader"
  trust_service_account {
    cluster   = cluster.demo
    namespace = "reports"
    names     = ["reader"]
  }
  policies = [policy.reports_read.arn]
}
service_account "reader" {
  cluster          = cluster.demo
  namespace        = "reports"
  name             = "reader"
  role             = role.reader
  create_namespace = true
}
"#;

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn change<'a>(plan: &'a mut Value, address: &str) -> &'a mut Value {
    plan["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change {address}"))
}

/// Everything this stack could have written: IAM roles and policies of the account, the
/// ServiceAccount, its namespace and the stack's Lease.
fn written(w: &World) -> Value {
    let iam = w.boto3("print(json.dumps({'roles': sorted(r['RoleName'] for r in iam.list_roles()['Roles']), 'policies': sorted(p['PolicyName'] for p in iam.list_policies(Scope='Local')['Policies']), 'oidc': len(iam.list_open_id_connect_providers()['OpenIDConnectProviderList'])}))");
    let kube = |p: &str| w.kube.get_json(p).0;
    json!({
        "iam": iam,
        "sa": kube("/api/v1/namespaces/reports/serviceaccounts/reader"),
        "ns": kube("/api/v1/namespaces/reports"),
        "lease": kube("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eksfed-lock-integ"),
    })
}

#[test]
fn edited_saved_plans_are_refused_with_nothing_written_and_the_honest_plan_applies() {
    let w = World::new("integ");
    let dir = w.write_stack("integ", &[("main.hcl", STACK)]);
    let d = dir.to_str().unwrap();
    let planfile = w.dir.join("plan.json");
    let p = w.eksfed(&[
        "plan",
        d,
        "--var",
        "team=reports",
        "--out",
        planfile.to_str().unwrap(),
    ]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let honest: Value = serde_json::from_str(&std::fs::read_to_string(&planfile).unwrap()).unwrap();
    assert_eq!(
        honest["source"]["vars"],
        json!([{"name": "team", "text": "reports"}])
    );
    let before = written(&w);
    assert_eq!(before["iam"]["roles"], json!([]), "{before}");
    assert_eq!(before["sa"], 404);
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";

    let refused = |name: &str, edit: &dyn Fn(&mut Value), expect: &[&str]| {
        let mut plan = honest.clone();
        edit(&mut plan);
        let f = w.dir.join(format!("{name}.json"));
        std::fs::write(&f, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
        // Apply is given the same --var as plan: what is refused is the file's edit.
        let a = w.eksfed(&[
            "apply",
            f.to_str().unwrap(),
            "--auto-approve",
            "--var",
            "team=reports",
        ]);
        assert_eq!(code(&a), 1, "{name}: {}", text(&a));
        let err = stderr(&a);
        assert!(err.contains("nothing was changed"), "{name}: {err}");
        for e in expect {
            assert!(err.contains(e), "{name}: expected `{e}` in: {err}");
        }
        assert_eq!(
            written(&w),
            before,
            "{name}: a refused plan wrote something"
        );
    };

    // An added policy attachment.
    refused(
        "attachment",
        &|p| {
            change(p, "role.reader")["after"]["policies"]
                .as_array_mut()
                .unwrap()
                .push(json!(admin))
        },
        &["role.reader", "after.policies[1]", "AdministratorAccess"],
    );
    // An added resource: a copy of the role under another name, with its own change.
    refused(
        "resource",
        &|p| {
            let mut c = change(p, "role.reader").clone();
            c["address"] = json!("role.evil");
            c["after"]["address"] = json!("role.evil");
            c["after"]["name"] = json!("evil");
            c["after"]["policies"] = json!([admin]);
            p["changes"].as_array_mut().unwrap().push(c);
        },
        &["role.evil", "the configuration does not declare it"],
    );
    // A changed endpoint: requests would go somewhere else.
    refused(
        "endpoint",
        &|p| p["aws"]["endpoint"] = json!("http://127.0.0.1:9"),
        &["aws.endpoint", "http://127.0.0.1:9"],
    );
    // A changed kube context: the ServiceAccount would land in another cluster.
    refused(
        "context",
        &|p| p["clusters"]["demo"]["kube_context"] = json!("prod"),
        &["clusters.demo.kube_context", "\"prod\""],
    );
    // A changed variable value is not what apply is given (`--var team=reports`).
    refused(
        "var",
        &|p| p["source"]["vars"][0]["text"] = json!("evil"),
        &["--var team"],
    );
    // A change removed from the file (its role would never be created).
    refused(
        "missing",
        &|p| {
            p["changes"]
                .as_array_mut()
                .unwrap()
                .retain(|c| c["address"] != "service_account.reader")
        },
        &["service_account.reader", "change"],
    );
    // A plan file without its record of the configuration cannot be checked.
    refused(
        "no-source",
        &|p| {
            p.as_object_mut().unwrap().remove("source");
        },
        &["does not record the configuration"],
    );

    // The plan moved with its stack: --stack says where.
    let moved = w.dir.join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::rename(dir.join("main.hcl"), moved.join("main.hcl")).unwrap();
    std::fs::remove_dir(&dir).unwrap();
    let a = w.eksfed(&["apply", planfile.to_str().unwrap(), "--var", "team=reports"]);
    assert_eq!(code(&a), 1, "{}", text(&a));
    assert!(stderr(&a).contains("--stack DIR"), "{}", text(&a));
    assert_eq!(written(&w), before);

    // The honest plan applies (given the same --var as plan).
    let a = w.eksfed(&[
        "apply",
        planfile.to_str().unwrap(),
        "--stack",
        moved.to_str().unwrap(),
        "--var",
        "team=reports",
    ]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let att = w.boto3("print(json.dumps([p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName='reports-reader')['AttachedPolicies']]))");
    assert_eq!(
        att,
        json!([format!("arn:aws:iam::{}:policy/reports-read", w.account)])
    );
    let (c, sa) = w
        .kube
        .get_json("/api/v1/namespaces/reports/serviceaccounts/reader");
    assert_eq!(c, 200, "{sa}");
    let p2 = w.eksfed(&[
        "plan",
        moved.to_str().unwrap(),
        "--var",
        "team=reports",
        "--detailed-exitcode",
    ]);
    assert_eq!(code(&p2), 0, "{}", text(&p2));
}

/// An update's `after` edited (an extra attachment on an existing role) is refused as well,
/// and the live role keeps its one policy.
#[test]
fn an_edited_update_is_refused_and_the_role_keeps_its_policies() {
    let w = World::new("integupd");
    let dir = w.write_stack("integupd", &[("main.hcl", STACK)]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--var", "team=ops", "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    // Drift, so the saved plan holds an update of role.reader.
    w.boto3(
        "iam.update_role(RoleName='ops-reader', Description='changed in the console')\nprint('{}')",
    );
    let planfile = w.dir.join("upd.json");
    let p = w.eksfed(&[
        "plan",
        d,
        "--var",
        "team=ops",
        "--out",
        planfile.to_str().unwrap(),
    ]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string(&planfile).unwrap()).unwrap();
    assert_eq!(change(&mut plan, "role.reader")["action"], "update");
    change(&mut plan, "role.reader")["after"]["policies"]
        .as_array_mut()
        .unwrap()
        .push(json!("arn:aws:iam::aws:policy/AdministratorAccess"));
    let edited = w.dir.join("upd-edited.json");
    std::fs::write(&edited, plan.to_string()).unwrap();
    let a = w.eksfed(&["apply", edited.to_str().unwrap(), "--var", "team=ops"]);
    assert_eq!(code(&a), 1, "{}", text(&a));
    assert!(stderr(&a).contains("after.policies[1]"), "{}", text(&a));
    let role = w.boto3("print(json.dumps({'att': [p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName='ops-reader')['AttachedPolicies']], 'desc': iam.get_role(RoleName='ops-reader')['Role'].get('Description', '')}))");
    assert_eq!(
        role["att"],
        json!([format!("arn:aws:iam::{}:policy/ops-read", w.account)])
    );
    assert_eq!(
        role["desc"], "changed in the console",
        "nothing was written"
    );
    // The honest one repairs the drift.
    let a = w.eksfed(&["apply", planfile.to_str().unwrap(), "--var", "team=ops"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let role = w.boto3(
        "print(json.dumps(iam.get_role(RoleName='ops-reader')['Role'].get('Description', '')))",
    );
    assert_eq!(role, "");
}

/// When STS GetCallerIdentity fails, the stack's `account_id` cannot be checked against the
/// credentials: the plan fails closed, before reading anything else.
#[test]
fn an_unreachable_sts_fails_closed() {
    let w = World::new("integsts");
    let stack = STACK.replace(
        "stack \"integ\" {}",
        "stack \"integ\" {\n  account_id = \"ACCOUNT\"\n}",
    );
    let dir = w.write_stack("integsts", &[("main.hcl", &stack)]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(["plan", dir.to_str().unwrap(), "--var", "team=sts"])
        .envs(w.envs())
        .env_remove("AWS_PROFILE")
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot check that the credentials are for the stack's account")
            && err.contains(&w.account),
        "{err}"
    );
    // With STS reachable the same stack plans.
    let ok = w.eksfed(&["plan", dir.to_str().unwrap(), "--var", "team=sts"]);
    assert_eq!(code(&ok), 0, "{}", text(&ok));
}

/// `eksfed explain` knows the compile errors' codes too.
#[test]
fn explain_knows_compile_error_codes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(["explain", "E0102"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.starts_with("E0102 (error): unknown attribute"), "{s}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(["explain", "E9999"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
}

const ACCESS_STACK: &str = r#"
variable "group" {
  type = string
}
stack "signed" {}
cluster "demo" {
  name            = "demo"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
  kube_context    = "demo"
}
role "ops" {
  name = "signed-ops"
  trust_aws {
    principals = ["arn:aws:iam::ACCOUNT:root"]
  }
}
access "ops" {
  cluster  = cluster.demo
  role     = role.ops
  username = "ops:{{SessionName}}"
  groups   = [var.group]
}
"#;

fn eksfed_with(w: &World, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_eksfed"))
        .args(args)
        .envs(w.envs())
        .envs(env.iter().copied())
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

/// What the access stack could have written: its role and the `aws-auth` ConfigMap.
fn access_written(w: &World) -> Value {
    let roles =
        w.boto3("print(json.dumps(sorted(r['RoleName'] for r in iam.list_roles()['Roles'])))");
    json!({
        "roles": roles,
        "aws_auth": w.kube.get_json("/api/v1/namespaces/kube-system/configmaps/aws-auth"),
        "lease": w.kube.get_json("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eksfed-lock-signed").0,
    })
}

/// The plan file is the untrusted artifact: a `--var` value edited in its `source` together
/// with the `after` it gives (an `aws-auth` group becoming `system:masters`) is refused, with
/// and without a plan key, and nothing is written. Signed with `EKSFED_PLAN_KEY`, the honest
/// plan applies and apply shows the security review and the lints of what it applies.
#[test]
fn an_edited_variable_value_in_a_saved_plan_is_refused() {
    let w = World::new("signed");
    let dir = w.write_stack("signed", &[("main.hcl", ACCESS_STACK)]);
    let d = dir.to_str().unwrap();
    let before = access_written(&w);
    edited_unsigned_plans_are_refused(&w, d, &before);
    let signed = edited_signed_plans_are_refused(&w, d, &before);
    the_honest_signed_plan_applies(&w, &signed);
    the_masters_plan_applies_with_a_warning(&w, d);
}

/// The plan key of the signed cases.
const KEY: &[(&str, &str)] = &[("EKSFED_PLAN_KEY", "k3y-for-tests-only")];

/// A copy of the saved plan `from` whose group `viewers` is edited to `system:masters`, in the
/// recorded variable and in the `after` it gives.
fn edit(w: &World, from: &std::path::Path, name: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(from).unwrap();
    assert!(text.contains("\"viewers\""), "{text}");
    let edited = text.replace("\"viewers\"", "\"system:masters\"");
    let plan: Value = serde_json::from_str(&edited).unwrap();
    assert_eq!(plan["source"]["vars"][0]["text"], "system:masters");
    assert!(
        change(&mut plan.clone(), "access.ops")["after"]
            .to_string()
            .contains("system:masters"),
        "{plan}"
    );
    let f = w.dir.join(name);
    std::fs::write(&f, edited).unwrap();
    f
}

/// Apply refused the plan (`expect` in its message) and wrote nothing: what is written is
/// still `before`.
fn refused(w: &World, before: &Value, name: &str, o: &std::process::Output, expect: &str) {
    assert_eq!(code(o), 1, "{name}: {}", text(o));
    let err = stderr(o);
    assert!(err.contains("nothing was changed"), "{name}: {err}");
    assert!(err.contains(expect), "{name}: expected `{expect}` in {err}");
    assert_eq!(
        access_written(w),
        *before,
        "{name}: a refused plan wrote something"
    );
}

fn edited_unsigned_plans_are_refused(w: &World, d: &str, before: &Value) {
    // Unsigned (no key anywhere): the recorded values must be what apply is given.
    let unsigned = w.dir.join("unsigned.json");
    let p = w.eksfed(&[
        "plan",
        d,
        "--var",
        "group=viewers",
        "--out",
        unsigned.to_str().unwrap(),
    ]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let edited = edit(w, &unsigned, "unsigned-edited.json");
    let f = edited.to_str().unwrap();
    refused(
        w,
        before,
        "edited, no --var",
        &w.eksfed(&["apply", f, "--auto-approve"]),
        "--var group",
    );
    refused(
        w,
        before,
        "edited, the honest --var",
        &w.eksfed(&["apply", f, "--auto-approve", "--var", "group=viewers"]),
        "--var group",
    );
    // A plan key on the applying side refuses an unsigned plan.
    refused(
        w,
        before,
        "unsigned, key set",
        &eksfed_with(
            w,
            KEY,
            &["apply", unsigned.to_str().unwrap(), "--auto-approve"],
        ),
        "not signed",
    );
}

/// The signed plan (unedited).
fn edited_signed_plans_are_refused(w: &World, d: &str, before: &Value) -> std::path::PathBuf {
    // Signed: any edit breaks the signature, whatever --var apply is given.
    let signed = w.dir.join("signed.json");
    let p = eksfed_with(
        w,
        KEY,
        &[
            "plan",
            d,
            "--var",
            "group=viewers",
            "--out",
            signed.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&p), 0, "{}", text(&p));
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&signed).unwrap()).unwrap();
    assert!(
        plan["signature"]
            .as_str()
            .unwrap()
            .starts_with("hmac-sha256:"),
        "{plan}"
    );
    let edited = edit(w, &signed, "signed-edited.json");
    let f = edited.to_str().unwrap();
    refused(
        w,
        before,
        "signed, edited",
        &eksfed_with(w, KEY, &["apply", f, "--auto-approve"]),
        "signature",
    );
    refused(
        w,
        before,
        "signed, edited, --var system:masters",
        &eksfed_with(
            w,
            KEY,
            &[
                "apply",
                f,
                "--auto-approve",
                "--var",
                "group=system:masters",
            ],
        ),
        "signature",
    );
    refused(
        w,
        before,
        "signed, another key",
        &eksfed_with(
            w,
            &[("EKSFED_PLAN_KEY", "not-the-key")],
            &["apply", signed.to_str().unwrap(), "--auto-approve"],
        ),
        "signature",
    );
    signed
}

fn the_honest_signed_plan_applies(w: &World, signed: &std::path::Path) {
    // The honest signed plan applies, showing the review of what it applies.
    let a = eksfed_with(
        w,
        KEY,
        &["apply", signed.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(code(&a), 0, "{}", text(&a));
    let shown = String::from_utf8_lossy(&a.stdout).to_string();
    assert!(shown.contains("Security review:"), "{}", text(&a));
    assert!(shown.contains("access.ops"), "{}", text(&a));
    let cm = w
        .kube
        .get_json("/api/v1/namespaces/kube-system/configmaps/aws-auth")
        .1;
    let roles = cm["data"]["mapRoles"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        roles.contains("viewers") && !roles.contains("system:masters"),
        "{cm}"
    );
}

fn the_masters_plan_applies_with_a_warning(w: &World, d: &str) {
    // A saved plan that maps to system:masters shows EKS003 when applied; without the key,
    // an unsigned plan applies when apply is given the same --var again.
    let masters = w.dir.join("masters.json");
    let p = w.eksfed(&[
        "plan",
        d,
        "--var",
        "group=system:masters",
        "--out",
        masters.to_str().unwrap(),
    ]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let a = w.eksfed(&[
        "apply",
        masters.to_str().unwrap(),
        "--auto-approve",
        "--var",
        "group=system:masters",
    ]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    assert!(stderr(&a).contains("warning[EKS003]"), "{}", text(&a));
    assert!(
        String::from_utf8_lossy(&a.stdout).contains("Security review:"),
        "{}",
        text(&a)
    );
}
