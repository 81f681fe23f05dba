//! The one reader of a policy document's statements. `Statement` may be one object or a list;
//! `Action`, `Resource`, their `Not` forms and every principal and condition value may be one
//! string or a list. Every stage that looks inside a statement (lints, the security review,
//! the access model, `eksfed generate`) reads it here, so they cannot disagree about what a
//! statement says; what each then makes of it (an Allow that names no action, a principal
//! written by account id) is theirs.
//!
//! Values are read as strings: a list's items in order, nested lists flattened, `null` items
//! skipped, numbers and booleans as their JSON text (IAM takes `true` and `"true"` alike in
//! conditions). Where the JSON held anything but strings, [`Statement::form`] says so, for the
//! consumers that must reproduce the statement exactly.

use serde_json::{Map, Value as Json};

/// One statement of a policy document, read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Statement {
    /// `Sid` when it is a string (an empty one included).
    pub sid: Option<String>,
    /// `Effect` when it is a string: `Allow`, `Deny`, or what was written.
    pub effect: Option<String>,
    pub principal: Option<Principal>,
    pub not_principal: Option<Principal>,
    pub action: Option<Vec<String>>,
    pub not_action: Option<Vec<String>>,
    pub resource: Option<Vec<String>>,
    pub not_resource: Option<Vec<String>>,
    /// `Condition` when written (even empty): one entry per operator and key, in order.
    pub condition: Option<Vec<Condition>>,
    /// Keys the reader does not know, in order.
    pub other_keys: Vec<String>,
    /// What kinds of JSON values the statement held.
    pub form: Form,
}

/// A `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    /// `"*"`.
    Any,
    /// `{"AWS": [...], "Federated": ..., "Service": ...}`: values by type, in order.
    Typed(Vec<(String, Vec<String>)>),
    /// A string other than `"*"`, or a list: no type (IAM rejects it).
    Bare(Vec<String>),
}

impl Principal {
    /// The values of one type (`AWS`, `Federated`, `Service`); none for `*` and bare values.
    pub fn of(&self, ty: &str) -> Vec<String> {
        match self {
            Principal::Typed(m) => m
                .iter()
                .filter(|(t, _)| t == ty)
                .flat_map(|(_, v)| v.iter().cloned())
                .collect(),
            _ => vec![],
        }
    }
}

/// One condition entry: `{"OP": {"KEY": VALUES}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub op: String,
    /// `None` when the operator's value is not an object of keys.
    pub key: Option<String>,
    pub values: Vec<String>,
}

/// The JSON values a statement held, from the most regular.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Form {
    /// Every value a string or a list of strings.
    #[default]
    Strings,
    /// Condition values include numbers or booleans; everything else strings.
    Scalars,
    /// Something else: `null`, objects or nested lists where values go, a non-string `Sid`
    /// or `Effect`, a `Principal` or `Condition` of another shape.
    Other,
}

impl Statement {
    /// Reads one statement (an object; anything else reads as an empty statement of form
    /// `Other`).
    pub fn read(v: &Json) -> Statement {
        let mut s = Statement::default();
        let Json::Object(obj) = v else {
            s.form = Form::Other;
            return s;
        };
        for (k, v) in obj {
            match k.as_str() {
                "Sid" => s.sid = s.text(v),
                "Effect" => s.effect = s.text(v),
                "Principal" => s.principal = Some(s.principal(v)),
                "NotPrincipal" => s.not_principal = Some(s.principal(v)),
                "Action" => s.action = Some(s.list(v)),
                "NotAction" => s.not_action = Some(s.list(v)),
                "Resource" => s.resource = Some(s.list(v)),
                "NotResource" => s.not_resource = Some(s.list(v)),
                "Condition" => s.condition = Some(s.conditions(v)),
                _ => s.other_keys.push(k.clone()),
            }
        }
        s
    }

    /// `Action`'s values (none when the statement has `NotAction` or neither).
    pub fn actions(&self) -> &[String] {
        self.action.as_deref().unwrap_or_default()
    }

    /// `Resource`'s values (none when the statement has `NotResource` or neither).
    pub fn resources(&self) -> &[String] {
        self.resource.as_deref().unwrap_or_default()
    }

    /// `Effect` is `Allow`.
    pub fn is_allow(&self) -> bool {
        self.effect.as_deref() == Some("Allow")
    }

    /// `Effect` is `Deny`.
    pub fn is_deny(&self) -> bool {
        self.effect.as_deref() == Some("Deny")
    }

