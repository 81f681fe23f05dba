//! Property test of the security review's soundness: a small evaluator of the supported IAM
//! fragment (Allow/Deny, Action/NotAction, Resource/NotResource, StringEquals, StringLike,
//! StringNotEquals, StringEqualsIfExists), written apart from the code under test, runs every
//! request of a small request space against generated before/after documents. Whenever the
//! review says "does not broaden", no request may be allowed by after and denied by before.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::review::security::policy;
use proptest::prelude::*;
use serde_json::{json, Value as Json};

/// `*` any run, `?` one character.
fn glob(p: &[char], s: &[char]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some('*') => (0..=s.len()).any(|i| glob(&p[1..], &s[i..])),
        Some('?') => !s.is_empty() && glob(&p[1..], &s[1..]),
        Some(c) => s.first() == Some(c) && glob(&p[1..], &s[1..]),
    }
}

fn m(p: &str, s: &str, fold: bool) -> bool {
    let (p, s) = if fold {
        (p.to_lowercase(), s.to_lowercase())
    } else {
        (p.to_string(), s.to_string())
    };
    glob(
        &p.chars().collect::<Vec<_>>(),
        &s.chars().collect::<Vec<_>>(),
    )
}

fn list(v: &Json) -> Vec<String> {
    match v {
        Json::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
        Json::String(s) => vec![s.clone()],
        _ => vec![],
    }
}

struct Req<'a> {
    action: &'a str,
    resource: &'a str,
    k: Option<&'a str>,
}

fn stmt_matches(s: &Json, r: &Req) -> bool {
    let act = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), _) => list(a).iter().any(|p| m(p, r.action, true)),
        (None, Some(n)) => !list(n).iter().any(|p| m(p, r.action, true)),
        _ => false,
    };
    let res = match (s.get("Resource"), s.get("NotResource")) {
        (Some(a), _) => list(a).iter().any(|p| m(p, r.resource, false)),
        (None, Some(n)) => !list(n).iter().any(|p| m(p, r.resource, false)),
        _ => true,
    };
    let cond = s
        .get("Condition")
        .and_then(Json::as_object)
        .map(|ops| {
            ops.iter().all(|(op, kv)| {
                let vals = list(&kv["k"]);
                match (op.as_str(), r.k) {
                    ("StringEquals", Some(v)) => vals.iter().any(|x| x == v),
                    ("StringLike", Some(v)) => vals.iter().any(|x| m(x, v, false)),
                    ("StringNotEquals", Some(v)) => !vals.iter().any(|x| x == v),
                    ("StringEqualsIfExists", Some(v)) => vals.iter().any(|x| x == v),
                    ("StringNotEquals" | "StringEqualsIfExists", None) => true,
                    (_, None) => false,
                    _ => unreachable!(),
                }
            })
        })
        .unwrap_or(true);
    act && res && cond
}

fn allowed(doc: &Json, r: &Req) -> bool {
    let st = doc["Statement"].as_array().unwrap();
    let hit = |eff: &str| st.iter().any(|s| s["Effect"] == eff && stmt_matches(s, r));
    hit("Allow") && !hit("Deny")
}

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "s3:PutObject",
    "s3:?etObject",
    "S3:getobject",
    "*",
    "s3:*Object",
];
const RESOURCES: &[&str] = &[
    "arn:b/*",
    "arn:b/x",
    "arn:b/x/*",
    "arn:*",
    "arn:c/x",
    "*",
    "arn:b/?",
];
const OPS: &[&str] = &[
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringEqualsIfExists",
];
const VALUES: &[&str] = &["a", "b", "a*", "*", "?b"];

fn pick(from: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(proptest::sample::select(from), 1..3)
        .prop_map(|v| v.into_iter().map(str::to_string).collect())
}

fn statement() -> impl Strategy<Value = Json> {
    (
        proptest::bool::weighted(0.75),
        proptest::bool::weighted(0.8),
        pick(ACTIONS),
        proptest::bool::weighted(0.85),
        pick(RESOURCES),
        proptest::option::weighted(0.5, (proptest::sample::select(OPS), pick(VALUES))),
    )
        .prop_map(|(allow, pos_a, actions, pos_r, resources, cond)| {
            let mut s = serde_json::Map::new();
            s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
            s.insert(
                if pos_a { "Action" } else { "NotAction" }.into(),
                json!(actions),
            );
            s.insert(
                if pos_r { "Resource" } else { "NotResource" }.into(),
                json!(resources),
            );
            if let Some((op, vals)) = cond {
                s.insert("Condition".into(), json!({ op: { "k": vals } }));
            }
            Json::Object(s)
        })
}

