//! IAM condition operators, evaluated the way IAM does (IAM user guide: condition operators,
//! multivalued context keys, policy evaluation logic), in three values: a clause holds, does
//! not, or cannot be decided from what is known. Every operator of the reference is read:
//! the string, numeric, date, `Bool`, `BinaryEquals`, IP address and ARN families, their
//! negations, `...IfExists`, `ForAnyValue:`/`ForAllValues:` and `Null`. What is undecidable —
//! a policy variable in a value, a value that does not parse, a key whose value nobody knows —
//! is `Maybe`, with the reason, and never turned into a yes or a no.
//!
//! A key is present with values, known to be missing, or unknown ([`Fact`]). A missing key
//! fails the positive operators and holds for the negated ones and `...IfExists`;
//! `ForAllValues:` holds on it and `ForAnyValue:` fails.

use crate::iam::statement;
use std::cmp::Ordering;
use std::net::IpAddr;

/// A three-valued answer: `No < Maybe < Yes`, so `and` is the minimum and `or` the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Answer {
    No,
    Maybe,
    Yes,
}

impl Answer {
    pub fn of(b: bool) -> Answer {
        if b {
            Answer::Yes
        } else {
            Answer::No
        }
    }
}

impl std::ops::Not for Answer {
    type Output = Answer;
    fn not(self) -> Answer {
        match self {
            Answer::No => Answer::Yes,
            Answer::Maybe => Answer::Maybe,
            Answer::Yes => Answer::No,
        }
    }
}

/// An answer with, when it is `Maybe`, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub answer: Answer,
    pub why: Option<String>,
}

impl std::ops::Not for Verdict {
    type Output = Verdict;
    fn not(self) -> Verdict {
        Verdict {
            answer: !self.answer,
            why: self.why,
        }
    }
}

impl Verdict {
    pub fn yes() -> Verdict {
        Verdict::of(true)
    }
    pub fn no() -> Verdict {
        Verdict::of(false)
    }
    pub fn of(b: bool) -> Verdict {
        Verdict {
            answer: Answer::of(b),
            why: None,
        }
    }
    pub fn maybe(why: impl Into<String>) -> Verdict {
        Verdict {
            answer: Answer::Maybe,
            why: Some(why.into()),
        }
    }
    /// Kleene AND; a `Maybe` result keeps the reason of a `Maybe` operand.
    pub fn and(self, other: Verdict) -> Verdict {
        match (self.answer, other.answer) {
            (Answer::No, _) => self,
            (_, Answer::No) => other,
            (Answer::Maybe, _) => self,
            _ => other,
        }
    }
    /// Kleene OR.
    pub fn or(self, other: Verdict) -> Verdict {
        match (self.answer, other.answer) {
            (Answer::Yes, _) => self,
            (_, Answer::Yes) => other,
            (Answer::Maybe, _) => self,
            _ => other,
        }
    }
    pub fn all(items: impl IntoIterator<Item = Verdict>) -> Verdict {
        items.into_iter().fold(Verdict::yes(), Verdict::and)
    }
    pub fn any(items: impl IntoIterator<Item = Verdict>) -> Verdict {
        items.into_iter().fold(Verdict::no(), Verdict::or)
    }
}

/// What a request carries for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Values(Vec<String>),
    Missing,
    /// Present or not, with a value nobody here knows: why.
    Unknown(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    Single,
    ForAnyValue,
    ForAllValues,
}

/// The family of an operator: how a value is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    /// `ArnEquals` and `ArnLike` are the same test: each of the six parts a glob.
    Arn,
    Null,
}

/// The comparison of the numeric and date families; `Eq` for every other family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub set: SetOp,
    pub kind: Kind,
    pub cmp: Cmp,
    pub negated: bool,
    pub if_exists: bool,
}

