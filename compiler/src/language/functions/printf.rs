//! Terraform's `format` verbs, used by `format` (functions.rs) and `formatlist`
//! (functions_tf.rs). Terraform's `format` is cty's `stdlib.Format`: flags (space, `+`, `-`,
//! `0`, `#`), width, precision and `[n]` argument indexes before the verb; numbers are
//! formatted as Go's `fmt` does, strings padded and truncated by characters.

use crate::language::value::Value;

/// One `%...` sequence: flags, width, precision, argument index, verb.
#[derive(Default, Clone)]
struct Spec {
    raw: String,
    plus: bool,
    minus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
    verb: char,
}

/// Terraform's `format`.
pub(crate) fn format(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut spec = Spec {
            raw: "%".into(),
            ..Default::default()
        };
        while let Some(&f) = chars.peek() {
            match f {
                '+' => spec.plus = true,
                '-' => spec.minus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            spec.raw.push(f);
            chars.next();
        }
        spec.width = digits(&mut chars, &mut spec.raw);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.raw.push('.');
            spec.prec = Some(digits(&mut chars, &mut spec.raw).ok_or_else(|| {
                format!(
                    "invalid format `{}`: a period must be followed by a precision",
                    spec.raw
                )
            })?);
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            spec.raw.push('[');
            let n = digits(&mut chars, &mut spec.raw)
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("invalid argument index in `{}`", spec.raw))?;
            if chars.next() != Some(']') {
                return Err(format!("invalid argument index in `{}`", spec.raw));
            }
            spec.raw.push(']');
            next_arg = n - 1;
        }
        spec.verb = chars.next().unwrap_or('\0');
        spec.raw.push(spec.verb);
        let arg = args.get(next_arg).ok_or_else(|| {
            format!(
                "not enough arguments for `{}`: need argument {} but have {}",
                spec.raw,
                next_arg + 1,
                args.len()
            )
        })?;
        next_arg += 1;
        out.push_str(&one(&spec, arg)?);
    }
    Ok(out)
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, raw: &mut String) -> Option<usize> {
    let mut s = String::new();
    while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
        s.push(d);
        raw.push(d);
        chars.next();
    }
    s.parse().ok()
}

fn one(spec: &Spec, arg: &Value) -> Result<String, String> {
    let unsupported = |why: &str| format!("unsupported value for `{}`: {why}", spec.raw);
    if spec.verb != 'v' && matches!(arg, Value::Null) {
        return Err(unsupported("null value cannot be formatted"));
    }
    match spec.verb {
        'v' => Ok(pad(spec, as_is(spec, arg))),
        't' => match arg.truthy() {
            Some(b) => Ok(b.to_string()),
            None => Err(unsupported("bool required")),
        },
        'b' | 'd' | 'o' | 'x' | 'X' => integer(
            spec,
            number(arg).ok_or_else(|| unsupported("number required"))?,
        )
        .ok_or_else(|| unsupported("an integer is required")),
        'e' | 'E' | 'f' | 'g' | 'G' => Ok(float(
            spec,
            number(arg).ok_or_else(|| unsupported("number required"))?,
        )),
        's' | 'q' => {
            let s = match arg {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => arg.as_string(),
                _ => None,
            }
            .ok_or_else(|| unsupported("string required"))?;
            let s: String = match spec.prec {
                Some(p) if p > 0 => s.chars().take(p).collect(),
                _ => s,
            };
            Ok(pad(
                spec,
                if spec.verb == 'q' {
                    serde_json::Value::String(s).to_string()
                } else {
                    s
                },
            ))
        }
        other => Err(format!(
            "unsupported format verb `{other}` in `{}`",
            spec.raw
        )),
    }
}

/// `%v` (`%#v` always JSON): strings as they are, numbers as `%g`, everything else JSON.
fn as_is(spec: &Spec, arg: &Value) -> String {
    match arg {
        Value::String(s) if !spec.sharp => s.clone(),
        Value::Number(n) if !spec.sharp => general(*n, None, false),
        _ => arg.to_json().to_string(),
    }
}

/// Pads to the width with spaces (or zeros), on the left unless `-` (cty's `formatPadWidth`).
fn pad(spec: &Spec, s: String) -> String {
    let Some(w) = spec.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let fill = (if spec.zero { "0" } else { " " }).repeat(w - len);
    if spec.minus {
        s + &fill
    } else {
        fill + &s
    }
}

