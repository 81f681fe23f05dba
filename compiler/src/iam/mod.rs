//! IAM policy documents: building them from statement blocks and trust blocks in the form the
//! AWS guides write, the canonical form used for comparison, and sizes as IAM counts them.

pub mod pattern;
pub mod statement;
pub mod well_known;

use crate::desired::model::Trust;
use crate::language::evblock::EvBlock;
use crate::language::value::Value;
use serde_json::{json, Map, Value as Json};

pub const VERSION: &str = "2012-10-17";

/// A single value as a string, several as a list (the way AWS writes documents).
pub fn one_or_many(v: &[String]) -> Json {
    if v.len() == 1 {
        Json::String(v[0].clone())
    } else {
        Json::Array(v.iter().cloned().map(Json::String).collect())
    }
}

pub fn document(statements: Vec<Json>) -> Json {
    json!({ "Version": VERSION, "Statement": statements })
}

/// One `statement { ... }` block as IAM JSON.
pub fn statement(b: &EvBlock) -> Json {
    let mut s = Map::new();
    if let Some(sid) = b.str("sid") {
        s.insert("Sid".into(), Json::String(sid));
    }
    s.insert(
        "Effect".into(),
        Json::String(b.str("effect").unwrap_or_else(|| "Allow".into())),
    );
    let mut principals = Map::new();
    if let Some(Value::Map(m)) = b.get("principals") {
        for (k, v) in m {
            principals.insert(k.clone(), v.to_json());
        }
    }
    for p in b.blocks_of("principals") {
        let t = p.str("type").unwrap_or_default();
        let ids = p.list("identifiers");
        if t == "*" {
            principals.clear();
            s.insert("Principal".into(), Json::String("*".into()));
            break;
        }
        principals.insert(t, one_or_many(&ids));
    }
    if !principals.is_empty() {
        s.insert("Principal".into(), Json::Object(principals));
    }
    for (attr, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        if b.get(attr).is_some() {
            s.insert(key.into(), one_or_many(&b.list(attr)));
        }
    }
    let mut cond: Map<String, Json> = Map::new();
    for c in b.blocks_of("condition") {
        let test = c.str("test").unwrap_or_default();
        let entry = cond.entry(test).or_insert_with(|| Json::Object(Map::new()));
        if let Json::Object(m) = entry {
            m.insert(
                c.str("variable").unwrap_or_default(),
                one_or_many(&c.list("values")),
            );
        }
    }
    if !cond.is_empty() {
        s.insert("Condition".into(), Json::Object(cond));
    }
    Json::Object(s)
}

fn has_wildcard(v: &str) -> bool {
    v.contains('*') || v.contains('?')
}

/// `StringEquals`, or `StringLike` for keys where any value holds a wildcard.
fn string_conditions(conds: &[(String, Vec<String>)]) -> Map<String, Json> {
    let mut equals = Map::new();
    let mut like = Map::new();
    for (k, vals) in conds {
        let target = if vals.iter().any(|v| has_wildcard(v)) {
            &mut like
        } else {
            &mut equals
        };
        target.insert(k.clone(), one_or_many(vals));
    }
    let mut out = Map::new();
    if !equals.is_empty() {
        out.insert("StringEquals".into(), Json::Object(equals));
    }
    if !like.is_empty() {
        out.insert("StringLike".into(), Json::Object(like));
    }
    out
}

/// The trust policy statement of one `trust_*` block, as the EKS and IAM guides write it.
pub fn trust_statement(t: &Trust) -> Json {
    match t {
        Trust::ServiceAccount {
            issuer,
            provider_arn,
            namespace,
            names,
            ..
        } => {
            let subs: Vec<String> = names
                .iter()
                .map(|n| format!("system:serviceaccount:{namespace}:{n}"))
                .collect();
            let conds =
                string_conditions(&[(format!("{issuer}:aud"), vec!["sts.amazonaws.com".into()])]);
            let mut conds = conds;
            let sub = string_conditions(&[(format!("{issuer}:sub"), subs)]);
            for (op, m) in sub {
                if let (Some(Json::Object(dst)), Json::Object(src)) = (conds.get_mut(&op), &m) {
                    dst.extend(src.clone());
                } else {
                    conds.insert(op, m);
                }
            }
            json!({
                "Effect": "Allow",
                "Principal": { "Federated": provider_arn },
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": conds,
            })
        }
        Trust::PodIdentity { conditions } => {
            let mut s = json!({
                "Sid": "AllowEksAuthToAssumeRoleForPodIdentity",
                "Effect": "Allow",
                "Principal": { "Service": "pods.eks.amazonaws.com" },
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            });
            if !conditions.is_empty() {
                let c: Vec<(String, Vec<String>)> = conditions
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                s["Condition"] = Json::Object(string_conditions(&c));
            }
            s
        }
        Trust::Saml { provider_arn, .. } => json!({
            "Effect": "Allow",
            "Principal": { "Federated": provider_arn },
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": { "StringEquals": { "SAML:aud": "https://signin.aws.amazon.com/saml" } },
        }),
        Trust::Oidc {
            provider_arn,
            conditions,
            ..
        } => {
            let mut s = json!({
                "Effect": "Allow",
                "Principal": { "Federated": provider_arn },
                "Action": "sts:AssumeRoleWithWebIdentity",
            });
            if !conditions.is_empty() {
                let c: Vec<(String, Vec<String>)> = conditions
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                s["Condition"] = Json::Object(string_conditions(&c));
            }
            s
        }
        Trust::Aws {
            principals,
            conditions,
        } => {
            let mut s = json!({
                "Effect": "Allow",
                "Principal": { "AWS": one_or_many(principals) },
                "Action": "sts:AssumeRole",
            });
            if !conditions.is_empty() {
                let c: Map<String, Json> = conditions
                    .iter()
                    .map(|(k, v)| (k.clone(), one_or_many(v)))
                    .collect();
                s["Condition"] = json!({ "StringEquals": c });
            }
            s
        }
        Trust::Raw { statement } => statement.clone(),
    }
}