impl Operator {
    /// Reads an operator name as IAM writes it (`ForAnyValue:StringNotLikeIfExists`); the base
    /// name is matched ignoring case, as the simulator does.
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = match name.split_once(':') {
            Some((s, r)) if s.eq_ignore_ascii_case("ForAnyValue") => (SetOp::ForAnyValue, r),
            Some((s, r)) if s.eq_ignore_ascii_case("ForAllValues") => (SetOp::ForAllValues, r),
            Some(_) => return None,
            None => (SetOp::Single, name),
        };
        let lower = rest.to_ascii_lowercase();
        let (base, if_exists) = match lower.strip_suffix("ifexists") {
            Some(b) => (b.to_string(), true),
            None => (lower, false),
        };
        let (kind, cmp, negated) = match base.as_str() {
            "stringequals" => (Kind::String, Cmp::Eq, false),
            "stringnotequals" => (Kind::String, Cmp::Eq, true),
            "stringequalsignorecase" => (Kind::StringIgnoreCase, Cmp::Eq, false),
            "stringnotequalsignorecase" => (Kind::StringIgnoreCase, Cmp::Eq, true),
            "stringlike" => (Kind::StringLike, Cmp::Eq, false),
            "stringnotlike" => (Kind::StringLike, Cmp::Eq, true),
            "numericequals" => (Kind::Numeric, Cmp::Eq, false),
            "numericnotequals" => (Kind::Numeric, Cmp::Eq, true),
            "numericlessthan" => (Kind::Numeric, Cmp::Lt, false),
            "numericlessthanequals" => (Kind::Numeric, Cmp::Le, false),
            "numericgreaterthan" => (Kind::Numeric, Cmp::Gt, false),
            "numericgreaterthanequals" => (Kind::Numeric, Cmp::Ge, false),
            "dateequals" => (Kind::Date, Cmp::Eq, false),
            "datenotequals" => (Kind::Date, Cmp::Eq, true),
            "datelessthan" => (Kind::Date, Cmp::Lt, false),
            "datelessthanequals" => (Kind::Date, Cmp::Le, false),
            "dategreaterthan" => (Kind::Date, Cmp::Gt, false),
            "dategreaterthanequals" => (Kind::Date, Cmp::Ge, false),
            "bool" => (Kind::Bool, Cmp::Eq, false),
            "binaryequals" => (Kind::Binary, Cmp::Eq, false),
            "ipaddress" => (Kind::Ip, Cmp::Eq, false),
            "notipaddress" => (Kind::Ip, Cmp::Eq, true),
            "arnequals" | "arnlike" => (Kind::Arn, Cmp::Eq, false),
            "arnnotequals" | "arnnotlike" => (Kind::Arn, Cmp::Eq, true),
            "null" if !if_exists && set == SetOp::Single => (Kind::Null, Cmp::Eq, false),
            _ => return None,
        };
        Some(Operator {
            set,
            kind,
            cmp,
            negated,
            if_exists,
        })
    }

    /// The operator that holds exactly where this one does not, when IAM has one (a missing
    /// key included): the equality families and their negations, and `Null`.
    pub fn inverse(self) -> Option<Operator> {
        if self.set != SetOp::Single || self.if_exists || self.cmp != Cmp::Eq {
            return None;
        }
        match self.kind {
            Kind::Bool | Kind::Binary | Kind::Null => None,
            _ => Some(Operator {
                negated: !self.negated,
                ..self
            }),
        }
    }
}

/// One condition: operator, key, values (IAM ORs the values of a positive operator and NORs
/// those of a negated one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// The operator as written.
    pub name: String,
    /// `None`: not an operator of the IAM reference.
    pub op: Option<Operator>,
    pub key: String,
    pub values: Vec<String>,
}

/// One condition entry of a statement as a clause; an operator whose value is not an object
/// of keys is a clause with no key (it decides nothing).
pub fn clause(c: &statement::Condition) -> Clause {
    match &c.key {
        Some(key) => Clause {
            name: c.op.clone(),
            op: Operator::parse(&c.op),
            key: key.clone(),
            values: c.values.clone(),
        },
        None => Clause {
            name: c.op.clone(),
            op: None,
            key: String::new(),
            values: vec![],
        },
    }
}

/// Whether a clause holds for a request, given what is known of each key.
pub fn holds(c: &Clause, fact: &dyn Fn(&str) -> Fact) -> Verdict {
    let Some(op) = c.op else {
        return Verdict::maybe(format!(
            "{} is not a condition operator eksfed knows",
            c.name
        ));
    };
    if let Some(v) = c.values.iter().find(|v| has_variable(v)) {
        return Verdict::maybe(format!(
            "{} in a condition value is a policy variable, not evaluated",
            variable_of(v)
        ));
    }
    let fact = fact(&c.key);
    if op.kind == Kind::Null {
        return match fact {
            Fact::Unknown(why) => Verdict::maybe(why),
            f => {
                let want = if f == Fact::Missing { "true" } else { "false" };
                Verdict::of(c.values.iter().any(|v| v.eq_ignore_ascii_case(want)))
            }
        };
    }
    match fact {
        Fact::Unknown(why) => Verdict::maybe(why),
        Fact::Missing => match op.set {
            SetOp::ForAllValues => Verdict::yes(),
            SetOp::ForAnyValue if op.if_exists => Verdict::maybe(format!(
                "{} on a missing key: IAM's documentation and its simulator differ",
                c.name
            )),
            SetOp::ForAnyValue => Verdict::no(),
            SetOp::Single => Verdict::of(op.if_exists || op.negated),
        },
        Fact::Values(vs) => {
            let one = |v: &str| {
                let m = Verdict::any(c.values.iter().map(|p| test(op, p, v)));
                if op.negated {
                    !m
                } else {
                    m
                }
            };
            match op.set {
                SetOp::Single if vs.len() != 1 => Verdict::maybe(format!(
                    "{} has several values and {} takes one (no ForAnyValue/ForAllValues)",
                    c.key, c.name
                )),
                SetOp::Single => one(&vs[0]),
                SetOp::ForAnyValue => Verdict::any(vs.iter().map(|v| one(v))),
                SetOp::ForAllValues => Verdict::all(vs.iter().map(|v| one(v))),
            }
        }
    }
}