fn number(arg: &Value) -> Option<f64> {
    match arg {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.trim().parse().ok().filter(|n: &f64| n.is_finite()),
        _ => None,
    }
}

/// Go's sign, zero padding (between the sign or prefix and the digits) and justification.
fn justify(spec: &Spec, negative: bool, prefix: &str, body: &str) -> String {
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let head = format!("{sign}{prefix}");
    let len = head.chars().count() + body.chars().count();
    let w = spec.width.unwrap_or(0);
    if len >= w {
        return head + body;
    }
    let fill = w - len;
    if spec.minus {
        format!("{head}{body}{}", " ".repeat(fill))
    } else if spec.zero {
        format!("{head}{}{body}", "0".repeat(fill))
    } else {
        format!("{}{head}{body}", " ".repeat(fill))
    }
}

/// `%b %d %o %x %X`: the value must be an integer. Precision is the minimum number of digits
/// (and turns zero padding off), as in Go.
fn integer(spec: &Spec, n: f64) -> Option<String> {
    if n.fract() != 0.0 || !n.is_finite() || n.abs() >= 1.7e38 {
        return None;
    }
    let i = n as i128;
    let m = i.unsigned_abs();
    let mut digits = match spec.verb {
        'b' => format!("{m:b}"),
        'o' => format!("{m:o}"),
        'x' => format!("{m:x}"),
        'X' => format!("{m:X}"),
        _ => m.to_string(),
    };
    if let Some(p) = spec.prec {
        if digits.len() < p {
            digits = "0".repeat(p - digits.len()) + &digits;
        }
    }
    let prefix = match (spec.sharp, spec.verb) {
        (true, 'b') => "0b",
        (true, 'o') if !digits.starts_with('0') => "0",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    let s = Spec {
        zero: spec.zero && spec.prec.is_none(),
        ..spec.clone()
    };
    Some(justify(&s, i < 0, prefix, &digits))
}

/// `%e %E %f %g %G`, as Go formats them (default precision 6 for `e`/`f`, shortest for `g`).
fn float(spec: &Spec, n: f64) -> String {
    let negative = n.is_sign_negative() && n != 0.0;
    let a = n.abs();
    let body = match spec.verb {
        'e' | 'E' => scientific(a, spec.prec.unwrap_or(6), spec.verb == 'E'),
        'f' => format!("{a:.*}", spec.prec.unwrap_or(6)),
        _ => general(a, spec.prec, spec.verb == 'G'),
    };
    justify(spec, negative, "", &body)
}

/// `d.ddde±XX`: Go writes at least two exponent digits.
fn scientific(a: f64, prec: usize, upper: bool) -> String {
    let s = format!("{a:.prec$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    exponent_form(mant, exp.parse().unwrap_or(0), upper)
}

fn exponent_form(mant: &str, exp: i32, upper: bool) -> String {
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}{e}{sign}{:02}", exp.unsigned_abs())
}

/// Go's `%g`: the decimal digits (shortest, or `prec` significant ones, trailing zeros
/// dropped); exponent form when the exponent is below -4 or at least the precision (6 for
/// the shortest form).
fn general(n: f64, prec: Option<usize>, upper: bool) -> String {
    let negative = n.is_sign_negative() && n != 0.0;
    let a = n.abs();
    let sci = match prec {
        Some(p) => format!("{a:.*e}", p.max(1) - 1),
        None => format!("{a:e}"),
    };
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digs: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    while digs.len() > 1 && digs.ends_with('0') {
        digs.pop();
    }
    let nd = digs.len();
    let dp = exp + 1;
    let eprec = match prec {
        None => 6,
        Some(p) => {
            let p = p.max(1);
            if p > nd && nd as i32 >= dp {
                nd
            } else {
                p
            }
        }
    };
    let body = if exp < -4 || exp >= eprec as i32 {
        let mant = if nd > 1 {
            format!("{}.{}", &digs[..1], &digs[1..])
        } else {
            digs.clone()
        };
        exponent_form(&mant, exp, upper)
    } else {
        let frac = (nd as i32 - dp).max(0) as usize;
        format!("{a:.frac$}")
    };
    if negative {
        format!("-{body}")
    } else {
        body
    }
}
