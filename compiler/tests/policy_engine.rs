//! One reader of statements (`iam::statement`), and every consumer reading through it.
//!
//! The same generated documents go to the reader and to each stage that looks inside a
//! statement: the lints, the security review, the access model and `eksfed generate`. A
//! document may be written in several equivalent forms (`"Statement"` one object or a list of
//! one; any value one string or a list of one): every consumer must give the same answer for
//! every form, and the security review's statements must be the reader's, field by field. The
//! reader itself must read what it writes (`to_json` then `read` is the identity).
#![allow(clippy::unwrap_used)]

use eksfed_compiler::desired::compile::{compile, CompileInput, Facts, VarInputs};
use eksfed_compiler::desired::model::AccessMode;
use eksfed_compiler::iam::statement::{statements, Form, Principal, Statement};
use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::output::generate::{self, ClusterFacts, Snapshot};
use eksfed_compiler::plan::live;
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::review::access_model::{self, ClusterInfo, Piece};
use eksfed_compiler::review::security::policy::{self, Set};
use proptest::prelude::*;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

const ACCT: &str = "111122223333";
const HOST: &str = "oidc.eks.us-east-1.amazonaws.com/id/PROD";

fn pick(
    pool: &'static [&'static str],
    n: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(pool, n).prop_map(|v| v.iter().map(|s| s.to_string()).collect())
}

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:Get*",
    "*",
    "iam:PassRole",
    "iam:*",
    "ec2:RunInstances",
    "notanaction",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:iam::111122223333:role/app",
    "not-an-arn",
];
const KEYS: &[&str] = &[
    "aws:PrincipalTag/team",
    "iam:PassedToService",
    "aws:SourceAccount",
];
const VALUES: &[&str] = &["a", "b*", "111122223333"];

fn condition() -> impl Strategy<Value = Option<Json>> {
    proptest::option::of(
        (
            prop_oneof![
                Just("StringEquals"),
                Just("StringLike"),
                Just("StringNotEquals")
            ],
            pick(KEYS, 1..3),
            pick(VALUES, 1..3),
        )
            .prop_map(|(op, keys, vals)| {
                let kv: serde_json::Map<String, Json> =
                    keys.into_iter().map(|k| (k, json!(vals))).collect();
                json!({ op: kv })
            }),
    )
}

/// One statement of an identity policy, every value a list.
fn identity_statement() -> impl Strategy<Value = Json> {
    (
        any::<bool>(),
        proptest::option::of("[A-Z][a-z]{0,4}"),
        any::<bool>(),
        pick(ACTIONS, 1..4),
        any::<bool>(),
        pick(RESOURCES, 1..3),
        condition(),
    )
        .prop_map(
            |(allow, sid, not_action, actions, not_resource, resources, cond)| {
                let mut s = serde_json::Map::new();
                if let Some(sid) = sid {
                    s.insert("Sid".into(), json!(sid));
                }
                s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                let ak = if not_action { "NotAction" } else { "Action" };
                s.insert(ak.into(), json!(actions));
                let rk = if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                };
                s.insert(rk.into(), json!(resources));
                if let Some(c) = cond {
                    s.insert("Condition".into(), c);
                }
                Json::Object(s)
            },
        )
}

fn principal() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(json!("*")),
        Just(json!({"AWS": [format!("arn:aws:iam::{ACCT}:root")]})),
        Just(json!({"AWS": [ACCT, format!("arn:aws:iam::{ACCT}:role/ops")]})),
        Just(json!({"Federated": [format!("arn:aws:iam::{ACCT}:oidc-provider/{HOST}")]})),
        Just(json!({"Service": ["pods.eks.amazonaws.com"]})),
    ]
}

/// One statement of a trust policy, every value a list.
fn trust_statement() -> impl Strategy<Value = Json> {
    (
        any::<bool>(),
        principal(),
        pick(
            &[
                "sts:AssumeRole",
                "sts:AssumeRoleWithWebIdentity",
                "sts:TagSession",
                "sts:*",
            ],
            1..3,
        ),
        condition(),
    )
        .prop_map(|(allow, p, actions, cond)| {
            let mut s = json!({
                "Effect": if allow { "Allow" } else { "Deny" },
                "Principal": p,
                "Action": actions,
            });
            if let Some(c) = cond {
                s["Condition"] = c;
            }
            s
        })
}

fn document(st: impl Strategy<Value = Json>) -> impl Strategy<Value = Json> {
    proptest::collection::vec(st, 1..4)
        .prop_map(|st| json!({"Version": "2012-10-17", "Statement": st}))
}

/// A coin from `seed` (a linear congruential step).
fn coin(seed: &mut u64) -> bool {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 33) & 1 == 1
}

