//! The access model against a judge nobody here wrote: `@cloud-copilot/iam-simulate`
//! (pinned by `tests/iam-simulate/package-lock.json`, installed by `tests/run.sh`), through
//! `tests/iam-simulate/judge.mjs`, one node process per run fed JSON lines.
//!
//! A corpus of trust policies is generated from a fixed seed in the shapes of the AWS EKS IRSA
//! and pod identity guides, the GitHub Actions, GitLab and HCP Terraform OIDC guides, SAML
//! sign-in, Cognito, and cross-account trusts with `sts:ExternalId`, then varied the ways
//! real policies go wrong or get clever: Deny statements (with conditions, unconditional,
//! `NotPrincipal`), negated and `...IfExists` operators, `ForAnyValue:`/`ForAllValues:`,
//! `Null`, `Bool`, numeric, date and IP conditions, several values, the wrong action, keys of
//! another issuer, providers of another account, a second statement of another kind. Each
//! policy is asked about subjects of every kind, written as `eksfed access --identity` takes
//! them; the judge gets the requests those subjects make as DSL.md "Access review, exact"
//! says (an IRSA token's `sub` and `aud=sts.amazonaws.com`, pod identity's session tags and
//! both of its actions, an IAM principal's `aws:PrincipalArn` and `aws:PrincipalAccount` and an
//! identity policy allowing the call, since a role of another account needs both sides).
//!
//! The model answers "admits", "does not" or "may admit" (it cannot decide: a key every
//! request carries whose value the subject did not give, a policy variable, several values
//! under a single-valued operator). Every decided answer must be the judge's; the undecided
//! ones are counted and must stay few.
//!
//! Last run: 1,500 trust policies, 21,000 subjects (3,420 of them allowed by the judge),
//! 29,390 requests to the judge; 20,594 decided answers, all the judge's; 406 "may admit"
//! (1.9%: `SAML:sub` not given 154, a policy variable 122, `aws:SourceIp` 65,
//! `aws:CurrentTime` 65). Ignoring Deny statements makes 363 answers differ; reading a
//! negated operator on a missing key as failing, 123.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::desired::model::AccessMode;
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::review::access_model::{self, Answer, ClusterInfo, Piece};
use proptest::prelude::Rng as _;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

const A: &str = "111122223333";
const OTHER: &str = "999999999999";
const PROD: &str = "oidc.eks.us-east-1.amazonaws.com/id/PROD";
const DEV: &str = "oidc.eks.us-east-1.amazonaws.com/id/DEV";
const GH: &str = "token.actions.githubusercontent.com";
const GL: &str = "gitlab.com";
const TF: &str = "app.terraform.io";
const COG: &str = "cognito-identity.amazonaws.com";
const SAML_AUD: &str = "https://signin.aws.amazon.com/saml";
const POLICIES: usize = 1500;

/// The corpus's randomness: proptest's deterministic generator, so it is the same on every
/// run.
struct Rng(TestRng);

