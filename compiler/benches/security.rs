//! The security review of a plan of N changed roles (`cargo bench -p eksfed-compiler --bench
//! security`): each role's inline policy gains an action and its trust a second service
//! account, and the one managed policy they all share grows. Figures in BENCHMARKS.md.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use eksfed_compiler::plan::live::LiveState;
use eksfed_compiler::plan::Plan;
use eksfed_compiler::review::security;
use serde_json::{json, Value as Json};

const ISSUER: &str = "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF";

fn role(i: usize, grown: bool) -> Json {
    let mut names = vec![format!("system:serviceaccount:apps:app-{i}")];
    let mut actions = vec!["sqs:SendMessage", "sqs:ReceiveMessage"];
    if grown {
        names.push(format!("system:serviceaccount:apps:worker-{i}"));
        actions.push("sqs:DeleteMessage");
    }
    json!({
        "address": format!("role.app[\"{i}\"]"), "type": "role", "name": format!("app-{i}"),
        "path": "/", "description": "", "arn": format!("arn:aws:iam::111122223333:role/app-{i}"),
        "max_session_duration": 3600, "tags": {"team": "t"},
        "trust_policy": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": format!("arn:aws:iam::111122223333:oidc-provider/{ISSUER}")},
            "Condition": {"StringEquals": {
                format!("{ISSUER}:sub"): names, format!("{ISSUER}:aud"): "sts.amazonaws.com"}}}]},
        "policies": ["arn:aws:iam::111122223333:policy/shared"],
        "inline_policies": {"queue": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": actions,
             "Resource": format!("arn:aws:sqs:us-east-1:111122223333:jobs-{i}")},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": [format!("arn:aws:s3:::data-{i}"), format!("arn:aws:s3:::data-{i}/*")],
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "t"}}},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}}
    })
}

fn plan(n: usize) -> Plan {
    let shared = |grown: bool| {
        let mut actions = vec!["logs:PutLogEvents"];
        if grown {
            actions.push("logs:CreateLogStream");
        }
        json!({"address": "policy.shared", "type": "policy", "name": "shared", "path": "/",
               "description": "", "arn": "arn:aws:iam::111122223333:policy/shared", "tags": {},
               "document": {"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow", "Action": actions, "Resource": "*"}]}})
    };
    let mut changes = vec![json!({"address": "policy.shared", "type": "policy",
        "action": "update", "before": shared(false), "after": shared(true)})];
    for i in 0..n {
        changes.push(
            json!({"address": format!("role.app[\"{i}\"]"), "type": "role",
            "action": "update", "before": role(i, false), "after": role(i, true)}),
        );
    }
    serde_json::from_value(json!({"format_version": 1, "stack": "s",
        "account_id": "111122223333", "partition": "aws", "changes": changes}))
    .unwrap()
}

fn review(c: &mut Criterion) {
    let mut g = c.benchmark_group("security review");
    let live = LiveState::default();
    for n in [100usize, 1000, 5000] {
        let p = plan(n);
        g.throughput(Throughput::Elements(n as u64));
        if n == 5000 {
            g.sample_size(10);
        }
        g.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter_batched(
                || p.clone(),
                |mut p| {
                    security::review(&mut p, &live);
                    assert_eq!(p.broadening, n + 1);
                    p
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, review);
criterion_main!(benches);