/// Characters of a document as IAM counts them for quotas: white space not counted.
pub fn size(doc: &Json) -> usize {
    doc.to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

/// The canonical form of a policy document: what IAM considers the same document compares
/// equal. Statements sorted, value lists sorted and de-duplicated, one-element lists and
/// strings unified (always lists), condition values as strings, empty Sid dropped.
pub fn canonical(doc: &Json) -> Json {
    let mut out: Vec<Json> = statement::raw_statements(doc)
        .into_iter()
        .map(canonical_statement)
        .collect();
    out.sort_by_key(|s| s.to_string());
    out.dedup();
    let mut m = Map::new();
    m.insert(
        "Version".into(),
        doc.get("Version")
            .cloned()
            .unwrap_or(Json::String(VERSION.into())),
    );
    if let Some(id) = doc.get("Id") {
        m.insert("Id".into(), id.clone());
    }
    m.insert("Statement".into(), Json::Array(out));
    Json::Object(m)
}

fn string_list(v: &Json) -> Json {
    let mut items: Vec<String> = match v {
        Json::Array(a) => a.iter().map(scalar).collect(),
        other => vec![scalar(other)],
    };
    items.sort();
    items.dedup();
    Json::Array(items.into_iter().map(Json::String).collect())
}

fn scalar(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn canonical_statement(s: &Json) -> Json {
    let Json::Object(obj) = s else {
        return s.clone();
    };
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort();
    let mut m = Map::new();
    for k in keys {
        let v = &obj[k];
        let cv = match k.as_str() {
            "Sid" if v.as_str() == Some("") => continue,
            "Action" | "NotAction" | "Resource" | "NotResource" => string_list(v),
            "Principal" | "NotPrincipal" => match v {
                Json::Object(p) => {
                    let mut pk: Vec<&String> = p.keys().collect();
                    pk.sort();
                    Json::Object(
                        pk.into_iter()
                            .map(|k| (k.clone(), string_list(&p[k])))
                            .collect(),
                    )
                }
                other => other.clone(),
            },
            "Condition" => match v {
                Json::Object(ops) => {
                    let mut ok: Vec<&String> = ops.keys().collect();
                    ok.sort();
                    Json::Object(
                        ok.into_iter()
                            .map(|op| {
                                let inner = match &ops[op] {
                                    Json::Object(kv) => {
                                        let mut ks: Vec<&String> = kv.keys().collect();
                                        ks.sort();
                                        Json::Object(
                                            ks.into_iter()
                                                .map(|k| (k.clone(), string_list(&kv[k])))
                                                .collect(),
                                        )
                                    }
                                    other => other.clone(),
                                };
                                (op.clone(), inner)
                            })
                            .collect(),
                    )
                }
                other => other.clone(),
            },
            _ => v.clone(),
        };
        m.insert(k.clone(), cv);
    }
    Json::Object(m)
}

/// Decodes a policy document as IAM returns it: URL-encoded (AWS) or raw JSON (moto).
pub fn decode_document(s: &str) -> Option<Json> {
    let trimmed = s.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(v) = serde_json::from_str(trimmed) {
            return Some(v);
        }
    }
    let decoded = percent_decode(s)?;
    serde_json::from_str(&decoded).ok()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let h = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_ignores_order_and_list_forms() {
        let a = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:b", "s3:a"], "Resource": "*"},
            {"Sid": "", "Effect": "Deny", "Action": "s3:c", "Resource": ["x"]}]});
        let b = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Resource": "x", "Action": ["s3:c"]},
            {"Resource": ["*"], "Action": ["s3:a", "s3:b", "s3:a"], "Effect": "Allow"}]});
        assert_eq!(canonical(&a), canonical(&b));
        let c = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:a", "Resource": "*"}]});
        assert_ne!(canonical(&a), canonical(&c));
    }

    #[test]
    fn decodes_url_encoded_and_raw() {
        let raw = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert_eq!(
            decode_document(raw),
            decode_document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D")
        );
        assert!(decode_document("%7Bnot json").is_none());
    }

    #[test]
    fn size_skips_white_space() {
        assert_eq!(size(&json!({"a b": "c"})), "{\"ab\":\"c\"}".len());
    }
}