impl Rng {
    fn new() -> Rng {
        Rng(TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn one(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }
    /// True `p` percent of the time.
    fn chance(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Fam {
    Irsa,
    Pod,
    Github,
    Gitlab,
    Tfc,
    Saml,
    Aws,
    Cognito,
}

const FAMS: &[Fam] = &[
    Fam::Irsa,
    Fam::Pod,
    Fam::Github,
    Fam::Gitlab,
    Fam::Tfc,
    Fam::Saml,
    Fam::Aws,
    Fam::Cognito,
];

fn provider(account: &str, host: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{host}")
}

fn host_of(f: Fam) -> &'static str {
    match f {
        Fam::Irsa => PROD,
        Fam::Github => GH,
        Fam::Gitlab => GL,
        Fam::Tfc => TF,
        Fam::Cognito => COG,
        _ => "",
    }
}

fn saml_provider(account: &str) -> String {
    format!("arn:aws:iam::{account}:saml-provider/okta")
}

fn cluster_arn(account: &str, name: &str) -> String {
    format!("arn:aws:eks:us-east-1:{account}:cluster/{name}")
}

/// Condition keys of a family with the values policies test them against.
fn pool(f: Fam) -> Vec<(String, Vec<&'static str>)> {
    let k = |h: &str, c: &str| format!("{h}:{c}");
    match f {
        Fam::Irsa => vec![
            (
                k(PROD, "sub"),
                vec![
                    "system:serviceaccount:apps:web",
                    "system:serviceaccount:apps:*",
                    "system:serviceaccount:kube-system:blocked",
                    "system:serviceaccount:*:web",
                    "system:serviceaccount:ops:*",
                ],
            ),
            (k(PROD, "aud"), vec!["sts.amazonaws.com", "other"]),
        ],
        Fam::Pod => vec![
            (
                "aws:RequestTag/kubernetes-namespace".into(),
                vec!["apps", "ops", "kube-*"],
            ),
            (
                "aws:RequestTag/kubernetes-service-account".into(),
                vec!["web", "api"],
            ),
            (
                "aws:RequestTag/eks-cluster-name".into(),
                vec!["prod", "dev"],
            ),
            ("aws:SourceAccount".into(), vec![A, OTHER]),
        ],
        Fam::Github => vec![
            (
                k(GH, "sub"),
                vec![
                    "repo:acme/app:ref:refs/heads/main",
                    "repo:acme/app:*",
                    "repo:acme/*",
                    "repo:acme/app:environment:prod",
                    "repo:acme/app:pull_request",
                ],
            ),
            (
                k(GH, "aud"),
                vec!["sts.amazonaws.com", "https://github.com/acme"],
            ),
        ],
        Fam::Gitlab => vec![
            (
                k(GL, "sub"),
                vec![
                    "project_path:acme/app:ref_type:branch:ref:main",
                    "project_path:acme/*",
                ],
            ),
            (
                k(GL, "aud"),
                vec!["https://gitlab.com", "https://gitlab.example.com"],
            ),
        ],
        Fam::Tfc => vec![
            (
                k(TF, "sub"),
                vec![
                    "organization:acme:project:*:workspace:prod:run_phase:*",
                    "organization:acme:project:default:workspace:*:run_phase:apply",
                ],
            ),
            (k(TF, "aud"), vec!["aws.workload.identity"]),
        ],
        Fam::Saml => vec![
            ("SAML:aud".into(), vec![SAML_AUD, "https://example.com"]),
            ("SAML:sub".into(), vec!["alice", "bob"]),
        ],
        Fam::Aws => vec![
            ("sts:ExternalId".into(), vec!["abc", "xyz"]),
            ("aws:PrincipalOrgID".into(), vec!["o-abc123"]),
        ],
        Fam::Cognito => vec![(k(COG, "aud"), vec!["us-east-1:pool"])],
    }
}

const STRING_OPS: &[&str] = &[
    "StringEquals",
    "StringEquals",
    "StringLike",
    "StringLike",
    "StringNotEquals",
    "StringNotLike",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "StringLikeIfExists",
    "StringEqualsIgnoreCase",
    "ForAnyValue:StringLike",
    "ForAllValues:StringEquals",
];

/// Adds `op: {key: values}` to a condition block.
fn add(cond: &mut Map<String, Json>, op: &str, key: &str, values: Vec<&str>) {
    let v = if values.len() == 1 {
        json!(values[0])
    } else {
        json!(values)
    };
    cond.entry(op.to_string())
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .unwrap()
        .insert(key.to_string(), v);
}

/// One or two of the pool's values.
fn values<'a>(r: &mut Rng, vs: &[&'a str]) -> Vec<&'a str> {
    let mut out = vec![*r.pick(vs)];
    if r.chance(20) {
        let v = *r.pick(vs);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Conditions on keys IAM reads from every request, with the other operator families.
fn other_operator(r: &mut Rng, cond: &mut Map<String, Json>, f: Fam) {
    match r.below(9) {
        0 => add(
            cond,
            r.one(&["IpAddress", "NotIpAddress"]),
            "aws:SourceIp",
            vec!["10.0.0.0/8"],
        ),
        1 => add(
            cond,
            r.one(&["DateLessThan", "DateGreaterThan"]),
            "aws:CurrentTime",
            vec!["2030-01-01T00:00:00Z"],
        ),
        2 if f == Fam::Aws => add(
            cond,
            "Bool",
            "aws:MultiFactorAuthPresent",
            vec![r.one(&["true", "false"])],
        ),
        3 if f == Fam::Aws => add(
            cond,
            r.one(&[
                "NumericLessThan",
                "NumericGreaterThanEquals",
                "NumericLessThanIfExists",
            ]),
            "aws:MultiFactorAuthAge",
            vec!["3600"],
        ),
        4 if f == Fam::Aws => add(
            cond,
            r.one(&["ArnLike", "ArnNotLike", "ArnEquals"]),
            "aws:PrincipalArn",
            vec![r.one(&[
                "arn:aws:iam::111122223333:role/ci-*",
                "arn:aws:iam::444455556666:user/*",
            ])],
        ),
        5 => {
            let (k, _) = r.pick(&pool(f)).clone();
            add(cond, "Null", &k, vec![r.one(&["true", "false"])]);
        }
        6 if f == Fam::Cognito => add(
            cond,
            r.one(&[
                "ForAnyValue:StringLike",
                "ForAllValues:StringLike",
                "ForAnyValue:StringNotLike",
            ]),
            &format!("{COG}:amr"),
            vec![r.one(&[
                "authenticated",
                "unauthenticated",
                "cognito-identity.amazonaws.com:*",
            ])],
        ),
        7 => add(
            cond,
            "StringEquals",
            "aws:PrincipalTag/team",
            vec!["${aws:username}"],
        ),
        _ => {}
    }
}

/// The Allow statement a guide writes for a family, varied.
fn allow(r: &mut Rng, f: Fam) -> Json {
    let mut cond = Map::new();
    let (principal, action) = match f {
        Fam::Irsa | Fam::Github | Fam::Gitlab | Fam::Tfc | Fam::Cognito => {
            let host = host_of(f);
            let p = if f == Fam::Cognito {
                COG.to_string()
            } else if r.chance(7) {
                provider(OTHER, host)
            } else {
                provider(A, host)
            };
            (
                json!({"Federated": p}),
                json!("sts:AssumeRoleWithWebIdentity"),
            )
        }
        Fam::Saml => {
            let p = if r.chance(7) {
                saml_provider(OTHER)
            } else {
                saml_provider(A)
            };
            (json!({"Federated": p}), json!("sts:AssumeRoleWithSAML"))
        }
        Fam::Pod => (
            json!({"Service": "pods.eks.amazonaws.com"}),
            json!(["sts:AssumeRole", "sts:TagSession"]),
        ),
        Fam::Aws => {
            let who = r.one(&[
                "arn:aws:iam::111122223333:root",
                "arn:aws:iam::444455556666:root",
                "444455556666",
                "arn:aws:iam::111122223333:role/ci",
                "*",
            ]);
            (json!({"AWS": who}), json!("sts:AssumeRole"))
        }
    };
    for (key, vs) in pool(f) {
        // The guides' own conditions most of the time; sometimes left out.
        if r.chance(75) {
            let op = if r.chance(60) {
                "StringEquals"
            } else {
                r.one(STRING_OPS)
            };
            let op = if vs.iter().any(|v| v.contains('*')) && op == "StringEquals" && r.chance(50) {
                "StringLike"
            } else {
                op
            };
            add(&mut cond, op, &key, values(r, &vs));
        }
    }
    if r.chance(35) {
        other_operator(r, &mut cond, f);
    }
    // Keys of another issuer (a copy-paste from another cluster's trust).
    if matches!(f, Fam::Irsa | Fam::Github) && r.chance(10) {
        let key = if f == Fam::Irsa {
            format!("{DEV}:sub")
        } else {
            format!("{GL}:sub")
        };
        let op = r.one(&["StringEquals", "StringLike", "StringNotEquals"]);
        add(&mut cond, op, &key, vec!["system:serviceaccount:apps:web"]);
    }
    let action = if r.chance(10) {
        json!(r.one(&[
            "sts:AssumeRole",
            "sts:AssumeRoleWithWebIdentity",
            "sts:AssumeRoleWithSAML",
            "sts:*",
            "sts:AssumeRole*",
        ]))
    } else if f == Fam::Pod && r.chance(10) {
        json!("sts:AssumeRole")
    } else {
        action
    };
    let mut st = json!({"Effect": "Allow", "Principal": principal, "Action": action});
    if !cond.is_empty() {
        st["Condition"] = Json::Object(cond);
    }
    st
}

/// A Deny statement aimed at a family.
fn deny(r: &mut Rng, f: Fam) -> Json {
    let principal = match r.below(4) {
        0 => json!("*"),
        1 => json!({"AWS": "*"}),
        2 => match f {
            Fam::Saml => json!({"Federated": saml_provider(A)}),
            Fam::Pod => json!({"Service": "pods.eks.amazonaws.com"}),
            Fam::Aws => json!({"AWS": "arn:aws:iam::444455556666:root"}),
            Fam::Cognito => json!({"Federated": COG}),
            _ => json!({"Federated": provider(A, host_of(f))}),
        },
        _ => json!("*"),
    };
    let action = json!(r.one(&[
        "sts:*",
        "sts:AssumeRole",
        "sts:AssumeRoleWithWebIdentity",
        "sts:AssumeRoleWithSAML",
        "sts:TagSession",
    ]));
    let mut st = if r.chance(5) {
        json!({"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/admin"}, "Action": action})
    } else {
        json!({"Effect": "Deny", "Principal": principal, "Action": action})
    };
    if !r.chance(5) {
        let mut cond = Map::new();
        let p = pool(f);
        let (key, vs) = r.pick(&p).clone();
        let op = r.one(&[
            "StringEquals",
            "StringLike",
            "StringNotEquals",
            "StringNotLike",
        ]);
        add(&mut cond, op, &key, values(r, &vs));
        if r.chance(20) {
            other_operator(r, &mut cond, f);
        }
        st["Condition"] = Json::Object(cond);
    }
    st
}

fn trust_policy(r: &mut Rng) -> (Json, Fam) {
    let f = *r.pick(FAMS);
    let mut statements = vec![allow(r, f)];
    if r.chance(20) {
        let other = *r.pick(FAMS);
        statements.push(allow(r, other));
    }
    if r.chance(35) {
        for _ in 0..=r.below(2) {
            statements.push(deny(r, f));
        }
    }
    (json!({"Version": "2012-10-17", "Statement": statements}), f)
}

/// One request to the judge.
struct JudgeRequest {
    principal: String,
    action: &'static str,
    context: Map<String, Json>,
    identity_policy: bool,
}

/// A subject as `--identity` takes it, and the ways it may reach a role: the requests of one
/// way must all be allowed.
struct Subject {
    text: String,
    ways: Vec<Vec<JudgeRequest>>,
}

fn context(pairs: &[(String, String)]) -> Map<String, Json> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        m.entry(k.clone()).or_default().push(v.clone());
    }
    m.into_iter()
        .map(|(k, v)| {
            let j = if v.len() == 1 { json!(v[0]) } else { json!(v) };
            (k, j)
        })
        .collect()
}

