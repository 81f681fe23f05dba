//! `eksfed fmt`: canonical layout that keeps every comment. Indents two spaces per nesting
//! level, aligns the `=` of consecutive attributes in a block (as `terraform fmt` does), trims
//! trailing white space, folds blank lines and ends the file with one newline. Heredoc bodies
//! are copied byte for byte: a formatter never changes a value (`compiler/tests/answers.rs`
//! checks `render` before and after on every fixture and example).

/// Formats HCL source. The caller checks it parses first; formatting never changes tokens,
/// and never a value: heredoc bodies (blank lines, trailing white space, `\r` included) are
/// copied byte for byte and take no part in alignment or blank-line folding.
pub fn format(src: &str) -> String {
    // (line, verbatim): verbatim lines are heredoc bodies.
    let mut lines: Vec<(String, bool)> = vec![];
    let mut depth: i32 = 0;
    let mut heredoc: Option<String> = None;
    let body = src.strip_suffix('\n').unwrap_or(src);
    for raw in body.split('\n') {
        if let Some(end) = &heredoc {
            if raw.trim() == end {
                heredoc = None;
                lines.push((
                    format!("{}{}", "  ".repeat(depth.max(0) as usize), raw.trim()),
                    false,
                ));
            } else {
                lines.push((raw.to_string(), true));
            }
            continue;
        }
        let line = raw.trim();
        let (opens, closes, leading_close) = brackets(line);
        if leading_close {
            depth -= 1;
        }
        let indent = "  ".repeat(depth.max(0) as usize);
        lines.push((
            if line.is_empty() {
                String::new()
            } else {
                format!("{indent}{line}")
            },
            false,
        ));
        if leading_close {
            depth += 1;
        }
        depth += (opens - closes).signum();
        if let Some(tag) = heredoc_tag(line) {
            heredoc = Some(tag);
        }
    }
    align(&mut lines);
    // At most one blank line in a row, none at the end (outside heredocs).
    let mut out: Vec<&str> = vec![];
    let mut blank_before = false;
    for (l, verbatim) in &lines {
        let blank = !verbatim && l.is_empty();
        if blank && blank_before {
            continue;
        }
        blank_before = blank;
        out.push(l);
    }
    let verbatim_end = lines.last().is_some_and(|x| x.1);
    while !verbatim_end && out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n") + "\n"
}

/// The heredoc a line opens (`<<EOT`, `<<-EOT`), outside strings and comments.
fn heredoc_tag(line: &str) -> Option<String> {
    let code = code_part(line);
    let i = code.find("<<")?;
    let tag = code[i + 2..].trim_start_matches('-').trim();
    (!tag.is_empty() && tag.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| tag.to_string())
}

/// The part of a line before a comment, with string contents blanked out.
fn code_part(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut prev = ' ';
    for ch in line.chars() {
        if in_str {
            if ch == '"' && prev != '\\' {
                in_str = false;
                out.push('"');
            } else {
                out.push('_');
            }
        } else {
            match ch {
                '"' => {
                    in_str = true;
                    out.push('"');
                }
                '#' => break,
                '/' if prev == '/' => {
                    out.pop();
                    break;
                }
                _ => out.push(ch),
            }
        }
        prev = if prev == '\\' && ch == '\\' { ' ' } else { ch };
    }
    out
}

/// Counts brackets outside strings and comments; whether the line starts with a closer.
fn brackets(line: &str) -> (i32, i32, bool) {
    let (mut o, mut c) = (0, 0);
    let mut in_str = false;
    let mut prev = ' ';
    let mut interp = 0;
    for ch in line.chars() {
        if in_str {
            if ch == '"' && prev != '\\' && interp == 0 {
                in_str = false;
            } else if ch == '{' && prev == '$' {
                interp += 1;
            } else if ch == '}' && interp > 0 {
                interp -= 1;
            }
        } else {
            match ch {
                '"' => in_str = true,
                '#' => break,
                '/' if prev == '/' => break,
                '{' | '[' | '(' => o += 1,
                '}' | ']' | ')' => c += 1,
                _ => {}
            }
        }
        prev = ch;
    }
    let leading = line.starts_with(['}', ']', ')']);
    (o, c, leading)
}

fn attr_key(line: &str) -> Option<usize> {
    let t = line.trim_start();
    let key_len = t.find(|c: char| {
        !(c.is_alphanumeric()
            || c == '_'
            || c == '-'
            || c == '"'
            || c == '.'
            || c == ':'
            || c == '/')
    })?;
    let rest = &t[key_len..];
    let eq = rest.find('=')?;
    if !rest[..eq].trim().is_empty()
        || rest[eq..].starts_with("==")
        || rest[eq..].starts_with("=>")
        || key_len == 0
    {
        return None;
    }
    Some(line.len() - t.len() + key_len)
}

fn align(all: &mut [(String, bool)]) {
    let mut i = 0;
    while i < all.len() {
        if all[i].1 {
            i += 1;
            continue;
        }
        let indent = all[i].0.len() - all[i].0.trim_start().len();
        let mut j = i;
        while j < all.len()
            && !all[j].1
            && attr_key(&all[j].0).is_some()
            && all[j].0.len() - all[j].0.trim_start().len() == indent
        {
            j += 1;
        }
        let width = (i..j)
            .filter_map(|k| attr_key(&all[k].0))
            .max()
            .unwrap_or(0);
        for (line, _) in all.iter_mut().take(j).skip(i) {
            if let Some(k) = attr_key(line) {
                let (key, rest) = line.split_at(k);
                let rest = rest.trim_start().trim_start_matches('=').trim_start();
                // one attribute alone: no padding
                *line = format!("{key}{} = {rest}", " ".repeat(width - k));
            }
        }
        i = j.max(i + 1);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn indents_aligns_and_keeps_comments() {
        let src = "role \"a\" {\nname = \"x\" # keep\n    description=\"y\"\ntags = {\n  a = \"b\"\n}\n}\n";
        let out = super::format(src);
        assert_eq!(out, "role \"a\" {\n  name        = \"x\" # keep\n  description = \"y\"\n  tags        = {\n    a = \"b\"\n  }\n}\n");
        assert_eq!(super::format(&out), out);
    }
}
