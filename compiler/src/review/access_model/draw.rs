//! Drawing an [`AccessModel`]: a table a reviewer reads, JSON (`format_version` 1, one
//! object per path: identity, role, cluster, username, groups, grants, admin, managed), and a Mermaid
//! flowchart (identities → roles → Kubernetes users and groups → grants) GitHub renders.

use super::model::{AccessModel, Grant, GrantKind, CLUSTER_ADMIN_POLICY};
use std::collections::BTreeMap;
use std::fmt::Write;

/// `{"format_version": 1, "paths": [...]}`.
pub fn json(model: &AccessModel) -> serde_json::Value {
    serde_json::to_value(model).unwrap_or_default()
}

fn grant_text(g: &Grant) -> String {
    let kind = match g.kind {
        GrantKind::ClusterRole => "ClusterRole",
        GrantKind::Role => "Role",
        GrantKind::AccessPolicy => "AccessPolicy",
        GrantKind::Group => "Group",
    };
    if g.namespaces.is_empty() {
        format!("{kind} {}", g.name)
    } else {
        format!("{kind} {} in {}", g.name, g.namespaces.join(","))
    }
}

/// The role's name (an ARN's last segment), which is what a reader looks for.
fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// A table, one row per path (grants one per line), then the limits.
pub fn text(model: &AccessModel) -> String {
    let header = [
        "IDENTITY", "ROLE", "CLUSTER", "USERNAME", "GROUPS", "GRANTS", "ADMIN", "MANAGED",
    ];
    let mut rows: Vec<Vec<Vec<String>>> = vec![];
    for p in &model.paths {
        let dash = || vec!["-".to_string()];
        let cell = |s: Option<&str>| s.map(|s| vec![s.to_string()]).unwrap_or_else(dash);
        let list = |v: Vec<String>| if v.is_empty() { dash() } else { v };
        let mut identity = vec![p.identity.clone()];
        if p.may_admit {
            identity.push("(may admit)".to_string());
        }
        rows.push(vec![
            identity,
            cell(p.role.as_deref().map(short)),
            cell(p.cluster.as_deref()),
            cell(p.username.as_deref()),
            list(p.groups.clone()),
            list(p.grants.iter().map(grant_text).collect()),
            vec![if p.cluster_admin {
                "yes"
            } else if p.may_be_cluster_admin {
                "may"
            } else {
                "no"
            }
            .to_string()],
            vec![if p.managed { "yes" } else { "no" }.to_string()],
        ]);
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            for l in c {
                widths[i] = widths[i].max(l.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    if model.paths.is_empty() {
        out.push_str("No access paths match.\n");
    } else {
        line(header.to_vec(), &mut out);
        for r in &rows {
            let height = r.iter().map(Vec::len).max().unwrap_or(1);
            for i in 0..height {
                line(
                    r.iter()
                        .map(|c| c.get(i).map(String::as_str).unwrap_or(""))
                        .collect(),
                    &mut out,
                );
            }
        }
        let admins = model.paths.iter().filter(|p| p.cluster_admin).count();
        let may = model
            .paths
            .iter()
            .filter(|p| p.may_be_cluster_admin)
            .count();
        let foreign = model.paths.iter().filter(|p| !p.managed).count();
        let may = if may > 0 {
            format!(" ({may} more may be)")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "\n{} path(s), {admins} to cluster admin{may}, {foreign} through objects this stack does not own.",
            model.paths.len()
        );
        if model.paths.iter().any(|p| !p.notes.is_empty()) {
            out.push_str("\nNotes:\n");
            for p in model.paths.iter().filter(|p| !p.notes.is_empty()) {
                let at = match (&p.role, &p.cluster) {
                    (Some(r), Some(c)) => format!("{} → {} in {c}", p.identity, short(r)),
                    (Some(r), None) => format!("{} → {}", p.identity, short(r)),
                    (None, Some(c)) => format!("{} in {c}", p.identity),
                    (None, None) => p.identity.clone(),
                };
                for n in &p.notes {
                    let _ = writeln!(out, "  - {at}: {n}");
                }
            }
        }
    }
    if !model.permissions.is_empty() {
        out.push_str("\nWhat the roles may do in AWS:\n");
        for (arn, may) in &model.permissions {
            if may.is_empty() {
                let _ = writeln!(out, "  {}: nothing (no policies)", short(arn));
            }
            for m in may {
                let _ = writeln!(out, "  {}: {m}", short(arn));
            }
        }
    }
    if !model.limits.is_empty() {
        out.push_str("\nLimits:\n");
        for l in &model.limits {
            let _ = writeln!(out, "  - {l}");
        }
    }
    out
}

/// A Mermaid label: quoted, with what Mermaid would read as markup escaped.
fn label(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("#quot;"),
            '<' => o.push_str("#lt;"),
            '>' => o.push_str("#gt;"),
            '#' => o.push_str("#35;"),
            _ => o.push(c),
        }
    }
    o.push('"');
    o
}

#[derive(Default)]
struct Nodes {
    ids: BTreeMap<String, String>,
    decl: Vec<String>,
}

impl Nodes {
    fn get(&mut self, prefix: &str, key: &str, text: &str, shape: (&str, &str)) -> String {
        if let Some(id) = self.ids.get(&format!("{prefix}|{key}")) {
            return id.clone();
        }
        let id = format!("{prefix}{}", self.ids.len());
        self.decl
            .push(format!("  {id}{}{}{}", shape.0, label(text), shape.1));
        self.ids.insert(format!("{prefix}|{key}"), id.clone());
        id
    }
}

/// A flowchart, left to right: identities → roles → (per cluster) users and groups → grants.
/// Paths through objects the stack does not own are dotted; grants that make cluster admin
/// are drawn red.
pub fn mermaid(model: &AccessModel) -> String {
    let mut nodes = Nodes::default();
    let mut edges: Vec<String> = vec![];
    let mut admin_nodes: Vec<String> = vec![];
    let edge = |a: &str, b: &str, managed: bool, edges: &mut Vec<String>| {
        let e = if managed {
            format!("  {a} --> {b}")
        } else {
            format!("  {a} -.-> {b}")
        };
        if !edges.contains(&e) {
            edges.push(e);
        }
    };
    for p in &model.paths {
        let ident = nodes.get("i", &p.identity, &p.identity, ("([", "])"));
        let cluster = p.cluster.clone().unwrap_or_default();
        let from = match &p.role {
            Some(r) => {
                let role = nodes.get("r", r, &format!("role {}", short(r)), ("[", "]"));
                edge(&ident, &role, p.managed, &mut edges);
                role
            }
            None => ident.clone(),
        };
        // The Kubernetes subjects this path is: its username and groups in the cluster.
        let mut subjects: BTreeMap<String, String> = BTreeMap::new();
        if p.role.is_some() {
            if let Some(u) = &p.username {
                let n = nodes.get(
                    "u",
                    &format!("{cluster}|{u}"),
                    &format!("{cluster}: user {u}"),
                    ("[/", "/]"),
                );
                edge(&from, &n, p.managed, &mut edges);
                subjects.insert(format!("user:{u}"), n);
            }
            for g in &p.groups {
                let n = nodes.get(
                    "g",
                    &format!("{cluster}|{g}"),
                    &format!("{cluster}: group {g}"),
                    ("[/", "/]"),
                );
                edge(&from, &n, p.managed, &mut edges);
                subjects.insert(format!("group:{g}"), n);
            }
        }
        for g in &p.grants {
            let text = format!("{cluster}: {}", grant_text(g));
            let n = nodes.get("t", &text, &text, ("{{", "}}"));
            let admin = (g.kind == GrantKind::Group && g.name == "system:masters")
                || (g.kind == GrantKind::ClusterRole
                    && g.name == "cluster-admin"
                    && g.namespaces.is_empty())
                || (g.kind == GrantKind::AccessPolicy
                    && g.name == CLUSTER_ADMIN_POLICY
                    && g.namespaces.is_empty());
            if admin && !admin_nodes.contains(&n) {
                admin_nodes.push(n.clone());
            }
            let mut drawn = false;
            for v in &g.via {
                let key = if v.starts_with("user:") {
                    // a binding to a user that matches the username template
                    subjects.keys().find(|k| k.starts_with("user:")).cloned()
                } else {
                    Some(v.clone())
                };
                if let Some(src) = key.and_then(|k| subjects.get(&k)) {
                    edge(src, &n, p.managed && g.managed, &mut edges);
                    drawn = true;
                }
            }
            if !drawn {
                edge(&from, &n, p.managed && g.managed, &mut edges);
            }
        }
    }
    let mut out = String::from("flowchart LR\n");
    for d in &nodes.decl {
        out.push_str(d);
        out.push('\n');
    }
    for e in &edges {
        out.push_str(e);
        out.push('\n');
    }
    if !admin_nodes.is_empty() {
        out.push_str("  classDef admin fill:#fdd,stroke:#c00,color:#600\n");
        let _ = writeln!(out, "  class {} admin", admin_nodes.join(","));
    }
    out
}