    /// The statement as JSON in the reader's form: every value list a list of strings, keys
    /// in IAM's order. Reading it again gives the same statement, but for its `form` and
    /// `other_keys` (not written).
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        let strings = |v: &[String]| Json::Array(v.iter().cloned().map(Json::String).collect());
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), Json::String(sid.clone()));
        }
        if let Some(e) = &self.effect {
            m.insert("Effect".into(), Json::String(e.clone()));
        }
        for (key, p) in [
            ("Principal", &self.principal),
            ("NotPrincipal", &self.not_principal),
        ] {
            let Some(p) = p else { continue };
            let v = match p {
                Principal::Any => Json::String("*".into()),
                Principal::Typed(t) => {
                    Json::Object(t.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
                }
                Principal::Bare(v) => strings(v),
            };
            m.insert(key.into(), v);
        }
        for (key, v) in [
            ("Action", &self.action),
            ("NotAction", &self.not_action),
            ("Resource", &self.resource),
            ("NotResource", &self.not_resource),
        ] {
            if let Some(v) = v {
                m.insert(key.into(), strings(v));
            }
        }
        if let Some(cs) = &self.condition {
            let mut ops = Map::new();
            for c in cs {
                let entry = ops
                    .entry(c.op.clone())
                    .or_insert_with(|| Json::Object(Map::new()));
                if let (Json::Object(kv), Some(k)) = (entry, &c.key) {
                    kv.insert(k.clone(), strings(&c.values));
                }
            }
            m.insert("Condition".into(), Json::Object(ops));
        }
        Json::Object(m)
    }

    fn at_least(&mut self, f: Form) {
        self.form = self.form.max(f);
    }

    fn text(&mut self, v: &Json) -> Option<String> {
        match v {
            Json::String(s) => Some(s.clone()),
            _ => {
                self.at_least(Form::Other);
                None
            }
        }
    }

    /// A string-or-list value as strings.
    fn list(&mut self, v: &Json) -> Vec<String> {
        let mut out = vec![];
        let top = values(v, &mut out);
        self.at_least(top);
        out
    }

    fn principal(&mut self, v: &Json) -> Principal {
        match v {
            Json::String(s) if s == "*" => Principal::Any,
            Json::Object(m) => Principal::Typed(
                m.iter()
                    .map(|(ty, ids)| (ty.clone(), self.list(ids)))
                    .collect(),
            ),
            other => {
                self.at_least(Form::Other);
                Principal::Bare(self.list(other))
            }
        }
    }

    fn conditions(&mut self, v: &Json) -> Vec<Condition> {
        let Json::Object(ops) = v else {
            self.at_least(Form::Other);
            return vec![];
        };
        let mut out = vec![];
        for (op, kv) in ops {
            let Json::Object(kv) = kv else {
                self.at_least(Form::Other);
                out.push(Condition {
                    op: op.clone(),
                    key: None,
                    values: vec![],
                });
                continue;
            };
            for (k, vals) in kv {
                let mut values = vec![];
                let f = scalars(vals, &mut values);
                self.at_least(f);
                out.push(Condition {
                    op: op.clone(),
                    key: Some(k.clone()),
                    values,
                });
            }
        }
        out
    }
}

/// Appends `v`'s values to `out`; the form they had (a number or boolean is `Other` here:
/// only condition values may be scalars).
fn values(v: &Json, out: &mut Vec<String>) -> Form {
    match scalars(v, out) {
        Form::Scalars => Form::Other,
        f => f,
    }
}

/// Appends `v`'s values to `out` (strings; numbers and booleans as their JSON text; lists
/// flattened; `null` skipped); the form they had.
fn scalars(v: &Json, out: &mut Vec<String>) -> Form {
    match v {
        Json::String(s) => {
            out.push(s.clone());
            Form::Strings
        }
        Json::Array(a) => a
            .iter()
            .map(|x| match x {
                Json::Array(_) => {
                    scalars(x, out);
                    Form::Other
                }
                _ => scalars(x, out),
            })
            .max()
            .unwrap_or(Form::Strings),
        Json::Bool(_) | Json::Number(_) => {
            out.push(v.to_string());
            Form::Scalars
        }
        Json::Null => Form::Other,
        Json::Object(_) => {
            out.push(v.to_string());
            Form::Other
        }
    }
}

/// A document's statements as JSON, whatever form `Statement` has (one object is a list of
/// one; anything else is none). For the consumers that keep a statement as written.
pub fn raw_statements(doc: &Json) -> Vec<&Json> {
    match doc.get("Statement") {
        Some(Json::Array(a)) => a.iter().collect(),
        Some(s @ Json::Object(_)) => vec![s],
        _ => vec![],
    }
}

/// A document's statements, read.
pub fn statements(doc: &Json) -> Vec<Statement> {
    raw_statements(doc)
        .into_iter()
        .map(Statement::read)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn string_and_list_forms_read_the_same() {
        let one = json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Principal": {"AWS": "arn:aws:iam::1:root"}, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}});
        let many = json!({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"],
            "Principal": {"AWS": ["arn:aws:iam::1:root"]}, "Condition": {"Bool": {"aws:SecureTransport": ["true"]}}}]});
        assert_eq!(statements(&one), statements(&many));
        assert_eq!(statements(&one)[0].form, Form::Strings);
    }

    #[test]
    fn odd_values_are_flagged() {
        let s = Statement::read(&json!({"Effect": "Deny", "Action": ["a", null, ["b"]],
            "Condition": {"NumericLessThan": {"k": 300}}}));
        assert_eq!(s.action, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(s.form, Form::Other);
        let s = Statement::read(&json!({"Condition": {"NumericLessThan": {"k": 300}}, "Extra": 1}));
        assert_eq!(s.form, Form::Scalars);
        assert_eq!(s.other_keys, vec!["Extra".to_string()]);
        assert_eq!(s.condition.unwrap()[0].values, vec!["300".to_string()]);
        assert!(Statement::read(&json!({"Principal": "x"})).form == Form::Other);
    }

    #[test]
    fn written_statement_reads_back() {
        let s = Statement::read(
            &json!({"Sid": "A", "Effect": "Allow", "NotPrincipal": {"AWS": "1"},
            "NotAction": "s3:*", "NotResource": ["x", "y"], "Condition": {"StringLike": {"k": "v*"}}}),
        );
        assert_eq!(Statement::read(&s.to_json()), s);
        assert_eq!(
            s.not_principal.as_ref().unwrap().of("AWS"),
            vec!["1".to_string()]
        );
    }
}