/// The positive test of one policy value against one request value.
fn test(op: Operator, policy: &str, value: &str) -> Verdict {
    let bad = |what: &str, v: &str| Verdict::maybe(format!("`{v}` is not a valid {what}"));
    match op.kind {
        Kind::String => Verdict::of(unescape(policy) == value),
        Kind::StringIgnoreCase => {
            Verdict::of(unescape(policy).to_lowercase() == value.to_lowercase())
        }
        Kind::StringLike => Verdict::of(like(policy, value)),
        Kind::Numeric => match (number(policy), number(value)) {
            (Some(p), Some(v)) => compare(op.cmp, v.partial_cmp(&p)),
            (None, _) => bad("number", policy),
            (_, None) => bad("number", value),
        },
        Kind::Date => match (date(policy), date(value)) {
            (Some(p), Some(v)) => compare(op.cmp, Some(v.cmp(&p))),
            (None, _) => bad("date", policy),
            (_, None) => bad("date", value),
        },
        Kind::Bool => match (boolean(policy), boolean(value)) {
            (Some(p), Some(v)) => Verdict::of(p == v),
            (None, _) => bad("boolean", policy),
            (_, None) => bad("boolean", value),
        },
        Kind::Binary => Verdict::of(policy == value),
        Kind::Ip => match (cidr(policy), value.parse::<IpAddr>()) {
            (Some(net), Ok(ip)) => Verdict::of(in_cidr(net, ip)),
            (None, _) => bad("CIDR", policy),
            (_, Err(_)) => bad("IP address", value),
        },
        Kind::Arn => arn_like(policy, value),
        Kind::Null => Verdict::no(),
    }
}

fn compare(cmp: Cmp, o: Option<Ordering>) -> Verdict {
    let Some(o) = o else {
        return Verdict::maybe("numbers that do not compare");
    };
    Verdict::of(match cmp {
        Cmp::Eq => o == Ordering::Equal,
        Cmp::Lt => o == Ordering::Less,
        Cmp::Le => o != Ordering::Greater,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::Ge => o != Ordering::Less,
    })
}

/// `${...}` other than IAM's escapes `${*}`, `${?}`, `${$}`.
pub fn has_variable(v: &str) -> bool {
    let mut rest = v;
    while let Some(i) = rest.find("${") {
        let tail = &rest[i + 2..];
        match tail.find('}') {
            Some(j) if !matches!(&tail[..j], "*" | "?" | "$") => return true,
            Some(j) => rest = &tail[j + 1..],
            None => return false,
        }
    }
    false
}

fn variable_of(v: &str) -> String {
    let i = v.find("${").unwrap_or(0);
    let j = v[i..].find('}').map(|j| i + j + 1).unwrap_or(v.len());
    v[i..j].to_string()
}

/// A value with IAM's escapes read as the characters they stand for.
fn unescape(v: &str) -> String {
    v.replace("${*}", "*")
        .replace("${?}", "?")
        .replace("${$}", "$")
}

/// `StringLike`: whether `value` matches `pattern`.
/// `*` any run (`/` and `:` included), `?` one character; `${*}`, `${?}` and `${$}` are the
/// literal characters (values holding a policy variable are decided before: "may admit").
pub fn like(pattern: &str, value: &str) -> bool {
    crate::iam::pattern::matches(pattern, value, false)
}