/// `KEY=VALUE` words of a subject, and the same pairs with short keys given their prefix.
fn given(pairs: &[(&str, String)], short: &str) -> (String, Vec<(String, String)>) {
    let words: Vec<String> = pairs.iter().map(|(k, v)| format!(" {k}={v}")).collect();
    let full = pairs
        .iter()
        .map(|(k, v)| {
            let key = if k.contains(':') {
                k.to_string()
            } else {
                format!("{short}{k}")
            };
            (key, v.clone())
        })
        .collect();
    (words.concat(), full)
}

/// Keys the DSL says no subject is expected to know, given now and then.
fn extras(r: &mut Rng) -> Vec<(&'static str, String)> {
    let mut out = vec![];
    if r.chance(60) {
        out.push((
            "aws:SourceIp",
            r.one(&["10.1.2.3", "192.168.0.1"]).to_string(),
        ));
    }
    if r.chance(60) {
        out.push((
            "aws:CurrentTime",
            r.one(&["2026-12-07T00:00:00Z", "2031-01-01T00:00:00Z"])
                .to_string(),
        ));
    }
    out
}

fn web_request(host: &str, pairs: Vec<(String, String)>) -> JudgeRequest {
    let p = if host == COG {
        COG.to_string()
    } else {
        provider(A, host)
    };
    let mut all = vec![("aws:FederatedProvider".to_string(), p.clone())];
    all.extend(pairs);
    JudgeRequest {
        principal: p,
        action: "sts:AssumeRoleWithWebIdentity",
        context: context(&all),
        identity_policy: false,
    }
}

