//! The one pattern matcher of eksfed: globs as IAM writes them (`*` any run, `?` one
//! character; case folded for actions, never for ARNs and condition values). The lints, the
//! security review, the access model and its conditions all match through [`matches`], and
//! the review also asks containment and intersection of two patterns, correct when both hold
//! wildcards. Both answers are sound
//! for the review: `contains` says yes only when every string the inner pattern matches the
//! outer one matches too; `intersect` says no only when no string matches both.
//!
//! `${...}` is a policy variable (`${aws:username}`, `${aws:PrincipalTag/team}`), replaced by
//! a value of the request: it may stand for any string, so a pattern holding one contains
//! another only where the same variable stands, or a `*` covers it. `${*}`, `${?}` and `${$}`
//! are IAM's escapes for the literal characters, not wildcards (IAM user guide, "IAM policy
//! elements: Variables and tags", special characters).

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Lit(char),
    One,
    Star,
    /// A policy variable, by its name lower-cased (IAM keys are case-insensitive) with its
    /// default value if any.
    Var(String),
}

/// The pieces of a pattern: characters, and policy variables with their escapes resolved.
enum Piece {
    /// A character as written; `true` when it came from an escape (`${*}`): never a wildcard.
    Char(char, bool),
    Var(String),
}

fn pieces(p: &str) -> Vec<Piece> {
    let mut out = vec![];
    let mut rest = p;
    while let Some(i) = rest.find("${") {
        out.extend(rest[..i].chars().map(|c| Piece::Char(c, false)));
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(end) => {
                let inner = &after[..end];
                match inner {
                    "*" | "?" | "$" => {
                        out.push(Piece::Char(inner.chars().next().unwrap_or('$'), true))
                    }
                    v => out.push(Piece::Var(v.trim().to_lowercase())),
                }
                rest = &after[end + 1..];
            }
            // An unclosed `${` is text.
            None => {
                out.extend(rest[i..].chars().map(|c| Piece::Char(c, false)));
                rest = "";
            }
        }
    }
    out.extend(rest.chars().map(|c| Piece::Char(c, false)));
    out
}

/// Tokens of a pattern. `fold` lower-cases (actions are case-insensitive); `literal` reads
/// `*` and `?` as themselves (`StringEquals` values). A run of wildcards is written `?`s
/// first and one `*` (`*?*` and `?*` match the same strings), so equal languages compare.
pub fn tokens(p: &str, fold: bool, literal: bool) -> Vec<Tok> {
    let mut out = Vec::with_capacity(p.len());
    let mut ones = 0usize;
    let mut star = false;
    let flush = |out: &mut Vec<Tok>, ones: &mut usize, star: &mut bool| {
        out.extend(std::iter::repeat_n(Tok::One, *ones));
        if *star {
            out.push(Tok::Star);
        }
        *ones = 0;
        *star = false;
    };
    for piece in pieces(p) {
        match piece {
            Piece::Char('*', false) if !literal => star = true,
            Piece::Char('?', false) if !literal => ones += 1,
            Piece::Char(c, _) => {
                flush(&mut out, &mut ones, &mut star);
                if fold {
                    out.extend(c.to_lowercase().map(Tok::Lit));
                } else {
                    out.push(Tok::Lit(c));
                }
            }
            Piece::Var(v) => {
                flush(&mut out, &mut ones, &mut star);
                out.push(Tok::Var(v));
            }
        }
    }
    flush(&mut out, &mut ones, &mut star);
    out
}

/// The variables a pattern uses (`${aws:PrincipalTag/team}`), as written, escapes left out.
pub fn variables(p: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = p;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else { break };
        if !matches!(&after[..end], "*" | "?" | "$") {
            out.push(format!("${{{}}}", &after[..end]));
        }
        rest = &after[end + 1..];
    }
    out
}

/// Whether a pattern may match more than itself read literally: a wildcard, an escape or a
/// variable (so it must be compared by tokens, not as text).
pub fn has_wildcard(p: &str) -> bool {
    p.contains(['*', '?']) || p.contains("${")
}

