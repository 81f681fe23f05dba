//! Stage `report`: a [`Plan`] shown as text (Terraform's shape), JSON, or markdown for a pull
//! request comment (a minijinja template users can override). Drawing only: the diff is
//! computed in `diff`; `similar` draws document changes here.

use crate::iam;
use crate::plan::rendered::RenderedResource;
use crate::plan::{Action, Change, Plan};
use serde_json::Value as Json;
use similar::{ChangeTag, TextDiff};

/// Fields whose values are documents: shown as unified diffs of canonical JSON.
const DOCUMENT_FIELDS: &[&str] = &[
    "trust_policy",
    "document",
    "inline_policies",
    "manifest",
    "manifests",
    "metadata",
    "aws_auth",
    "access_entry",
    "pod_identity_association",
];

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn action(&self, a: Action, s: &str) -> String {
        match a {
            Action::Create => self.paint("32", s),
            Action::Update => self.paint("33", s),
            Action::Replace => self.paint("35", s),
            Action::Delete => self.paint("31", s),
            Action::NoOp => s.to_string(),
        }
    }
}

/// The fields of a rendered resource as shown in a change: each inline policy on its own
/// (`inline_policies["name"]`), so a plan shows which policy changes, appears or goes.
/// Values at the `sensitive` paths show as `(sensitive value)`.
fn fields(r: &Option<RenderedResource>, sensitive: &[String]) -> serde_json::Map<String, Json> {
    let mut m = r
        .as_ref()
        .and_then(|r| serde_json::to_value(r).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    m.remove("address");
    m.remove("type");
    crate::desired::sensitive::redact_fields(&mut m, sensitive);
    if let Some(Json::Object(inline)) = m.remove("inline_policies") {
        for (name, doc) in inline {
            m.insert(format!("inline_policies[{name:?}]"), doc);
        }
    }
    m
}

/// Object keys in sorted order at every level: two maps that differ only in the order their
/// keys came back in show no difference.
fn sorted_keys(v: &Json) -> Json {
    match v {
        Json::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted_keys(&o[k])))
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(a.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

/// Documents are compared and shown in canonical form, so reordering never shows as a change.
fn display_value(key: &str, v: &Json) -> Json {
    match key {
        "trust_policy" | "document" => iam::canonical(v),
        k if k.starts_with("inline_policies[") => iam::canonical(v),
        "manifest" | "manifests" => sorted_keys(&strip_server_fields(v)),
        _ => sorted_keys(v),
    }
}

fn strip_server_fields(v: &Json) -> Json {
    match v {
        Json::Array(a) => Json::Array(a.iter().map(strip_server_fields).collect()),
        Json::Object(o) => {
            let mut o = o.clone();
            if let Some(Json::Object(md)) = o.get_mut("metadata") {
                for k in [
                    "resourceVersion",
                    "uid",
                    "creationTimestamp",
                    "managedFields",
                    "generation",
                ] {
                    md.remove(k);
                }
            }
            Json::Object(o)
        }
        other => other.clone(),
    }
}

fn short(v: &Json) -> String {
    match v {
        Json::String(s) => format!("{s:?}"),
        Json::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A unified diff of two JSON values, pretty-printed, with `+`/`-` lines.
pub fn json_diff(before: &Json, after: &Json, style_color: bool) -> String {
    let a = if before.is_null() {
        String::new()
    } else {
        serde_json::to_string_pretty(before).unwrap_or_default() + "\n"
    };
    let b = if after.is_null() {
        String::new()
    } else {
        serde_json::to_string_pretty(after).unwrap_or_default() + "\n"
    };
    let style = Style { color: style_color };
    let mut out = String::new();
    for op in TextDiff::from_lines(&a, &b).ops() {
        for change in TextDiff::from_lines(&a, &b).iter_changes(op) {
            let line = change.value().trim_end_matches('\n');
            match change.tag() {
                ChangeTag::Delete => out.push_str(&style.paint("31", &format!("- {line}"))),
                ChangeTag::Insert => out.push_str(&style.paint("32", &format!("+ {line}"))),
                ChangeTag::Equal => out.push_str(&format!("  {line}")),
            }
            out.push('\n');
        }
    }
    out
}

/// The attribute-level lines of one change.
fn change_body(c: &Change, color: bool) -> String {
    if c.action == Action::NoOp {
        return String::new(); // an import that changes nothing but the mark
    }
    let style = Style { color };
    let before = fields(&c.before, &c.sensitive);
    let after = fields(&c.after, &c.sensitive);
    // Whether a field changed is decided on the real values (both sides may be redacted).
    let (real_before, real_after) = (fields(&c.before, &[]), fields(&c.after, &[]));
    let mut keys: Vec<&String> = after.keys().collect();
    for k in before.keys() {
        if !after.contains_key(k) {
            keys.push(k);
        }
    }
    // Scalars first, documents after them.
    let is_doc_key = |k: &String| {
        DOCUMENT_FIELDS.contains(&k.as_str())
            || after
                .get(k)
                .or(before.get(k))
                .is_some_and(|v| v.is_object() || v.is_array())
    };
    keys.sort_by_key(|k| is_doc_key(k));
    let width = keys
        .iter()
        .filter(|k| !is_doc_key(k))
        .map(|k| k.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for k in keys {
        // Updates compare canonical documents; creates and deletes show them as written.
        let shown = |v: &Json| {
            if c.action == Action::Update || c.action == Action::Replace {
                display_value(k, v)
            } else {
                strip_server_fields(v)
            }
        };
        let b = before.get(k).map(shown).unwrap_or(Json::Null);
        let a = after.get(k).map(shown).unwrap_or(Json::Null);
        let real = |m: &serde_json::Map<String, Json>| m.get(k).map(shown).unwrap_or(Json::Null);
        let changed = real(&real_before) != real(&real_after);
        let empty = |v: &Json| {
            v.is_null()
                || v.as_str() == Some("")
                || v.as_object().is_some_and(|o| o.is_empty())
                || v.as_array().is_some_and(|x| x.is_empty())
        };
        if matches!(c.action, Action::Create | Action::Delete) && empty(&a) && empty(&b) {
            continue;
        }
        let is_doc = DOCUMENT_FIELDS.contains(&k.as_str())
            || a.is_object()
            || b.is_object()
            || a.is_array()
            || b.is_array();
        let (sym, show) = match c.action {
            Action::Create => ("+", true),
            Action::Delete => ("-", true),
            // An update that adds or drops a whole field (an inline policy, say).
            _ if changed && b.is_null() => ("+", true),
            _ if changed && a.is_null() => ("-", true),
            _ if changed => ("~", true),
            _ => (" ", false),
        };
        if !show {
            continue;
        }
        if is_doc {
            out.push_str(&format!("      {} {k}:\n", style.action(c.action, sym)));
            for line in json_diff(&b, &a, color).lines() {
                out.push_str(&format!("          {line}\n"));
            }
        } else {
            let v = match c.action {
                Action::Create => short(&a),
                Action::Delete => short(&b),
                _ => format!("{} -> {}", short(&b), short(&a)),
            };
            out.push_str(&format!(
                "      {} {k:<width$} = {v}\n",
                style.action(c.action, sym)
            ));
        }
    }
    out
}

fn headline(c: &Change) -> String {
    if c.importing.is_some() {
        return crate::plan::adopt::headline(c);
    }
    match c.action {
        Action::Create => format!("# {} will be created", c.address),
        Action::Update => format!("# {} will be updated in-place", c.address),
        Action::Replace => format!(
            "# {} must be replaced{}",
            c.address,
            c.reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        Action::Delete => format!(
            "# {} will be deleted{}",
            c.address,
            c.reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        Action::NoOp => format!("# {} is up to date", c.address),
    }
}

/// The plan as text and markdown show it: addresses whose `for_each` key derives from a
/// sensitive value redacted (`role.r["(sensitive value)"]`). The JSON plan keeps them.
pub fn for_display(plan: &Plan) -> std::borrow::Cow<'_, Plan> {
    use crate::desired::sensitive::{shown_address, ADDRESS};
    if !plan
        .changes
        .iter()
        .any(|c| c.sensitive.iter().any(|p| p == ADDRESS))
    {
        return std::borrow::Cow::Borrowed(plan);
    }
    let mut shown = plan.clone();
    for c in &mut shown.changes {
        c.address = shown_address(&c.address, &c.sensitive);
    }
    std::borrow::Cow::Owned(shown)
}

/// Terraform-shaped text.
pub fn text(plan: &Plan, color: bool) -> String {
    let plan = &*for_display(plan);
    let style = Style { color };
    if !plan.has_changes() {
        return format!(
            "No changes. The live state of stack `{}` matches its configuration.\n",
            plan.stack
        );
    }
    let mut out = format!(
        "eksfed will perform the following actions on stack `{}`:\n\n",
        plan.stack
    );
    out.push_str(&crate::review::security::show::text(plan, &|code, s| {
        style.paint(code, s)
    }));
    for c in plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.importing.is_some())
    {
        out.push_str(&format!("  {}\n", style.paint("1", &headline(c))));
        let label = c.address.split_once('.').map(|x| x.1).unwrap_or(&c.address);
        out.push_str(&format!(
            "{:>5} {} {} {{\n",
            style.action(c.action, c.action.symbol()),
            c.kind,
            label
        ));
        out.push_str(&change_body(c, color));
        out.push_str("    }\n\n");
    }
    out.push_str(&style.paint("1", &plan.summary()));
    out.push('\n');
    out
}

pub const DEFAULT_MARKDOWN_TEMPLATE: &str = r#"### eksfed plan for `{{ stack_cell }}`

{% if not has_changes %}**No changes.** The live state matches the configuration.
{% else %}**{{ summary }}**

#### Security review

{% if security %}{{ broadening }} of {{ changed }} changes broaden access.

| | Resource | What broadens or narrows | Before → after |
| --- | --- | --- | --- |
{% for s in security %}| {{ s.icon }} {{ s.effect }} | `{{ s.address_cell }}` | {{ s.message_cell }} | {{ s.change_cell }} |
{% endfor %}{% else %}No change to access.
{% endif %}
| | Resource | Action | Why |
| --- | --- | --- | --- |
{% for c in changes %}| {{ c.icon }} | `{{ c.address_cell }}` | {{ c.action }} | {{ c.reason }} |
{% endfor %}
{% for c in changes %}<details><summary><code>{{ c.address_html }}</code> ({{ c.action }})</summary>

{{ c.fence }}diff
{{ c.diff }}{{ c.fence }}

</details>
{% endfor %}{% endif %}
{% if diagnostics %}#### Lint findings

| Code | Severity | Resource | Finding |
| --- | --- | --- | --- |
{% for d in diagnostics %}| {{ d.code }} | {{ d.severity }}{% if d.allowed %} (allowed){% endif %} | `{{ d.address_cell }}` | {{ d.message_cell }} |
{% endfor %}{% endif %}"#;

/// Text for one code-span cell of a GitHub-flavoured markdown table: a `|` would end the
/// cell (also inside a code span), a line break the row and a backtick the code span (it
/// becomes `'`: what follows it would be read as markdown and HTML).
fn code_cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace(['\r', '\n'], " ")
        .replace('`', "'")
}

/// Text inside HTML (`<summary><code>…</code></summary>`): `&`, `<`, `>` and quotes as
/// entities, line breaks as spaces (a blank line would end the HTML block).
fn html_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' | '\n' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// A code fence longer than any run of backticks in `body`, so nothing in it closes it.
fn fence_for(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// Prose (with `code` spans) for one cell of a markdown table: outside code spans the
/// characters markdown would read as emphasis, links or HTML are escaped (a message about
/// action "*" must not turn into italics); inside them only what ends the cell.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let text = s.replace('|', "\\|").replace(['\r', '\n'], " ");
    let parts: Vec<&str> = text.split('`').collect();
    // An odd number of backticks leaves the last one unclosed: what follows it is prose.
    let unclosed = parts.len().is_multiple_of(2);
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i > 0 && unclosed && last {
            out.push_str("\\`");
        } else if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 && !(unclosed && last) {
            out.push_str(part);
            continue;
        }
        for ch in part.chars() {
            match ch {
                '*' | '_' | '[' | ']' | '~' => {
                    out.push('\\');
                    out.push(ch);
                }
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                _ => out.push(ch),
            }
        }
    }
    out
}

/// Markdown for a pull request comment, from `template` (minijinja) or the default one.
/// Beside the plan's own fields, changes and diagnostics carry `address_cell` (and
/// `message_cell`) for table cells.
pub fn markdown(plan: &Plan, template: Option<&str>) -> Result<String, String> {
    let plan = &*for_display(plan);
    let changes: Vec<Json> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.importing.is_some())
        .map(|c| {
            let icon = match c.action {
                _ if c.importing.is_some() => "📥",
                Action::Create => "➕",
                Action::Update => "🔄",
                Action::Replace => "♻️",
                Action::Delete => "🗑️",
                Action::NoOp => "",
            };
            let diff = change_body(c, false)
                .lines()
                .map(|l| l.get(6..).unwrap_or(l).replacen("    ", "", 1) + "\n")
                .collect::<String>();
            serde_json::json!({
                "address": c.address, "address_cell": code_cell(&c.address),
                "address_html": html_text(&c.address), "fence": fence_for(&diff),
                "type": c.kind, "action": crate::plan::adopt::verb(c), "icon": icon,
                "importing": c.importing.as_ref().map(|i| i.id.clone()),
                "reason": cell(&crate::plan::adopt::reason(c)),
                "diff": diff,
            })
        })
        .collect();
    // Each diagnostic as saved, `allowed` always present (the saved form omits it when false,
    // and templates are strict), plus its message and address made safe for a table cell.
    let diagnostics: Vec<Json> = plan
        .diagnostics
        .iter()
        .map(|d| {
            let mut v = serde_json::to_value(d).unwrap_or_default();
            let address = v["address"].as_str().unwrap_or_default().to_string();
            let message = v["message"].as_str().unwrap_or_default().to_string();
            v["allowed"] = Json::Bool(v["allowed"].as_bool().unwrap_or(false));
            v["address_cell"] = Json::String(code_cell(&address));
            v["message_cell"] = Json::String(cell(&message));
            v
        })
        .collect();
    let ctx = serde_json::json!({
        "stack": plan.stack, "stack_cell": code_cell(&plan.stack), "summary": plan.summary(), "has_changes": plan.has_changes(),
        "changes": changes, "diagnostics": diagnostics,
        "security": crate::review::security::show::rows(plan, &cell, &code_cell), "broadening": plan.broadening,
        "changed": plan.changes.iter().filter(|c| c.action != Action::NoOp || c.importing.is_some()).count(),
        "counts": { "import": plan.count_imports(), "create": plan.count(Action::Create), "update": plan.count(Action::Update), "replace": plan.count(Action::Replace), "delete": plan.count(Action::Delete) },
    });
    crate::language::functions::render_template(
        "plan.md",
        template.unwrap_or(DEFAULT_MARKDOWN_TEMPLATE),
        &crate::language::value::Value::from_json(&ctx),
    )
}

/// The JSON form: the plan as saved (format_version, stack, changes with address,
/// action, before, after).
pub fn json(plan: &Plan) -> Json {
    serde_json::to_value(plan).unwrap_or_default()
}