fn pod_requests(ns: &str, sa: &str, pairs: Vec<(String, String)>) -> Vec<JudgeRequest> {
    let mut all = vec![
        (
            "aws:RequestTag/kubernetes-namespace".to_string(),
            ns.to_string(),
        ),
        (
            "aws:RequestTag/kubernetes-service-account".to_string(),
            sa.to_string(),
        ),
    ];
    all.extend(pairs);
    ["sts:AssumeRole", "sts:TagSession"]
        .iter()
        .map(|a| JudgeRequest {
            principal: "pods.eks.amazonaws.com".into(),
            action: a,
            context: context(&all),
            identity_policy: false,
        })
        .collect()
}

fn subject(r: &mut Rng, f: Fam) -> Subject {
    match f {
        Fam::Irsa => {
            let (ns, sa) = *r.pick(&[
                ("apps", "web"),
                ("apps", "api"),
                ("kube-system", "blocked"),
                ("ops", "web"),
            ]);
            // A service account of cluster prod, said so: through pod identity it presents
            // that cluster (DSL: "the cluster of the path"; here the subject names it).
            let mut pairs = vec![
                ("eks-cluster-name", "prod".to_string()),
                ("eks-cluster-arn", cluster_arn(A, "prod")),
                ("aws:SourceAccount", A.to_string()),
            ];
            pairs.extend(extras(r));
            if r.chance(10) {
                pairs.push(("aud", "other".to_string()));
            }
            let (words, irsa) = given(&pairs, &format!("{PROD}:"));
            let mut web = vec![
                (
                    format!("{PROD}:sub"),
                    format!("system:serviceaccount:{ns}:{sa}"),
                ),
                (format!("{PROD}:aud"), "sts.amazonaws.com".to_string()),
            ];
            // What the subject gives replaces what the token carries by default.
            web.retain(|(k, _)| !irsa.iter().any(|(g, _)| g == k));
            web.extend(irsa);
            let (_, pod) = given(&pairs, "aws:RequestTag/");
            Subject {
                text: format!("system:serviceaccount:{ns}:{sa}{words}"),
                ways: vec![vec![web_request(PROD, web)], pod_requests(ns, sa, pod)],
            }
        }
        Fam::Pod => {
            let (ns, sa) = *r.pick(&[
                ("apps", "web"),
                ("apps", "api"),
                ("ops", "web"),
                ("kube-system", "x"),
            ]);
            let (cluster, account) = *r.pick(&[("prod", A), ("dev", A), ("prod", OTHER)]);
            let mut pairs = vec![
                ("eks-cluster-name", cluster.to_string()),
                ("eks-cluster-arn", cluster_arn(account, cluster)),
                ("aws:SourceAccount", account.to_string()),
            ];
            pairs.extend(extras(r));
            let (words, pod) = given(&pairs, "aws:RequestTag/");
            Subject {
                text: format!("pod-identity:{ns}/{sa}{words}"),
                ways: vec![pod_requests(ns, sa, pod)],
            }
        }
        Fam::Github | Fam::Gitlab | Fam::Tfc | Fam::Cognito => {
            let host = host_of(f);
            let subs: &[&str] = match f {
                Fam::Github => &[
                    "repo:acme/app:ref:refs/heads/main",
                    "repo:acme/app:pull_request",
                    "repo:acme/app:environment:prod",
                    "repo:acme/other:ref:refs/heads/main",
                    "repo:evil/app:ref:refs/heads/main",
                ],
                Fam::Gitlab => &[
                    "project_path:acme/app:ref_type:branch:ref:main",
                    "project_path:acme/app:ref_type:branch:ref:dev",
                    "project_path:evil/app:ref_type:branch:ref:main",
                ],
                Fam::Tfc => &[
                    "organization:acme:project:default:workspace:prod:run_phase:apply",
                    "organization:acme:project:default:workspace:dev:run_phase:plan",
                    "organization:evil:project:default:workspace:prod:run_phase:apply",
                ],
                _ => &["us-east-1:abcd"],
            };
            let auds: &[&str] = match f {
                Fam::Github => &[
                    "sts.amazonaws.com",
                    "https://github.com/acme",
                    "https://github.com/evil",
                ],
                Fam::Gitlab => &["https://gitlab.com", "https://gitlab.example.com"],
                Fam::Tfc => &["aws.workload.identity", "other"],
                _ => &["us-east-1:pool", "us-east-1:other"],
            };
            let mut pairs: Vec<(&str, String)> = vec![];
            if r.chance(90) {
                pairs.push(("sub", r.pick(subs).to_string()));
            }
            if r.chance(80) {
                pairs.push(("aud", r.pick(auds).to_string()));
            }
            if f == Fam::Cognito {
                pairs.push((
                    "amr",
                    r.one(&["authenticated", "unauthenticated"]).to_string(),
                ));
                if r.chance(60) {
                    pairs.push((
                        "amr",
                        "cognito-identity.amazonaws.com:us-east-1:pool".to_string(),
                    ));
                }
            }
            pairs.extend(extras(r));
            let (words, full) = given(&pairs, &format!("{host}:"));
            Subject {
                text: format!("oidc:{host}{words}"),
                ways: vec![vec![web_request(host, full)]],
            }
        }
        Fam::Saml => {
            let mut pairs: Vec<(&str, String)> = vec![];
            if r.chance(80) {
                pairs.push(("sub", r.one(&["alice", "bob", "carol"]).to_string()));
            }
            if r.chance(15) {
                pairs.push(("aud", "https://example.com".to_string()));
            }
            pairs.extend(extras(r));
            let (words, full) = given(&pairs, "SAML:");
            let p = saml_provider(A);
            let mut all = vec![
                ("SAML:aud".to_string(), SAML_AUD.to_string()),
                ("aws:FederatedProvider".to_string(), p.clone()),
            ];
            all.retain(|(k, _)| !full.iter().any(|(g, _)| g == k));
            all.extend(full);
            Subject {
                text: format!("saml:{p}{words}"),
                ways: vec![vec![JudgeRequest {
                    principal: p,
                    action: "sts:AssumeRoleWithSAML",
                    context: context(&all),
                    identity_policy: false,
                }]],
            }
        }
        Fam::Aws => {
            let arn = r.one(&[
                "arn:aws:iam::444455556666:user/bob",
                "arn:aws:iam::111122223333:role/ci-deploy",
                "arn:aws:iam::111122223333:user/alice",
                "arn:aws:iam::111122223333:role/ci",
                "arn:aws:iam::999999999999:role/x",
            ]);
            let mut pairs: Vec<(&str, String)> = vec![];
            if r.chance(60) {
                pairs.push(("sts:ExternalId", r.one(&["abc", "xyz"]).to_string()));
            }
            if r.chance(40) {
                pairs.push(("aws:PrincipalOrgID", "o-abc123".to_string()));
            }
            if r.chance(40) {
                pairs.push((
                    "aws:MultiFactorAuthPresent",
                    r.one(&["true", "false"]).to_string(),
                ));
            }
            if r.chance(30) {
                pairs.push((
                    "aws:MultiFactorAuthAge",
                    r.one(&["100", "7200"]).to_string(),
                ));
            }
            pairs.extend(extras(r));
            let (words, full) = given(&pairs, "");
            let account = arn.split(':').nth(4).unwrap();
            let mut all = vec![
                ("aws:PrincipalArn".to_string(), arn.to_string()),
                ("aws:PrincipalAccount".to_string(), account.to_string()),
            ];
            all.extend(full);
            Subject {
                text: format!("aws:{arn}{words}"),
                ways: vec![vec![JudgeRequest {
                    principal: arn.to_string(),
                    action: "sts:AssumeRole",
                    context: context(&all),
                    identity_policy: true,
                }]],
            }
        }
    }
}

