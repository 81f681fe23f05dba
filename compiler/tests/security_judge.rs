//! The judge of the security review's soundness (issue 24, items 3 and 5): an IAM simulator
//! nobody here wrote, `@cloud-copilot/iam-simulate` (pinned in `tests/iam-simulate`, driven by
//! its `judge.mjs`), evaluates generated requests against generated before/after pairs of a
//! role's identity policy (with the role's tags) and of its trust policy. For every request
//! the simulator allows after the change and not before, the review of that change must say
//! it broadens.
//!
//! The pairs come from a fixed seed: a random document and a variant of it (one or two small
//! edits: an action, a resource, `Action` ↔ `NotAction`, a condition's operator or values, a
//! clause or a statement dropped or added, an effect flipped, statements reordered, the role's
//! `team` tag changed), so that many pairs are ones the review calls "not broadening" — the
//! answers the judge can refute. Documents use wildcards in actions and resources, `NotAction`
//! and `NotResource`, policy variables (`${aws:PrincipalTag/team}`, `${aws:username}`) and
//! escapes (`${*}`), conditions `StringEquals`/`StringLike`/negated/`...IfExists`/
//! `ForAnyValue:`/`ForAllValues:`/`Null`, Deny statements, `NotPrincipal`, tags and ABAC
//! conditions (`aws:PrincipalTag/team`, `aws:ResourceTag/team`). Node is spawned once per
//! test; requests go one JSON line each.
//!
//! Figures (the fixed seeds below, at the commit that added this test; each request is judged
//! twice, before and after):
//! - identity policies: 600 pairs, 268 of them the review calls not broadening; 180 requests
//!   each, 108,000 requests compared (216,000 simulator calls); 4,930 allowed after and not
//!   before, every one reported.
//! - trust policies: 500 pairs, 261 called not broadening; 150 requests each, 75,000
//!   requests compared (150,000 calls); 4,211 allowed after and not before, every one reported.
//!
//! On the code before issue 24 item 3 it fails: tag changes under `${aws:PrincipalTag/team}`
//! and `${*}` → `${aws:username}` went unreported. It found one more defect, fixed with it: a
//! `NotResource` holding a variable the request lacks matches nothing (case
//! `not_resource_with_a_variable_dropped`). Other seeds (`EKSFED_JUDGE_SEED`, 1–7, 11, 12)
//! found nothing more. The run prints its figures (`-- --nocapture`).
#![allow(clippy::unwrap_used)]