/// `ArnLike`/`ArnEquals`: the six colon-separated parts compared one by one, each a glob
/// (the last, the resource, keeps its own colons).
fn arn_like(policy: &str, value: &str) -> Verdict {
    let parts = |s: &str| -> Option<Vec<String>> {
        let v: Vec<&str> = s.splitn(6, ':').collect();
        (v.len() == 6 && v[0] == "arn").then(|| v.iter().map(|x| x.to_string()).collect())
    };
    match (parts(policy), parts(value)) {
        (Some(p), Some(v)) => Verdict::of(p.iter().zip(&v).all(|(p, v)| like(p, v))),
        (None, _) => Verdict::maybe(format!("`{policy}` is not a valid ARN")),
        (_, None) => Verdict::maybe(format!("`{value}` is not a valid ARN")),
    }
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

fn boolean(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// An IAM date (ISO 8601: `2030-01-01`, `2030-01-01T00:00:00Z`, with fractions or an offset)
/// or epoch seconds, as milliseconds since the epoch.
pub fn date(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok().map(|secs| secs * 1000);
    }
    let num = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (day, time) = match s.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut d = day.split('-');
    let (y, m, dd) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&dd) {
        return None;
    }
    let mut ms = days_from_civil(y, m, dd) * 86_400_000;
    if let Some(t) = time {
        let (clock, offset) = match t.find(['Z', 'z', '+', '-']) {
            Some(i) => (&t[..i], &t[i..]),
            None => (t, ""),
        };
        let (hms, frac) = match clock.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (clock, None),
        };
        let mut parts = hms.split(':');
        let h = num(parts.next()?)?;
        let mi = parts.next().map(num).unwrap_or(Some(0))?;
        let sec = parts.next().map(num).unwrap_or(Some(0))?;
        if parts.next().is_some() || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        ms += ((h * 60 + mi) * 60 + sec) * 1000;
        if let Some(f) = frac {
            let digits = num(f)?;
            let scale = 10i64.checked_pow(u32::try_from(f.len()).ok()?)?;
            ms += digits * 1000 / scale;
        }
        match offset {
            "" | "Z" | "z" => {}
            o => {
                let sign = if o.starts_with('-') { -1 } else { 1 };
                let (oh, om) = o[1..].split_once(':').unwrap_or((&o[1..], "0"));
                ms -= sign * (num(oh)? * 60 + num(om)?) * 60_000;
            }
        }
    }
    Some(ms)
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A CIDR block (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a /32 or /128).
fn cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip: IpAddr = addr.trim().parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then_some((ip, len))
}