/// The same document in another form: lists of one written as their string where `seed`
/// says so, a single statement as an object.
fn forms(doc: &Json, seed: u64) -> Json {
    fn walk(v: &Json, seed: &mut u64) -> Json {
        match v {
            Json::Array(a) if a.len() == 1 && a[0].is_string() && coin(seed) => a[0].clone(),
            Json::Array(a) => Json::Array(a.iter().map(|x| walk(x, seed)).collect()),
            Json::Object(m) => {
                Json::Object(m.iter().map(|(k, x)| (k.clone(), walk(x, seed))).collect())
            }
            other => other.clone(),
        }
    }
    let mut seed = seed;
    let mut out = walk(doc, &mut seed);
    if let Some(Json::Array(a)) = out.get("Statement") {
        if a.len() == 1 && coin(&mut seed) {
            out["Statement"] = a[0].clone();
        }
    }
    out
}

/// Every list of the reader as JSON lists, one statement a list of one.
fn written(doc: &Json) -> Json {
    let st: Vec<Json> = statements(doc).iter().map(Statement::to_json).collect();
    json!({"Version": "2012-10-17", "Statement": st})
}

/// What the security review must see of a statement: allow, actions, resources, and the
/// conditions as (operator, key as written, values).
type SecurityView = (
    bool,
    Option<Set>,
    Option<Set>,
    Vec<(String, String, Vec<String>)>,
);

/// The security review's reading of a statement, as the reader gives it.
fn security_view(s: &Statement) -> SecurityView {
    let set = |pos: &Option<Vec<String>>, neg: &Option<Vec<String>>| match (pos, neg) {
        (Some(v), _) => Some(Set::Pos(v.clone())),
        (None, Some(v)) => Some(Set::Not(v.clone())),
        _ => None,
    };
    let conds = s
        .condition
        .iter()
        .flatten()
        .map(|c| (c.op.clone(), c.key.clone().unwrap(), c.values.clone()))
        .collect();
    (
        !s.is_deny(),
        set(&s.action, &s.not_action),
        set(&s.resource, &s.not_resource),
        conds,
    )
}

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("cannot read {path}"))
    }
}