use eksfed_compiler::plan::rendered::RenderedResource;
use eksfed_compiler::plan::{Action, Change, Plan};
use eksfed_compiler::review::security::{self, item::Effect};
use serde_json::{json, Value as Json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const ACCOUNT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/app";

/// The fixed seed, or `EKSFED_JUDGE_SEED` to explore others (the figures above are for the
/// fixed one).
fn seed(fixed: u64) -> u64 {
    std::env::var("EKSFED_JUDGE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(fixed)
}

/// SplitMix64: a fixed, dependency-free stream of choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
    fn some(&mut self, from: &[&str], max: usize) -> Vec<String> {
        let n = 1 + self.below(max);
        let mut v: Vec<String> = vec![];
        for _ in 0..n {
            let x = self.pick(from).to_string();
            if !v.contains(&x) {
                v.push(x);
            }
        }
        v
    }
}

/// Runs every query through one node process and returns its answers in order. Fails with a
/// clear message when the judge is not installed.
fn judge(queries: &[Json]) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/iam-simulate");
    assert!(
        dir.join("node_modules/@cloud-copilot/iam-simulate")
            .is_dir(),
        "the IAM simulator (the judge) is not installed: run `npm ci --prefix tests/iam-simulate` \
         (tests/run.sh does it)"
    );
    let mut child = Command::new("node")
        .arg(dir.join("judge.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node for the judge: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let lines: Vec<String> = queries.iter().map(|q| q.to_string()).collect();
    let writer = std::thread::spawn(move || {
        let mut w = std::io::BufWriter::new(&mut stdin);
        for l in lines {
            writeln!(w, "{l}").unwrap();
        }
        w.flush().unwrap();
    });
    let out: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| {
            let v: Json = serde_json::from_str(&l.unwrap()).unwrap();
            match v.get("result").and_then(Json::as_str) {
                Some(r) => r.to_string(),
                None => panic!("the judge failed: {v}"),
            }
        })
        .collect();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(out.len(), queries.len(), "the judge answered fewer queries");
    out
}

fn role(tags: &Json, trust: &Json, inline: &Json) -> RenderedResource {
    serde_json::from_value(json!({
        "address": "role.app", "type": "role", "name": "app", "path": "/", "description": "",
        "arn": ROLE, "max_session_duration": 3600, "tags": tags, "trust_policy": trust,
        "policies": [], "inline_policies": { "app": inline },
    }))
    .unwrap()
}

/// The review of one role updated from `before` to `after`: whether some item broadens.
fn review_broadens(before: RenderedResource, after: RenderedResource) -> (bool, Vec<String>) {
    let change = Change {
        address: "role.app".into(),
        kind: "role".into(),
        action: if before == after {
            Action::NoOp
        } else {
            Action::Update
        },
        reason: None,
        before: Some(before),
        after: Some(after),
        depends_on: vec![],
        keys: vec![],
        importing: None,
        sensitive: vec![],
        security: vec![],
    };
    let mut plan: Plan = serde_json::from_value(json!({
        "format_version": 1, "stack": "s", "account_id": ACCOUNT, "partition": "aws",
        "changes": [change],
    }))
    .unwrap();
    security::review(&mut plan, &Default::default());
    let items = &plan.changes[0].security;
    (
        items.iter().any(|i| i.effect == Effect::Broadens),
        items
            .iter()
            .map(|i| format!("{:?} {}", i.effect, i.message))
            .collect(),
    )
}

fn doc(statements: Vec<Json>) -> Json {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// One or two small edits of a document (`statement` makes a new one), and sometimes of the
/// tag.
fn variant(
    rng: &mut Rng,
    d: &Json,
    tag: &Option<String>,
    statement: &dyn Fn(&mut Rng) -> Json,
    edit_values: &dyn Fn(&mut Rng, &mut serde_json::Map<String, Json>),
    tags: &[&str],
) -> (Json, Option<String>) {
    let mut st = d["Statement"].as_array().unwrap().clone();
    let mut tag = tag.clone();
    for _ in 0..1 + rng.below(2) {
        if st.is_empty() {
            st.push(statement(rng));
            continue;
        }
        let i = rng.below(st.len());
        let s = st[i].as_object_mut().unwrap();
        match rng.below(10) {
            0..=2 => edit_values(rng, s),
            3 => {
                // A condition clause dropped, or its operator changed.
                if let Some(Json::Object(c)) = s.get_mut("Condition") {
                    let op = c.keys().next().cloned().unwrap();
                    let v = c.remove(&op).unwrap();
                    if rng.chance(0.5) {
                        c.insert(rng.pick(OPS).to_string(), v);
                    }
                    if c.is_empty() {
                        s.remove("Condition");
                    }
                }
            }
            4 => {
                st.remove(i);
            }
            5 => st.push(statement(rng)),
            6 => {
                let e = if s["Effect"] == "Allow" {
                    "Deny"
                } else {
                    "Allow"
                };
                s.insert("Effect".into(), json!(e));
            }
            7 => {
                let j = rng.below(st.len());
                st.swap(i, j);
            }
            8 => {
                // A condition clause added.
                let (op, key, vals) = condition(rng);
                let c = s
                    .entry("Condition")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .unwrap();
                let o = c.entry(op).or_insert_with(|| json!({}));
                o.as_object_mut().unwrap().insert(key, json!(vals));
            }
            _ => {
                tag = if tags.is_empty() || rng.chance(0.2) {
                    None
                } else {
                    Some(rng.pick(tags).to_string())
                };
            }
        }
    }
    (doc(st), tag)
}

const OPS: &[&str] = &[
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringNotLike",
    "StringEqualsIfExists",
    "StringLikeIfExists",
    "StringNotEqualsIfExists",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringLike",
];

const KEYS: &[&str] = &[
    "aws:PrincipalTag/team",
    "aws:ResourceTag/team",
    "aws:RequestedRegion",
    "aws:username",
];

fn condition(rng: &mut Rng) -> (String, String, Vec<String>) {
    let key = rng.pick(KEYS);
    if rng.chance(0.08) {
        return (
            "Null".into(),
            key.into(),
            vec![rng.pick(&["true", "false"]).into()],
        );
    }
    let values: &[&str] = match key {
        "aws:RequestedRegion" => &["us-east-1", "eu-west-1", "eu-*", "*", "us-?ast-1"],
        "aws:username" => &["alice", "a*", "${aws:PrincipalTag/team}"],
        _ => &[
            "app",
            "admin",
            "a*",
            "${aws:username}",
            "${aws:PrincipalTag/team}",
            "*",
            "${*}",
            "a${?}",
        ],
    };
    (rng.pick(OPS).into(), key.into(), rng.some(values, 2))
}

fn conditions(rng: &mut Rng) -> Option<Json> {
    if rng.chance(0.5) {
        return None;
    }
    let mut c = serde_json::Map::new();
    for _ in 0..1 + rng.below(2) {
        let (op, key, vals) = condition(rng);
        let o = c.entry(op).or_insert_with(|| json!({}));
        o.as_object_mut().unwrap().insert(key, json!(vals));
    }
    Some(Json::Object(c))
}

// Identity policies of the role.

const P_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "s3:PutObject",
    "S3:getobject",
    "s3:?etObject",
    "*",
    "iam:PassRole",
    "s3:*Object",
];
const P_RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::data/*",
    "arn:aws:s3:::data/a/*",
    "arn:aws:s3:::data/${aws:PrincipalTag/team}/*",
    "arn:aws:s3:::data/${*}",
    "arn:aws:s3:::data/${aws:username}",
    "arn:aws:s3:::data/a/x",
    "arn:aws:s3:::data/?/x",
    "arn:aws:s3:::other",
    "arn:aws:iam::111122223333:role/*",
];
const TAGS: &[&str] = &["app", "admin", "a", "*", "a?"];

fn p_statement(rng: &mut Rng) -> Json {
    let mut s = serde_json::Map::new();
    s.insert(
        "Effect".into(),
        json!(if rng.chance(0.75) { "Allow" } else { "Deny" }),
    );
    let a = if rng.chance(0.85) {
        "Action"
    } else {
        "NotAction"
    };
    s.insert(a.into(), json!(rng.some(P_ACTIONS, 2)));
    let r = if rng.chance(0.85) {
        "Resource"
    } else {
        "NotResource"
    };
    s.insert(r.into(), json!(rng.some(P_RESOURCES, 2)));
    if let Some(c) = conditions(rng) {
        s.insert("Condition".into(), c);
    }
    Json::Object(s)
}

/// One element of a list replaced by another (a neighbour of the old document).
fn replace_one(rng: &mut Rng, v: &mut Json, from: &[&str]) {
    let x = json!(rng.pick(from));
    match v {
        Json::Array(a) if !a.is_empty() => {
            let i = rng.below(a.len());
            a[i] = x;
        }
        other => *other = x,
    }
}

fn p_edit(rng: &mut Rng, s: &mut serde_json::Map<String, Json>) {
    match rng.below(6) {
        4 | 5 => {
            let (k, from) = if rng.chance(0.5) {
                (["Action", "NotAction"], P_ACTIONS)
            } else {
                (["Resource", "NotResource"], P_RESOURCES)
            };
            let key = if s.contains_key(k[0]) { k[0] } else { k[1] };
            if let Some(v) = s.get_mut(key) {
                replace_one(rng, v, from);
            }
        }
        0 => {
            let k = if s.contains_key("Action") {
                "Action"
            } else {
                "NotAction"
            };
            s.insert(k.into(), json!(rng.some(P_ACTIONS, 2)));
        }
        1 => {
            let k = if s.contains_key("Resource") {
                "Resource"
            } else {
                "NotResource"
            };
            s.insert(k.into(), json!(rng.some(P_RESOURCES, 2)));
        }
        2 => {
            // Action <-> NotAction, or Resource <-> NotResource.
            for (a, b) in [("Action", "NotAction"), ("Resource", "NotResource")] {
                if rng.chance(0.5) {
                    if let Some(v) = s.remove(a) {
                        s.insert(b.into(), v);
                    } else if let Some(v) = s.remove(b) {
                        s.insert(a.into(), v);
                    }
                    break;
                }
            }
        }
        _ => edit_condition_values(rng, s),
    }
}

fn edit_condition_values(rng: &mut Rng, s: &mut serde_json::Map<String, Json>) {
    match s.get_mut("Condition") {
        Some(Json::Object(c)) => {
            let (_, kv) = c.iter_mut().next().unwrap();
            let (_, vals) = kv.as_object_mut().unwrap().iter_mut().next().unwrap();
            let (_, _, fresh) = condition(rng);
            let mut v: Vec<Json> = vals.as_array().cloned().unwrap_or_default();
            match rng.below(3) {
                0 if v.len() > 1 => {
                    v.remove(0);
                }
                1 => v.push(json!(fresh[0])),
                _ => v = fresh.into_iter().map(Json::from).collect(),
            }
            *vals = Json::Array(v);
        }
        _ => {
            if let Some(c) = conditions(rng) {
                s.insert("Condition".into(), c);
            }
        }
    }
}

const P_REQ_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "iam:PassRole",
    "sqs:SendMessage",
];
const P_REQ_RESOURCES: &[&str] = &[
    "arn:aws:s3:::data/a/x",
    "arn:aws:s3:::data/app/x",
    "arn:aws:s3:::data/admin/x",
    "arn:aws:s3:::data/*",
    "arn:aws:s3:::data/alice",
    "arn:aws:s3:::data/b/x",
    "arn:aws:s3:::other",
    "arn:aws:iam::111122223333:role/x",
];

fn tags_json(t: &Option<String>) -> Json {
    match t {
        Some(v) => json!({ "team": v }),
        None => json!({}),
    }
}

/// The trust policy of a role whose identity policy is the subject: fixed.
fn fixed_trust() -> Json {
    doc(vec![json!({
        "Effect": "Allow", "Principal": { "Service": "pods.eks.amazonaws.com" },
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    })])
}

/// Counts and failures of one comparison run.
#[derive(Default)]
struct Tally {
    pairs: usize,
    quiet: usize,
    requests: usize,
    widened: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&self, what: &str) {
        eprintln!(
            "{what}: {} pairs ({} the review calls not broadening), {} requests compared, {} allowed after and not before",
            self.pairs, self.quiet, self.requests, self.widened
        );
        assert!(
            self.failures.is_empty(),
            "{} of {} requests allowed after and not before were not reported as broadening; first ones:\n{}",
            self.failures.len(),
            self.widened,
            self.failures
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n\n")
        );
        // The comparison has teeth: the pairs include quiet ones, and the judge found
        // widening requests.
        assert!(self.quiet > self.pairs / 5, "too few quiet pairs");
        assert!(self.widened > 0);
    }
}

/// One pair of worlds and the requests to judge in it.
struct Case {
    before: (Json, Option<String>),
    after: (Json, Option<String>),
    /// Requests without the world-dependent parts; `query` makes the judge's line.
    requests: Vec<Json>,
}

fn run(
    cases: Vec<Case>,
    query: &dyn Fn(&Json, &Option<String>, &Json) -> Json,
    resource: &dyn Fn(&Json, &Option<String>) -> RenderedResource,
) -> Tally {
    let mut queries = vec![];
    for c in &cases {
        for r in &c.requests {
            queries.push(query(&c.before.0, &c.before.1, r));
            queries.push(query(&c.after.0, &c.after.1, r));
        }
    }
    let answers = judge(&queries);
    let mut t = Tally::default();
    let mut k = 0;
    for c in &cases {
        let (broadens, items) = review_broadens(
            resource(&c.before.0, &c.before.1),
            resource(&c.after.0, &c.after.1),
        );
        t.pairs += 1;
        t.quiet += usize::from(!broadens);
        for r in &c.requests {
            let (b, a) = (&answers[k], &answers[k + 1]);
            k += 2;
            t.requests += 1;
            if a == "Allowed" && b != "Allowed" {
                t.widened += 1;
                if !broadens {
                    t.failures.push(format!(
                        "before (tag {:?}): {}\nafter (tag {:?}): {}\nrequest: {r}\nreview: {items:?}",
                        c.before.1, c.before.0, c.after.1, c.after.0
                    ));
                }
            }
        }
    }
    t
}

#[test]
fn identity_policy_changes_the_judge_allows_more_are_reported_as_broadening() {
    let mut rng = Rng(seed(0x5EC0_2403));
    let mut cases = vec![];
    for _ in 0..600 {
        let n = rng.below(4);
        let before = doc((0..n).map(|_| p_statement(&mut rng)).collect());
        let tag = if rng.chance(0.8) {
            Some(rng.pick(TAGS).to_string())
        } else {
            None
        };
        let mut after = variant(&mut rng, &before, &tag, &p_statement, &p_edit, TAGS);
        if rng.chance(0.2) {
            // The tag alone, often: attribute-based access is where a tag change broadens.
            after = (
                if rng.chance(0.5) {
                    before.clone()
                } else {
                    after.0
                },
                Some(rng.pick(TAGS).to_string()),
            );
        }
        let requests = (0..180)
            .map(|_| {
                let mut ctx = serde_json::Map::new();
                if rng.chance(0.67) {
                    ctx.insert(
                        "aws:RequestedRegion".into(),
                        json!(rng.pick(&["us-east-1", "eu-west-1"])),
                    );
                }
                if rng.chance(0.5) {
                    ctx.insert("aws:username".into(), json!("alice"));
                }
                if rng.chance(0.67) {
                    ctx.insert("aws:ResourceTag/team".into(), json!(rng.pick(TAGS)));
                }
                json!({
                    "action": rng.pick(P_REQ_ACTIONS),
                    "resource": rng.pick(P_REQ_RESOURCES),
                    "context": ctx,
                })
            })
            .collect();
        cases.push(Case {
            before: (before, tag),
            after,
            requests,
        });
    }
    let query = |d: &Json, tag: &Option<String>, r: &Json| {
        let mut ctx = r["context"].clone();
        if let Some(t) = tag {
            ctx["aws:PrincipalTag/team"] = json!(t);
        }
        json!({
            "resource_policy": null, "identity_policies": [d], "boundary": null,
            "principal": ROLE, "action": r["action"], "resource": r["resource"],
            "account": ACCOUNT, "context": ctx,
        })
    };
    let resource = |d: &Json, tag: &Option<String>| role(&tags_json(tag), &fixed_trust(), d);
    run(cases, &query, &resource).check("identity policies");
}

// Trust policies of the role.

const ISSUER: &str = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE";

fn t_principal(rng: &mut Rng) -> Json {
    let provider = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}");
    match rng.below(8) {
        0 => json!("*"),
        1 => json!({ "AWS": "*" }),
        2 => json!({ "AWS": "444455556666" }),
        3 => json!({ "AWS": "arn:aws:iam::444455556666:root" }),
        4 => json!({ "AWS": "arn:aws:iam::444455556666:role/ci" }),
        5 => {
            json!({ "AWS": ["arn:aws:iam::777788889999:role/ci", "arn:aws:iam::111122223333:role/ci"] })
        }
        6 => json!({ "AWS": "arn:aws:iam::111122223333:role/ci" }),
        _ => json!({ "Federated": provider }),
    }
}

const T_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:TagSession",
    "sts:*",
    "sts:AssumeRole*",
    "sts:AssumeRoleWithWebIdentity",
];

fn t_condition(rng: &mut Rng) -> (String, String, Vec<String>) {
    let sub = format!("{ISSUER}:sub");
    let aud = format!("{ISSUER}:aud");
    let (key, values): (String, &[&str]) = match rng.below(4) {
        0 => ("sts:ExternalId".into(), &["abc", "xyz", "a*"]),
        1 => ("aws:PrincipalTag/team".into(), &["app", "admin", "a*"]),
        2 => (
            sub,
            &[
                "system:serviceaccount:apps:web",
                "system:serviceaccount:apps:*",
                "system:serviceaccount:*",
            ],
        ),
        _ => (aud, &["sts.amazonaws.com", "*"]),
    };
    let op = rng.pick(&OPS[..7]);
    (op.into(), key, rng.some(values, 2))
}

fn t_statement(rng: &mut Rng) -> Json {
    let mut s = serde_json::Map::new();
    let allow = rng.chance(0.8);
    s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
    if !allow && rng.chance(0.3) {
        s.insert("NotPrincipal".into(), t_principal(rng));
    } else {
        s.insert("Principal".into(), t_principal(rng));
    }
    let a = if rng.chance(0.9) {
        "Action"
    } else {
        "NotAction"
    };
    s.insert(a.into(), json!(rng.some(T_ACTIONS, 2)));
    if rng.chance(0.6) {
        let mut c = serde_json::Map::new();
        for _ in 0..1 + rng.below(2) {
            let (op, key, vals) = t_condition(rng);
            let o = c.entry(op).or_insert_with(|| json!({}));
            o.as_object_mut().unwrap().insert(key, json!(vals));
        }
        s.insert("Condition".into(), Json::Object(c));
    }
    Json::Object(s)
}

fn t_edit(rng: &mut Rng, s: &mut serde_json::Map<String, Json>) {
    match rng.below(3) {
        0 => {
            let k = if s.contains_key("Principal") {
                "Principal"
            } else {
                "NotPrincipal"
            };
            s.insert(k.into(), t_principal(rng));
        }
        1 => {
            let k = if s.contains_key("Action") {
                "Action"
            } else {
                "NotAction"
            };
            s.insert(k.into(), json!(rng.some(T_ACTIONS, 2)));
        }
        _ => {
            let (op, key, vals) = t_condition(rng);
            match s.get_mut("Condition") {
                Some(Json::Object(c)) if rng.chance(0.7) => {
                    let (_, kv) = c.iter_mut().next().unwrap();
                    let kv = kv.as_object_mut().unwrap();
                    let first = kv.keys().next().cloned().unwrap();
                    let v = kv.get_mut(&first).unwrap().as_array_mut().unwrap();
                    if v.len() > 1 && rng.chance(0.5) {
                        v.remove(0);
                    } else {
                        v.push(json!(vals[0]));
                    }
                }
                _ => {
                    s.insert("Condition".into(), json!({ op: { key: vals } }));
                }
            }
        }
    }
}

#[test]
fn trust_policy_changes_the_judge_allows_more_are_reported_as_broadening() {
    let mut rng = Rng(seed(0x7275_5374));
    let identity = doc(vec![
        json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    ]);
    let principals = [
        "arn:aws:iam::444455556666:role/ci",
        "arn:aws:iam::444455556666:role/other",
        "arn:aws:iam::777788889999:role/ci",
        "arn:aws:iam::111122223333:role/ci",
    ];
    let provider = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}");
    let mut cases = vec![];
    for _ in 0..500 {
        let n = 1 + rng.below(3);
        let before = doc((0..n).map(|_| t_statement(&mut rng)).collect());
        let after = variant(&mut rng, &before, &None, &t_statement, &t_edit, &[]);
        let requests = (0..150)
            .map(|_| {
                let mut ctx = serde_json::Map::new();
                let web = rng.chance(0.25);
                let principal = if web {
                    provider.clone()
                } else {
                    rng.pick(&principals).to_string()
                };
                if web {
                    ctx.insert(
                        format!("{ISSUER}:sub"),
                        json!(rng.pick(&[
                            "system:serviceaccount:apps:web",
                            "system:serviceaccount:kube-system:x"
                        ])),
                    );
                    if rng.chance(0.7) {
                        ctx.insert(format!("{ISSUER}:aud"), json!("sts.amazonaws.com"));
                    }
                } else {
                    if rng.chance(0.6) {
                        ctx.insert("sts:ExternalId".into(), json!(rng.pick(&["abc", "xyz"])));
                    }
                    if rng.chance(0.6) {
                        ctx.insert(
                            "aws:PrincipalTag/team".into(),
                            json!(rng.pick(&["app", "admin"])),
                        );
                    }
                }
                let action = if web && rng.chance(0.8) {
                    "sts:AssumeRoleWithWebIdentity"
                } else {
                    rng.pick(&[
                        "sts:AssumeRole",
                        "sts:TagSession",
                        "sts:AssumeRoleWithWebIdentity",
                    ])
                };
                json!({ "principal": principal, "action": action, "context": ctx })
            })
            .collect();
        cases.push(Case {
            before: (before, None),
            after,
            requests,
        });
    }
    let query = |d: &Json, _: &Option<String>, r: &Json| {
        let principal = r["principal"].as_str().unwrap();
        // A caller of another account needs its own account's permission too: all of it.
        // One of this account needs none (the trust policy must name it).
        let ids = if principal.contains(&format!("::{ACCOUNT}:")) {
            json!([])
        } else {
            json!([identity])
        };
        json!({
            "resource_policy": d, "identity_policies": ids, "boundary": null,
            "principal": principal, "action": r["action"], "resource": ROLE,
            "account": ACCOUNT, "context": r["context"],
        })
    };
    let empty = doc(vec![]);
    let resource = |d: &Json, _: &Option<String>| role(&json!({}), d, &empty);
    run(cases, &query, &resource).check("trust policies");
}