/// Every string `inner` matches, `outer` matches too.
pub fn contains_toks(outer: &[Tok], inner: &[Tok]) -> bool {
    let (n, m) = (outer.len(), inner.len());
    // ok[i][j]: outer[i..] covers inner[j..]; filled from the ends.
    let mut ok = vec![false; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    ok[at(n, m)] = true;
    for i in (0..n).rev() {
        for j in (0..=m).rev() {
            ok[at(i, j)] = match &outer[i] {
                Tok::Star => ok[at(i + 1, j)] || (j < m && ok[at(i, j + 1)]),
                // One character: not a run, and not a variable (its value has any length).
                Tok::One => {
                    j < m && matches!(inner[j], Tok::Lit(_) | Tok::One) && ok[at(i + 1, j + 1)]
                }
                // A literal or a variable covers only itself (the same variable has the same
                // value in one request).
                Tok::Lit(_) | Tok::Var(_) => j < m && inner[j] == outer[i] && ok[at(i + 1, j + 1)],
            };
        }
    }
    ok[at(0, 0)]
}

/// Some string matches both patterns.
pub fn intersect_toks(p: &[Tok], q: &[Tok]) -> bool {
    let (n, m) = (p.len(), q.len());
    let mut ok = vec![false; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            ok[at(i, j)] = if i == n && j == m {
                true
            } else if i < n && matches!(p[i], Tok::Star | Tok::Var(_)) {
                // A variable may stand for any string: as wide as a star here.
                ok[at(i + 1, j)] || (j < m && ok[at(i, j + 1)])
            } else if j < m && matches!(q[j], Tok::Star | Tok::Var(_)) {
                ok[at(i, j + 1)] || (i < n && ok[at(i + 1, j)])
            } else if i < n && j < m {
                let compatible = match (&p[i], &q[j]) {
                    (Tok::Lit(a), Tok::Lit(b)) => a == b,
                    _ => true,
                };
                compatible && ok[at(i + 1, j + 1)]
            } else {
                false
            };
        }
    }
    ok[at(0, 0)]
}

