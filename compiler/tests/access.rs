//! The access model, case by case: each folder under `compiler/tests/access_cases/` holds
//! `pieces.json` (the objects the model is built from, in the render shape, each with
//! `"managed"`, default true), optionally `clusters.json` (default: one cluster `prod` in
//! `aws_auth` mode with issuer `oidc.eks.us-east-1.amazonaws.com/id/PROD`) and `rbac.json`
//! (ClusterRole and Role manifests read live, by cluster label), and `expected.txt`: queries,
//! each a line `> all`, `> who-can cluster-admin`, `> who-can group:NAME` or `> identity
//! SUBJECT`, followed by the paths that answer it, one per line:
//! `IDENTITY -> ROLE @ CLUSTER` (`-` for none), then ` [admin]` or ` [may be admin]`, and
//! ` [may admit]` when the model cannot decide whether the path admits the subject; a path's
//! notes follow on lines `  note: ...`. Lines starting with `#` are comments.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::desired::model::AccessMode;
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::review::access_model::{
    self, AccessModel, ClusterInfo, Piece, Query, RbacRole,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
struct CasePiece {
    #[serde(default = "yes")]
    managed: bool,
    #[serde(flatten)]
    kind: RenderedKind,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct CaseCluster {
    label: String,
    name: String,
    issuer: Option<String>,
    access_mode: AccessMode,
    arn: Option<String>,
}

fn clusters(dir: &Path) -> Vec<ClusterInfo> {
    let text = std::fs::read_to_string(dir.join("clusters.json")).unwrap_or_else(|_| {
        r#"[{"label": "prod", "name": "prod", "issuer": "oidc.eks.us-east-1.amazonaws.com/id/PROD",
             "access_mode": "aws_auth", "arn": "arn:aws:eks:us-east-1:111122223333:cluster/prod"}]"#
            .into()
    });
    let list: Vec<CaseCluster> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    list.into_iter()
        .map(|c| ClusterInfo {
            label: c.label,
            name: c.name,
            issuer: c.issuer,
            access_mode: c.access_mode,
            arn: c.arn,
        })
        .collect()
}

fn model(dir: &Path, clusters: &[ClusterInfo]) -> AccessModel {
    let text = std::fs::read_to_string(dir.join("pieces.json")).unwrap();
    let pieces: Vec<CasePiece> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}/pieces.json: {e}", dir.display()));
    let pieces: Vec<Piece> = pieces
        .into_iter()
        .map(|p| Piece {
            kind: p.kind,
            managed: p.managed,
        })
        .collect();
    let rbac: BTreeMap<String, Vec<serde_json::Value>> =
        match std::fs::read_to_string(dir.join("rbac.json")) {
            Ok(t) => serde_json::from_str(&t)
                .unwrap_or_else(|e| panic!("{}/rbac.json: {e}", dir.display())),
            Err(_) => BTreeMap::new(),
        };
    let rbac: BTreeMap<String, Vec<RbacRole>> = rbac
        .into_iter()
        .map(|(label, ms)| {
            let roles = ms
                .iter()
                .map(|m| access_model::rbac_role(&label, m).unwrap())
                .collect();
            (label, roles)
        })
        .collect();
    access_model::build(clusters, &pieces, &rbac)
}

fn query(line: &str) -> Query {
    match line.split_once(' ') {
        Some(("who-can", w)) => Query::who_can(w).unwrap(),
        Some(("identity", s)) => Query::Identity(s.to_string()),
        _ if line == "all" => Query::All,
        _ => panic!("unknown query `{line}`"),
    }
}

fn answer(m: &AccessModel) -> String {
    let mut out = String::new();
    for p in &m.paths {
        out.push_str(&format!(
            "{} -> {} @ {}{}{}{}\n",
            p.identity,
            p.role.as_deref().unwrap_or("-"),
            p.cluster.as_deref().unwrap_or("-"),
            if p.cluster_admin { " [admin]" } else { "" },
            if p.may_be_cluster_admin {
                " [may be admin]"
            } else {
                ""
            },
            if p.may_admit { " [may admit]" } else { "" },
        ));
        for n in &p.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
    }
    out
}

#[test]
fn every_case_gives_its_expected_answers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/access_cases");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "only {} cases", cases.len());
    let mut failures = vec![];
    for dir in &cases {
        let clusters = clusters(dir);
        let m = model(dir, &clusters);
        let want = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
        let mut got = String::new();
        for line in want.lines() {
            if line.starts_with('#') {
                got.push_str(line);
                got.push('\n');
            } else if line == "> limits" {
                got.push_str(line);
                got.push('\n');
                for l in &m.limits {
                    got.push_str(&format!("limit: {l}\n"));
                }
            } else if let Some(q) = line.strip_prefix("> ") {
                got.push_str(line);
                got.push('\n');
                got.push_str(&answer(&access_model::select(
                    &m,
                    &clusters,
                    None,
                    &query(q),
                )));
            }
        }
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                dir.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