fn clusters() -> Vec<ClusterInfo> {
    vec![
        ClusterInfo {
            label: "prod".into(),
            name: "prod".into(),
            issuer: Some(PROD.into()),
            access_mode: AccessMode::AccessEntries,
            arn: Some(cluster_arn(A, "prod")),
        },
        ClusterInfo {
            label: "dev".into(),
            name: "dev".into(),
            issuer: Some(DEV.into()),
            access_mode: AccessMode::AccessEntries,
            arn: Some(cluster_arn(A, "dev")),
        },
    ]
}

fn role(arn: &str, trust: Json) -> Piece {
    Piece {
        kind: RenderedKind::Role {
            name: arn.rsplit('/').next().unwrap().to_string(),
            path: "/".into(),
            description: String::new(),
            arn: arn.into(),
            max_session_duration: 3600,
            permissions_boundary: None,
            tags: Default::default(),
            trust_policy: trust,
            policies: vec![],
            inline_policies: Default::default(),
        },
        managed: true,
    }
}

/// Asks the judge every request, in one node process.
fn judge(lines: Vec<String>) -> Vec<Json> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/iam-simulate");
    assert!(
        dir.join("node_modules/@cloud-copilot/iam-simulate").exists(),
        "tests/iam-simulate/node_modules is missing: run `npm ci --prefix tests/iam-simulate` (tests/run.sh does)"
    );
    let mut child = std::process::Command::new("node")
        .arg(dir.join("judge.mjs"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node");
    let mut stdin = child.stdin.take().unwrap();
    let n = lines.len();
    let writer = std::thread::spawn(move || {
        for l in lines {
            writeln!(stdin, "{l}").unwrap();
        }
    });
    let out: Vec<Json> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .take(n)
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(out.len(), n);
    out
}

#[test]
fn the_access_model_agrees_with_an_iam_simulator() {
    let mut r = Rng::new();
    let clusters = clusters();
    // (role ARN, policy, subject text, model answer, ways as request indexes)
    let mut cases = vec![];
    let mut lines = vec![];
    let mut undecided: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..POLICIES {
        let (doc, f) = trust_policy(&mut r);
        let arn = format!("arn:aws:iam::{A}:role/r{i}");
        let model = access_model::build(&clusters, &[role(&arn, doc.clone())], &BTreeMap::new());
        let mut subjects: Vec<Subject> = (0..10).map(|_| subject(&mut r, f)).collect();
        for _ in 0..4 {
            let other = *r.pick(FAMS);
            subjects.push(subject(&mut r, other));
        }
        for s in subjects {
            let verdicts: Vec<access_model::Verdict> = model
                .paths
                .iter()
                .map(|p| access_model::admission(p, &s.text))
                .collect();
            let answer = verdicts
                .iter()
                .map(|v| v.answer)
                .max()
                .unwrap_or(Answer::No);
            if answer == Answer::Maybe {
                let why = verdicts
                    .iter()
                    .find_map(|v| v.why.clone())
                    .unwrap_or_default();
                // The reason without its values: `aws:SourceIp is set on every request...`.
                *undecided.entry(why).or_insert(0usize) += 1;
            }
            let mut ways = vec![];
            for way in s.ways {
                let mut idx = vec![];
                for q in way {
                    idx.push(lines.len());
                    let identity: Vec<Json> = if q.identity_policy {
                        vec![json!({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})]
                    } else {
                        vec![]
                    };
                    lines.push(
                        json!({
                            "resource_policy": doc, "identity_policies": identity,
                            "principal": q.principal, "action": q.action, "resource": arn,
                            "account": A, "context": q.context,
                        })
                        .to_string(),
                    );
                }
                ways.push(idx);
            }
            cases.push((arn.clone(), doc.clone(), s.text, answer, ways));
        }
    }
    let requests = lines.len();
    let answers = judge(lines);
    let errors: Vec<&Json> = answers
        .iter()
        .filter(|a| a.get("error").is_some())
        .collect();
    assert!(
        errors.is_empty(),
        "the judge failed: {:?}",
        &errors[..errors.len().min(3)]
    );
    let allowed = |i: &usize| answers[*i]["result"] == "Allowed";
    let (mut decided, mut maybe, mut allows) = (0, 0, 0);
    let mut wrong = vec![];
    for (arn, doc, text, answer, ways) in &cases {
        let judge = ways.iter().any(|w| w.iter().all(allowed));
        allows += usize::from(judge);
        match answer {
            Answer::Maybe => maybe += 1,
            a => {
                decided += 1;
                if (*a == Answer::Yes) != judge {
                    wrong.push(format!(
                        "{arn}: model {a:?}, judge {}: --identity {text}\n  {doc}",
                        if judge { "allows" } else { "denies" }
                    ));
                }
            }
        }
    }
    println!(
        "compared {POLICIES} trust policies, {} subjects ({allows} allowed by the judge), {requests} requests to the judge: {decided} decided answers, {} differ; {maybe} may admit ({:.1}%)",
        cases.len(),
        wrong.len(),
        100.0 * maybe as f64 / cases.len() as f64
    );
    for (why, n) in &undecided {
        println!("  may admit {n:>5}: {why}");
    }
    assert!(
        wrong.is_empty(),
        "{} of {decided} decided answers differ from the judge:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(15)].join("\n")
    );
    assert!(
        maybe * 20 < cases.len(),
        "{maybe} of {} answers undecided: more than 5%",
        cases.len()
    );
}