/// JSON as an HCL expression (quoted keys, `=`).
fn hcl(v: &Json) -> String {
    match v {
        Json::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{} = {}", json!(k), hcl(x)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Json::Array(a) => format!("[{}]", a.iter().map(hcl).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// The lint diagnostics (code and message) of a stack with `doc` as a managed policy and an
/// inline policy, and each statement of `trust` as a `trust_statement`.
fn lints(doc: &Json, trust: &Json) -> Vec<(String, String)> {
    let trusts: String = policy_statements(trust)
        .iter()
        .map(|s| {
            format!(
                "  trust_statement {{ statement = jsonencode({}) }}\n",
                hcl(s)
            )
        })
        .collect();
    let text = format!(
        r#"stack "s" {{ account_id = "{ACCT}" }}
policy "p" {{
  name     = "p"
  document = jsonencode({d})
}}
role "r" {{
  name = "r"
{trusts}  inline_policy "i" {{
    document = jsonencode({d})
  }}
}}
"#,
        d = hcl(doc)
    );
    let c = compile(CompileInput {
        files: vec![("main.hcl".into(), text)],
        reader: &NoFiles,
        vars: VarInputs::default(),
        facts: Facts::default(),
    });
    // The stack itself is sound: only the checks speak.
    let language: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.code.starts_with('E'))
        .map(|d| c.sources.render(d))
        .collect();
    assert!(language.is_empty(), "{language:?}");
    let mut out: Vec<(String, String)> = c
        .diagnostics
        .iter()
        .map(|d| (d.code.clone(), d.message.clone()))
        .collect();
    out.sort();
    out
}

fn policy_statements(doc: &Json) -> Vec<Json> {
    match &doc["Statement"] {
        Json::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

fn role(trust: &Json, inline: &Json) -> RenderedKind {
    serde_json::from_value(json!({
        "type": "role", "name": "app", "path": "/", "description": "",
        "arn": format!("arn:aws:iam::{ACCT}:role/app"), "max_session_duration": 3600,
        "tags": {}, "trust_policy": trust, "policies": [], "inline_policies": {"i": inline}
    }))
    .unwrap()
}

/// The access model (as text) of the role trusted by `trust`, mapped as cluster admin.
fn access(trust: &Json, inline: &Json) -> String {
    let clusters = vec![ClusterInfo {
        label: "prod".into(),
        name: "prod".into(),
        issuer: Some(HOST.into()),
        access_mode: AccessMode::AwsAuth,
        arn: Some(format!("arn:aws:eks:us-east-1:{ACCT}:cluster/prod")),
    }];
    let access: RenderedKind = serde_json::from_value(json!({
        "type": "access", "cluster": "prod",
        "aws_auth": {"rolearn": format!("arn:aws:iam::{ACCT}:role/app"), "groups": ["system:masters"], "username": "app"}
    }))
    .unwrap();
    let pieces = vec![
        Piece {
            kind: role(trust, inline),
            managed: false,
        },
        Piece {
            kind: access,
            managed: false,
        },
    ];
    access_model::text(&access_model::build(&clusters, &pieces, &BTreeMap::new()))
}

/// `eksfed generate` over an account holding the role (trusted by the cluster's provider, so
/// the generator takes it) with `inline` as its inline policy.
fn generated(inline: &Json) -> String {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:oidc-provider/{HOST}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {format!("{HOST}:sub"): "system:serviceaccount:app:app"}}}]});
    let piece = role(&trust, inline);
    let key = eksfed_compiler::kinds::keys(&piece).remove(0);
    let s = Snapshot {
        stack: "s".into(),
        account_id: ACCT.into(),
        partition: "aws".into(),
        cluster: ClusterFacts {
            name: "prod".into(),
            region: "us-east-1".into(),
            issuer: format!("https://{HOST}"),
            authentication_mode: None,
            kube_context: None,
        },
        objects: vec![live::live_object(key, None, piece, BTreeMap::new())],
        aws_auth_owners: BTreeMap::new(),
    };
    let main = generate::generate(&s).main;
    assert!(main.contains("inline_policy \"i\""), "{main}");
    main
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_reader_reads_every_form_alike(doc in document(identity_statement()), trust in document(trust_statement()), seed in any::<u64>()) {
        for d in [&doc, &trust] {
            prop_assert_eq!(statements(&forms(d, seed)), statements(d));
            prop_assert!(statements(d).iter().all(|s| s.form == Form::Strings));
        }
    }

    #[test]
    fn the_reader_reads_what_it_writes(doc in document(identity_statement()), trust in document(trust_statement()), seed in any::<u64>()) {
        for d in [&doc, &trust] {
            let d = forms(d, seed);
            prop_assert_eq!(statements(&written(&d)), statements(&d));
            prop_assert_eq!(written(&written(&d)), written(&d));
        }
    }

    #[test]
    fn the_security_review_reads_the_readers_statements(doc in document(identity_statement()), trust in document(trust_statement()), seed in any::<u64>()) {
        for d in [&doc, &trust] {
            for as_after in [true, false] {
                let got = policy::parse(Some(d), as_after);
                prop_assert_eq!(&policy::parse(Some(&forms(d, seed)), as_after), &got);
                let read = statements(d);
                prop_assert_eq!(got.len(), read.len());
                for (g, r) in got.iter().zip(&read) {
                    let (allow, actions, resources, conds) = security_view(r);
                    prop_assert_eq!(g.allow, allow);
                    prop_assert_eq!(Some(&g.actions), actions.as_ref());
                    let everything = Set::Pos(vec!["*".into()]);
                    prop_assert_eq!(&g.resources, resources.as_ref().unwrap_or(&everything));
                    let shown: Vec<_> = g.conditions.iter().map(|c| (c.op.clone(), c.shown_key.clone(), c.values.clone())).collect();
                    prop_assert_eq!(shown, conds);
                    prop_assert_eq!(g.principal.is_some(), r.principal.is_some() || r.not_principal.is_some());
                    if let Some(Principal::Any) = r.principal {
                        prop_assert_eq!(g.principal.clone(), Some(Set::Pos(vec!["*".into()])));
                    }
                }
            }
        }
    }

    #[test]
    fn the_lints_read_every_form_alike(doc in document(identity_statement()), trust in document(trust_statement()), seed in any::<u64>()) {
        let got = lints(&doc, &trust);
        prop_assert_eq!(&lints(&forms(&doc, seed), &forms(&trust, seed)), &got);
        // IAM006 (Allow with NotAction/NotResource), from the reader, once per document.
        let from_reader = statements(&doc)
            .iter()
            .filter(|s| s.is_allow())
            .map(|s| usize::from(s.not_action.is_some()) + usize::from(s.not_resource.is_some()))
            .sum::<usize>();
        prop_assert_eq!(got.iter().filter(|(c, _)| c == "IAM006").count(), 2 * from_reader);
    }

    #[test]
    fn the_access_model_reads_every_form_alike(doc in document(identity_statement()), trust in document(trust_statement()), seed in any::<u64>()) {
        prop_assert_eq!(access(&forms(&trust, seed), &forms(&doc, seed)), access(&trust, &doc));
    }

    #[test]
    fn generate_reads_every_form_alike(doc in document(identity_statement()), seed in any::<u64>()) {
        prop_assert_eq!(generated(&forms(&doc, seed)), generated(&doc));
    }
}

/// The forms themselves differ (else the properties above would prove nothing).
#[test]
fn forms_change_the_text() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]});
    assert!((0..8).any(|seed| forms(&doc, seed) != doc));
    assert!((0..8).any(|seed| forms(&doc, seed)
        .get("Statement")
        .is_some_and(Json::is_object)));
}

/// The consumers' harnesses see the documents (else the properties would hold vacuously).
#[test]
fn the_harnesses_see_the_documents() {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": [format!("arn:aws:iam::{ACCT}:root")]}, "Action": ["sts:AssumeRole"],
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["a"]}}}]});
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "NotAction": ["s3:GetObject"], "Resource": ["*"]}]});
    let text = access(&trust, &doc);
    assert!(
        text.contains("aws:PrincipalTag/team=a") && text.contains("app: all but s3:GetObject on *"),
        "{text}"
    );
    assert!(generated(&doc).contains("not_actions"));
    assert_eq!(
        lints(&doc, &trust)
            .iter()
            .filter(|(c, _)| c == "IAM006")
            .count(),
        2
    );
}
