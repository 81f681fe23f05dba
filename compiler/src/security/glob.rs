//! Glob patterns as IAM writes them (`*` any run, `?` one character): containment and
//! intersection of two patterns, correct when both hold wildcards. Both answers are sound
//! for the review: `contains` says yes only when every string the inner pattern matches the
//! outer one matches too; `intersect` says no only when no string matches both.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Lit(char),
    One,
    Star,
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
    for c in p.chars() {
        match c {
            '*' if !literal => star = true,
            '?' if !literal => ones += 1,
            c => {
                flush(&mut out, &mut ones, &mut star);
                if fold {
                    out.extend(c.to_lowercase().map(Tok::Lit));
                } else {
                    out.push(Tok::Lit(c));
                }
            }
        }
    }
    flush(&mut out, &mut ones, &mut star);
    out
}

pub fn has_wildcard(p: &str) -> bool {
    p.contains(['*', '?'])
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
            ok[at(i, j)] = match outer[i] {
                Tok::Star => ok[at(i + 1, j)] || (j < m && ok[at(i, j + 1)]),
                Tok::One => j < m && inner[j] != Tok::Star && ok[at(i + 1, j + 1)],
                Tok::Lit(c) => j < m && inner[j] == Tok::Lit(c) && ok[at(i + 1, j + 1)],
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
            } else if i < n && p[i] == Tok::Star {
                ok[at(i + 1, j)] || (j < m && ok[at(i, j + 1)])
            } else if j < m && q[j] == Tok::Star {
                ok[at(i, j + 1)] || (i < n && ok[at(i + 1, j)])
            } else if i < n && j < m {
                let compatible = match (p[i], q[j]) {
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
    match (has_wildcard(p), has_wildcard(q)) {
        (false, false) => return same(p, q, fold),
        (true, false) => return matches(p, q, fold),
        (false, true) => return matches(q, p, fold),
        _ => {}
    }
    intersect_toks(&tokens(p, fold, false), &tokens(q, fold, false))
}

/// Whether the pattern matches the string (the string read literally).
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
}