fn same(a: &str, b: &str, fold: bool) -> bool {
    if !fold {
        a == b
    } else if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

pub fn contains(outer: &str, inner: &str, fold: bool) -> bool {
    if outer == "*" {
        return true;
    }
    // A pattern without wildcards matches itself only.
    if !has_wildcard(outer) {
        return !has_wildcard(inner) && same(outer, inner, fold);
    }
    contains_toks(&tokens(outer, fold, false), &tokens(inner, fold, false))
}

pub fn intersect(p: &str, q: &str, fold: bool) -> bool {
    if !has_wildcard(p) && !has_wildcard(q) {
        return same(p, q, fold);
    }
    // A variable may stand for any value: as wide as `*` (intersect_toks).
    intersect_toks(&tokens(p, fold, false), &tokens(q, fold, false))
}

/// Whether the pattern matches the string (the string read literally), with case folded when
/// `fold` (actions). A variable of the pattern is not known to match anything: `false` there.
pub fn matches(pattern: &str, s: &str, fold: bool) -> bool {
    contains_toks(&tokens(pattern, fold, false), &tokens(s, fold, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_with_wildcards_on_both_sides() {
        assert!(contains("s3:Get*", "s3:GetObject", true));
        assert!(contains("s3:get*", "S3:GetObject*", true));
        assert!(!contains("s3:GetObject", "s3:Get*", true));
        assert!(contains(
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::b/private/*",
            false
        ));
        assert!(!contains(
            "arn:aws:s3:::b/private/*",
            "arn:aws:s3:::b/*",
            false
        ));
        assert!(!contains("arn:aws:s3:::B/*", "arn:aws:s3:::b/x", false));
        assert!(contains("*", "anything", false));
        assert!(contains("a?c", "abc", false));
        assert!(!contains("a?c", "a*c", false));
        assert!(contains("a*c", "a?c", false));
        assert!(contains("?*", "*?", false));
        assert!(contains("*?", "?*", false));
        assert!(contains("a*b*c", "a*bb*cc", false));
        assert!(!contains("a*b*c", "a*c", false));
        assert!(contains("s3:*", "s3:*Object", true));
    }

    #[test]
    fn intersection() {
        assert!(intersect("s3:Get*", "s3:*Object", true));
        assert!(!intersect("s3:Get*", "s3:Put*", true));
        assert!(intersect("a?", "?b", false));
        assert!(!intersect("a?", "b*", false));
        assert!(intersect("*", "x", false));
        assert!(!intersect("abc", "abd", false));
    }

    #[test]
    fn literal_values() {
        assert!(matches("repo:acme/*", "repo:acme/x", false));
        assert!(!matches("repo:acme/x", "repo:acme/*", false));
        assert!(matches("a*", "a*", false));
    }

    #[test]
    fn escapes_are_literal_characters() {
        // `${*}` is the character `*`: it covers itself and nothing else.
        assert!(!contains("data/${*}", "data/x", false));
        assert!(!contains("data/${*}", "data/*", false));
        assert!(contains("data/*", "data/${*}", false));
        assert!(contains("data/${*}", "data/${*}", false));
        assert!(!intersect("data/${*}", "data/x", false));
        assert!(intersect("data/${*}", "data/?", false));
        assert!(!contains("a${?}", "ab", false));
        assert!(contains("a?", "a${?}", false));
        assert!(contains("a${$}", "a${$}", false));
        assert!(tokens("a${$}b", false, false) == tokens("a$b", false, true));
    }

    #[test]
    fn variables_stand_for_any_value() {
        // A variable is wider than any literal it might equal.
        assert!(!contains("data/${*}", "data/${aws:username}", false));
        assert!(!contains("data/x", "data/${aws:username}", false));
        assert!(!contains("data/?", "data/${aws:username}", false));
        assert!(contains("data/*", "data/${aws:username}", false));
        assert!(contains(
            "data/${aws:username}",
            "data/${AWS:UserName}",
            false
        ));
        assert!(!contains(
            "data/${aws:username}",
            "data/${aws:userid}",
            false
        ));
        assert!(!contains("data/${aws:username}", "data/alice", false));
        assert!(intersect("data/${aws:username}", "data/alice", false));
        assert!(intersect("data/${aws:username}/x", "data/*", false));
        assert_eq!(
            variables("a/${aws:PrincipalTag/team}/${*}"),
            vec!["${aws:PrincipalTag/team}"]
        );
    }

    /// The matchers the lints, the access model and the review each had before this one,
    /// kept as oracles: the lints' iterative one folding case (actions), `EKS002`'s recursive
    /// one, which the access model's `StringLike` one equalled.
    mod former {
        pub fn lints(pattern: &str, s: &str) -> bool {
            let p: Vec<char> = pattern.to_lowercase().chars().collect();
            let s: Vec<char> = s.to_lowercase().chars().collect();
            let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
            while si < s.len() {
                if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
                    pi += 1;
                    si += 1;
                } else if pi < p.len() && p[pi] == '*' {
                    star = Some(pi);
                    mark = si;
                    pi += 1;
                } else if let Some(st) = star {
                    pi = st + 1;
                    mark += 1;
                    si = mark;
                } else {
                    return false;
                }
            }
            while pi < p.len() && p[pi] == '*' {
                pi += 1;
            }
            pi == p.len()
        }

        pub fn recursive(pattern: &str, s: &str) -> bool {
            fn go(p: &[char], s: &[char]) -> bool {
                match (p.first(), s.first()) {
                    (None, None) => true,
                    (Some('*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
                    (Some('?'), Some(_)) => go(&p[1..], &s[1..]),
                    (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
                    _ => false,
                }
            }
            go(
                &pattern.chars().collect::<Vec<_>>(),
                &s.chars().collect::<Vec<_>>(),
            )
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// Every former user of a matcher now calls [`matches`]; on the patterns they saw (no
        /// policy variables) it answers as each of them did, and so the lints, the review and
        /// the access model cannot disagree about what `s3:Get*` matches.
        #[test]
        fn one_matcher_answers_as_each_former_one(p in "[aAb:*?/]{0,7}", s in "[aAb:/]{0,7}") {
            proptest::prop_assert_eq!(matches(&p, &s, true), former::lints(&p, &s));
            proptest::prop_assert_eq!(matches(&p, &s, false), former::recursive(&p, &s));
            // Containment agrees with matching where the inner pattern is a plain string.
            proptest::prop_assert_eq!(contains(&p, &s, false), matches(&p, &s, false));
        }
    }
}
