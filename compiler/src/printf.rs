//! Terraform's `format` verbs, used by `format` (functions.rs) and `formatlist`
//! (functions_tf.rs).

use crate::value::Value;

/// Terraform's `format`: `%s`, `%d`, `%v`, `%q`, `%%`.
pub(crate) fn format(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb @ ('s' | 'd' | 'v' | 'q')) => {
                let v = it
                    .next()
                    .ok_or_else(|| format!("not enough arguments for `%{verb}`"))?;
                let s = v.as_string().unwrap_or_else(|| v.to_json().to_string());
                if verb == 'q' {
                    out.push_str(&serde_json::Value::String(s).to_string());
                } else {
                    out.push_str(&s);
                }
            }
            other => {
                return Err(format!(
                    "unsupported verb `%{}`",
                    other.map(String::from).unwrap_or_default()
                ))
            }
        }
    }
    Ok(out)
}