fn document() -> impl Strategy<Value = Json> {
    proptest::collection::vec(statement(), 0..4).prop_map(|s| json!({ "Statement": s }))
}

/// A document and a variant of it (some statements dropped, one edited, reordered): close
/// pairs exercise the "does not broaden" answers far more than two unrelated documents.
fn pair() -> impl Strategy<Value = (Json, Json)> {
    (document(), document(), proptest::bool::ANY, any::<u64>()).prop_map(|(a, b, related, seed)| {
        if !related {
            return (a, b);
        }
        let mut st = a["Statement"].as_array().unwrap().clone();
        if !st.is_empty() {
            let i = (seed as usize) % st.len();
            match seed % 4 {
                0 => {
                    st.remove(i);
                }
                1 => st.extend(b["Statement"].as_array().unwrap().iter().take(1).cloned()),
                2 => {
                    st.reverse();
                }
                _ => {
                    if let Some(x) = b["Statement"].as_array().unwrap().first() {
                        st[i] = x.clone();
                    }
                }
            }
        }
        (a, json!({ "Statement": st }))
    })
}

const REQ_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:getobject",
    "s3:PutObject",
    "s3:GetBucket",
    "s3:xetObject",
    "iam:PassRole",
    "s3:Object",
];
const REQ_RESOURCES: &[&str] = &[
    "arn:b/x",
    "arn:b/x/y",
    "arn:b/",
    "arn:c/x",
    "arn:b/*",
    "other",
    "arn:b/y",
];
const REQ_K: &[Option<&str>] = &[
    None,
    Some("a"),
    Some("b"),
    Some("ab"),
    Some("*"),
    Some("bb"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn not_broadens_means_no_new_request((before, after) in pair()) {
        let delta = policy::compare(Some(&before), Some(&after));
        if !delta.broadens() {
            for action in REQ_ACTIONS {
                for resource in REQ_RESOURCES {
                    for k in REQ_K {
                        let r = Req { action, resource, k: *k };
                        prop_assert!(
                            !allowed(&after, &r) || allowed(&before, &r),
                            "review says not broadens, but {action} on {resource} with k={k:?} is new\nbefore: {before}\nafter: {after}"
                        );
                    }
                }
            }
        }
    }

    /// The same document, reordered and with strings as one-element lists, never broadens.
    #[test]
    fn a_document_does_not_broaden_itself(doc in document()) {
        let mut st = doc["Statement"].as_array().unwrap().clone();
        st.reverse();
        let other = json!({ "Statement": st });
        prop_assert!(!policy::compare(Some(&doc), Some(&other)).broadens(), "{doc}");
    }
}

/// The property above is not vacuous: a good share of the generated pairs are ones the review
/// proves do not broaden (and each of those is checked request by request too).
#[test]
fn many_generated_pairs_are_proved_not_to_broaden() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = pair();
    let mut proved = 0;
    let mut narrows_only = 0;
    for _ in 0..2000 {
        let (before, after) = strategy.new_tree(&mut runner).unwrap().current();
        let delta = policy::compare(Some(&before), Some(&after));
        if delta.broadens() {
            continue;
        }
        proved += 1;
        if !delta.lost_allows.is_empty() || !delta.new_denies.is_empty() {
            narrows_only += 1;
        }
        for action in REQ_ACTIONS {
            for resource in REQ_RESOURCES {
                for k in REQ_K {
                    let r = Req {
                        action,
                        resource,
                        k: *k,
                    };
                    assert!(
                        !allowed(&after, &r) || allowed(&before, &r),
                        "{before} {after}"
                    );
                }
            }
        }
    }
    eprintln!("{proved} proved, {narrows_only} narrowing");
    assert!(proved > 400, "only {proved} of 2000 proved");
    assert!(narrows_only > 100, "only {narrows_only} narrowing pairs");
}