fn in_cidr((net, len): (IpAddr, u8), ip: IpAddr) -> bool {
    let bits = |a: IpAddr| -> (u128, u32) {
        match a {
            IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
            IpAddr::V6(v) => (u128::from(v), 128),
        }
    };
    let ((n, w), (i, w2)) = (bits(net), bits(ip));
    if w != w2 {
        return false;
    }
    let shift = w - u32::from(len);
    shift >= w || (n >> shift) == (i >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(op: &str, key: &str, values: &[&str]) -> Clause {
        Clause {
            name: op.into(),
            op: Operator::parse(op),
            key: key.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn with(values: &[&str]) -> impl Fn(&str) -> Fact {
        let v: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        move |_| Fact::Values(v.clone())
    }

    fn missing(_: &str) -> Fact {
        Fact::Missing
    }

    #[test]
    fn negated_operators_nor_their_values_and_hold_on_a_missing_key() {
        let c = clause("StringNotEquals", "k", &["a", "b"]);
        assert_eq!(holds(&c, &with(&["a"])).answer, Answer::No);
        assert_eq!(holds(&c, &with(&["b"])).answer, Answer::No);
        assert_eq!(holds(&c, &with(&["c"])).answer, Answer::Yes);
        assert_eq!(holds(&c, &missing).answer, Answer::Yes);
        let c = clause(
            "StringNotLike",
            "k",
            &["system:serviceaccount:kube-system:*"],
        );
        assert_eq!(
            holds(&c, &with(&["system:serviceaccount:kube-system:x"])).answer,
            Answer::No
        );
        assert_eq!(
            holds(&c, &with(&["system:serviceaccount:apps:x"])).answer,
            Answer::Yes
        );
        let c = clause("StringEquals", "k", &["a"]);
        assert_eq!(holds(&c, &missing).answer, Answer::No);
        let c = clause("StringEqualsIfExists", "k", &["a"]);
        assert_eq!(holds(&c, &missing).answer, Answer::Yes);
        assert_eq!(holds(&c, &with(&["b"])).answer, Answer::No);
    }

    #[test]
    fn set_operators_null_and_unknown_keys() {
        let any = clause("ForAnyValue:StringLike", "amr", &["authenticated"]);
        assert_eq!(
            holds(&any, &with(&["x", "authenticated"])).answer,
            Answer::Yes
        );
        assert_eq!(holds(&any, &missing).answer, Answer::No);
        let all = clause("ForAllValues:StringEquals", "t", &["a", "b"]);
        assert_eq!(holds(&all, &with(&["a", "b"])).answer, Answer::Yes);
        assert_eq!(holds(&all, &with(&["a", "c"])).answer, Answer::No);
        assert_eq!(holds(&all, &missing).answer, Answer::Yes);
        let null = clause("Null", "k", &["true"]);
        assert_eq!(holds(&null, &missing).answer, Answer::Yes);
        assert_eq!(holds(&null, &with(&["x"])).answer, Answer::No);
        let unknown = |_: &str| Fact::Unknown("nobody knows".into());
        let v = holds(&clause("StringEquals", "k", &["a"]), &unknown);
        assert_eq!(v, Verdict::maybe("nobody knows"));
        // A single-valued operator on several values is not decided.
        let c = clause("StringEquals", "k", &["a"]);
        assert_eq!(holds(&c, &with(&["a", "b"])).answer, Answer::Maybe);
        // Not an operator: undecided, never a yes or a no.
        assert_eq!(
            holds(&clause("StringSorta", "k", &["a"]), &missing).answer,
            Answer::Maybe
        );
        assert_eq!(
            holds(&clause("ForAnyValue:Null", "k", &["a"]), &missing).answer,
            Answer::Maybe
        );
    }

    #[test]
    fn values_of_each_family() {
        let t = |op: &str, p: &str, v: &str| holds(&clause(op, "k", &[p]), &with(&[v])).answer;
        assert_eq!(t("NumericLessThan", "3600", "100"), Answer::Yes);
        assert_eq!(t("NumericLessThan", "3600", "3600"), Answer::No);
        assert_eq!(t("NumericGreaterThanEquals", "1.5", "1.5"), Answer::Yes);
        assert_eq!(t("NumericEquals", "x", "1"), Answer::Maybe);
        assert_eq!(
            t(
                "DateLessThan",
                "2030-01-01T00:00:00Z",
                "2029-12-31T23:59:59Z"
            ),
            Answer::Yes
        );
        assert_eq!(t("DateGreaterThan", "2030-01-01", "1893456000"), Answer::No);
        assert_eq!(
            t(
                "DateEquals",
                "2030-01-01T01:00:00+01:00",
                "2030-01-01T00:00:00Z"
            ),
            Answer::Yes
        );
        assert_eq!(t("Bool", "true", "TRUE"), Answer::Yes);
        assert_eq!(t("Bool", "true", "false"), Answer::No);
        assert_eq!(t("IpAddress", "10.0.0.0/8", "10.1.2.3"), Answer::Yes);
        assert_eq!(t("NotIpAddress", "10.0.0.0/8", "10.1.2.3"), Answer::No);
        assert_eq!(t("IpAddress", "2001:db8::/32", "2001:db8::1"), Answer::Yes);
        assert_eq!(t("IpAddress", "10.0.0.0/8", "2001:db8::1"), Answer::No);
        assert_eq!(
            t(
                "ArnLike",
                "arn:aws:iam::1:role/ci-*",
                "arn:aws:iam::1:role/ci-x"
            ),
            Answer::Yes
        );
        // A pattern of fewer than six parts is no ARN: undecided rather than guessed.
        assert_eq!(
            t("ArnLike", "arn:aws:iam::*", "arn:aws:iam::1:role/x"),
            Answer::Maybe
        );
        // Each part is matched on its own: a `*` in the service does not reach the account.
        assert_eq!(
            t("ArnLike", "arn:aws:*:1:role/x", "arn:aws:iam::1:role/x"),
            Answer::Maybe
        );
        assert_eq!(
            t("ArnLike", "arn:aws:i*::2:role/x", "arn:aws:iam::1:role/x"),
            Answer::No
        );
        assert_eq!(
            t(
                "ArnEquals",
                "arn:aws:iam::*:role/x",
                "arn:aws:iam::1:role/x"
            ),
            Answer::Yes
        );
        assert_eq!(t("StringEqualsIgnoreCase", "ABC", "abc"), Answer::Yes);
        assert_eq!(t("StringEquals", "a*", "ab"), Answer::No);
        assert_eq!(t("StringLike", "a${*}", "ab"), Answer::No);
        assert_eq!(t("StringLike", "a${*}", "a*"), Answer::Yes);
        assert_eq!(t("StringEquals", "${aws:username}", "a"), Answer::Maybe);
    }
}
