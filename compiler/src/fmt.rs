//! `eksfed fmt`: canonical layout that keeps every comment. Indents two spaces per nesting
//! level, aligns the `=` of consecutive attributes in a block (as `terraform fmt` does), trims
//! trailing white space and ends the file with one newline. Heredoc bodies are left as they are.

/// Formats HCL source. The caller checks it parses first; formatting never changes tokens.
pub fn format(src: &str) -> String {
    let mut lines: Vec<String> = vec![];
    let mut depth: i32 = 0;
    let mut heredoc: Option<String> = None;
    for raw in src.lines() {
        if let Some(end) = &heredoc {
            if raw.trim() == end {
                heredoc = None;
                lines.push(format!(
                    "{}{}",
                    "  ".repeat(depth.max(0) as usize),
                    raw.trim()
                ));
            } else {
                lines.push(raw.trim_end().to_string());
            }
            continue;
        }
        let line = raw.trim();
        let (opens, closes, leading_close) = brackets(line);
        if leading_close {
            depth -= 1;
        }
        let indent = "  ".repeat(depth.max(0) as usize);
        lines.push(if line.is_empty() {
            String::new()
        } else {
            format!("{indent}{line}")
        });
        if leading_close {
            depth += 1;
        }
        depth += (opens - closes).signum();
        if let Some(i) = line.find("<<") {
            let tag = line[i + 2..].trim_start_matches('-').trim();
            if !tag.is_empty() && tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
                heredoc = Some(tag.to_string());
            }
        }
    }
    align(&mut lines);
    let mut out = lines.join("\n");
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out.trim_end().to_string() + "\n"
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
    if !rest[..eq].trim().is_empty() || rest[eq..].starts_with("==") || key_len == 0 {
        return None;
    }
    Some(line.len() - t.len() + key_len)
}

fn align(lines: &mut [String]) {
    let mut i = 0;
    while i < lines.len() {
        let indent = lines[i].len() - lines[i].trim_start().len();
        let mut j = i;
        while j < lines.len()
            && attr_key(&lines[j]).is_some()
            && lines[j].len() - lines[j].trim_start().len() == indent
        {
            j += 1;
        }
        if j > i + 1 {
            let width = (i..j)
                .filter_map(|k| attr_key(&lines[k]))
                .max()
                .unwrap_or(0);
            for line in lines.iter_mut().take(j).skip(i) {
                if let Some(k) = attr_key(line) {
                    let (key, rest) = line.split_at(k);
                    let rest = rest.trim_start().trim_start_matches('=').trim_start();
                    *line = format!("{key}{} = {rest}", " ".repeat(width - k));
                }
            }
        } else if j == i + 1 {
            if let Some(k) = attr_key(&lines[i]) {
                let (key, rest) = lines[i].split_at(k);
                let rest = rest.trim_start().trim_start_matches('=').trim_start();
                lines[i] = format!("{key} = {rest}");
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
