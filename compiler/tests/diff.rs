//! Diff: desired vs a live snapshot. Live snapshots here are built from the desired state
//! (as a perfect apply would leave it), then rewritten the way other clients write.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::plan::diff::{diff, DiffOptions};
use eksfed_compiler::plan::live::{self, LiveObject, LiveState};
use eksfed_compiler::plan::render::{self};
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::plan::{Action, Plan};
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

struct DirReader(PathBuf);
impl FileReader for DirReader {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| e.to_string())
    }
}

fn compiled() -> Compiled {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/dsl_full");
    let files = vec![(
        "main.hcl".to_string(),
        std::fs::read_to_string(dir.join("main.hcl")).unwrap(),
    )];
    let c = compile(CompileInput {
        files,
        reader: &DirReader(dir),
        vars: VarInputs::default(),
        facts: Facts::default(),
    });
    assert!(!c.diagnostics.has_errors());
    c
}

/// An inline stack of one file, which must compile without errors.
fn compile_text(text: &str) -> Compiled {
    let c = compile(CompileInput {
        files: vec![("main.hcl".into(), text.into())],
        reader: &DirReader(PathBuf::from(".")),
        vars: VarInputs::default(),
        facts: Facts::default(),
    });
    assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
    c
}

/// Live pieces exactly as desired, owned by the stack.
fn perfect_live(c: &Compiled) -> LiveState {
    let d = c.desired.as_ref().unwrap();
    let r = render::render(d);
    let mut objects = vec![];
    for res in &r.resources {
        let pieces: Vec<RenderedKind> = match &res.kind {
            RenderedKind::ServiceAccount {
                cluster,
                manifest,
                pod_identity_association,
            } => {
                let mut v = vec![RenderedKind::ServiceAccount {
                    cluster: cluster.clone(),
                    manifest: manifest.clone(),
                    pod_identity_association: None,
                }];
                if let Some(p) = pod_identity_association {
                    v.push(live::pod_identity_piece(cluster, p.clone()));
                }
                v
            }
            RenderedKind::RbacBinding { cluster, manifests } => manifests
                .iter()
                .map(|m| RenderedKind::RbacBinding {
                    cluster: cluster.clone(),
                    manifests: vec![m.clone()],
                })
                .collect(),
            RenderedKind::Access {
                cluster,
                aws_auth,
                access_entry,
            } => {
                let mut v = vec![];
                if let Some(a) = aws_auth {
                    v.push(live::aws_auth_piece(cluster, a.clone()));
                }
                if let Some(e) = access_entry {
                    v.push(live::access_entry_piece(cluster, e.clone()));
                }
                v
            }
            other => vec![other.clone()],
        };
        for p in pieces {
            let key = eksfed_compiler::kinds::keys(&p).remove(0);
            objects.push(live::live_object(
                key,
                Some(d.stack.name.clone()),
                p,
                BTreeMap::new(),
            ));
        }
    }
    // `existing = true` objects are there, made by someone else.
    for e in eksfed_compiler::plan::adopt::rendered_existing(d) {
        let key = eksfed_compiler::kinds::keys(&e.kind).remove(0);
        objects.push(live::live_object(key, None, e.kind, BTreeMap::new()));
    }
    LiveState {
        account_id: "111122223333".into(),
        objects,
    }
}

fn plan(c: &Compiled, live: &LiveState) -> (Plan, eksfed_compiler::diag::Diagnostics) {
    diff(
        c.desired.as_ref().unwrap(),
        c.graph.as_ref().unwrap(),
        live,
        &DiffOptions::default(),
    )
}

fn action(p: &Plan, addr: &str) -> Action {
    p.changes
        .iter()
        .find(|c| c.address == addr)
        .unwrap_or_else(|| panic!("no change for {addr}"))
        .action
}

fn edit(live: &mut LiveState, key_prefix: &str, f: impl Fn(&mut RenderedKind)) {
    let o: &mut LiveObject = live
        .objects
        .iter_mut()
        .find(|o| o.key.starts_with(key_prefix))
        .unwrap();
    f(&mut o.piece);
}

#[test]
fn nothing_live_is_all_creates() {
    let c = compiled();
    let (p, d) = plan(&c, &LiveState::default());
    assert!(d.is_empty());
    assert!(p.changes.iter().all(|c| c.action == Action::Create));
    assert_eq!(p.count(Action::Create), 14);
    // dependencies come first
    let pos = |a: &str| p.changes.iter().position(|c| c.address == a).unwrap();
    assert!(pos("oidc_provider.prod") < pos("role.reports_reader"));
    assert!(pos("policy.reports_read") < pos("role.reports_reader"));
    assert!(pos("role.reports_reader") < pos("service_account.reader"));
}

#[test]
fn a_perfect_live_state_is_all_no_op() {
    let c = compiled();
    let (p, d) = plan(&c, &perfect_live(&c));
    assert!(d.is_empty(), "{d:?}");
    let changed: Vec<_> = p
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| &c.address)
        .collect();
    assert!(changed.is_empty(), "{changed:?}");
    assert!(!p.has_changes());
}

#[test]
fn equivalent_forms_written_by_other_clients_are_no_op() {
    let c = compiled();
    let mut live = perfect_live(&c);
    edit(
        &mut live,
        "iam:policy:arn:aws:iam::111122223333:policy/reports-read",
        |k| {
            if let RenderedKind::Policy { document, .. } = k {
                // list order, key order, one-element list instead of a string
                *document = json!({"Statement": [{
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["data"]}},
                "Resource": ["arn:aws:s3:::reports/*", "arn:aws:s3:::reports"],
                "Action": ["s3:ListBucket", "s3:GetObject"], "Effect": "Allow", "Sid": "Read"}],
                "Version": "2012-10-17"});
            }
        },
    );
    edit(&mut live, "iam:role:deploy", |k| {
        if let RenderedKind::Role {
            trust_policy,
            policies,
            ..
        } = k
        {
            let mut st = trust_policy["Statement"].as_array().unwrap().clone();
            st.reverse();
            trust_policy["Statement"] = json!(st);
            policies.reverse();
        }
    });
    edit(&mut live, "k8s:prod:ServiceAccount:reports/reader", |k| {
        if let RenderedKind::ServiceAccount { manifest, .. } = k {
            // another tool's label and annotation are not ours to compare
            manifest["metadata"]["labels"]["helm.sh/chart"] = json!("x");
            manifest["metadata"]["annotations"]["other"] = json!("y");
            manifest["metadata"]["resourceVersion"] = json!("42");
        }
    });
    edit(
        &mut live,
        "iam:oidc-provider:arn:aws:iam::111122223333:oidc-provider/token",
        |k| {
            if let RenderedKind::OidcProvider { thumbprints, .. } = k {
                // not specified in the stack: never compared
                *thumbprints = Some(vec!["9e99a48a9960b14926bb7f3b02e22da2b0ab7280".into()]);
            }
        },
    );
    let (p, d) = plan(&c, &live);
    assert!(d.is_empty());
    let changed: Vec<_> = p
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| &c.address)
        .collect();
    assert!(changed.is_empty(), "{changed:?}");
}

#[test]
fn drift_is_an_update() {
    let c = compiled();
    let mut live = perfect_live(&c);
    edit(&mut live, "iam:role:reports-reader", |k| {
        if let RenderedKind::Role {
            policies,
            trust_policy,
            ..
        } = k
        {
            policies.push("arn:aws:iam::aws:policy/AdministratorAccess".into());
            trust_policy["Statement"][0]["Condition"]["StringEquals"]
                .as_object_mut()
                .unwrap()
                .retain(|k, _| !k.ends_with(":sub"));
        }
    });
    let (p, _) = plan(&c, &live);
    assert_eq!(action(&p, "role.reports_reader"), Action::Update);
    assert_eq!(p.count(Action::Update), 1);
    // The update carries the drift in `before` and the stack's values in `after`.
    let ch = p
        .changes
        .iter()
        .find(|c| c.address == "role.reports_reader")
        .unwrap();
    let before = serde_json::to_value(ch.before.as_ref().unwrap()).unwrap();
    let after = serde_json::to_value(ch.after.as_ref().unwrap()).unwrap();
    let admin = json!("arn:aws:iam::aws:policy/AdministratorAccess");
    assert!(before["policies"].as_array().unwrap().contains(&admin));
    assert!(!after["policies"].as_array().unwrap().contains(&admin));
    let subs = |v: &serde_json::Value| {
        v["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.ends_with(":sub"))
            .count()
    };
    assert_eq!((subs(&before), subs(&after)), (0, 1));
}

#[test]
fn missing_pieces_are_created_and_orphans_deleted() {
    let c = compiled();
    let mut live = perfect_live(&c);
    live.objects
        .retain(|o| !o.key.starts_with("iam:role:deploy"));
    let mut orphan = live
        .objects
        .iter()
        .find(|o| o.key == "iam:role:reports-reader")
        .unwrap()
        .clone();
    if let RenderedKind::Role { name, .. } = &mut orphan.piece {
        *name = "old-role".into();
    }
    orphan.key = eksfed_compiler::kinds::role::key_role("old-role");
    live.objects.push(orphan);
    // An owned policy no longer declared: deleted (no create of its type to pair with).
    let mut old_policy = live
        .objects
        .iter()
        .find(|o| o.key.starts_with("iam:policy:"))
        .unwrap()
        .clone();
    if let RenderedKind::Policy { name, arn, .. } = &mut old_policy.piece {
        *name = "old-policy".into();
        *arn = "arn:aws:iam::111122223333:policy/old-policy".into();
        old_policy.key = eksfed_compiler::kinds::policy::key_policy(arn);
    }
    live.objects.push(old_policy);
    // A missing piece with nothing to pair with: created.
    live.objects
        .retain(|o| !o.key.starts_with("iam:oidc-provider:"));
    let (p, _) = plan(&c, &live);
    assert_eq!(p.count(Action::Delete), 1, "{:?}", p.changes);
    let del = p
        .changes
        .iter()
        .find(|c| c.action == Action::Delete)
        .unwrap();
    assert!(
        del.keys.iter().any(|k| k.ends_with("policy/old-policy")),
        "{del:?}"
    );
    assert!(del.after.is_none());
    assert!(p
        .changes
        .iter()
        .filter(|c| c.kind == "oidc_provider")
        .all(|c| c.action == Action::Create));
    assert!(p.count(Action::Create) >= 1);
    // one create and one delete of the same type pair into a replace (renamed)
    assert_eq!(action(&p, "role.deploy"), Action::Replace);
    assert!(p
        .changes
        .iter()
        .find(|c| c.address == "role.deploy")
        .unwrap()
        .reason
        .as_ref()
        .unwrap()
        .contains("name changed"));
}

#[test]
fn foreign_objects_are_errors_with_import_hint_and_others_invisible() {
    let c = compiled();
    let mut live = perfect_live(&c);
    for o in &mut live.objects {
        if o.key == "iam:role:reports-reader" {
            o.owner = None;
        }
    }
    // another stack's role with another name: never in the plan
    let mut other = live
        .objects
        .iter()
        .find(|o| o.key == "iam:role:deploy")
        .unwrap()
        .clone();
    other.owner = Some("other-stack".into());
    other.key = eksfed_compiler::kinds::role::key_role("theirs");
    live.objects.push(other);
    let (p, d) = plan(&c, &live);
    let e = d
        .iter()
        .find(|d| d.code == "E0701")
        .expect("not-owned error");
    assert_eq!(e.address.as_deref(), Some("role.reports_reader"));
    assert!(e
        .help
        .as_ref()
        .unwrap()
        .contains("eksfed import role.reports_reader reports-reader"));
    assert!(p.changes.iter().all(|c| !c.address.contains("theirs")));
}

#[test]
fn access_mode_switch_and_path_change() {
    let c = compiled();
    let mut live = perfect_live(&c);
    edit(&mut live, "iam:role:platform_admins", |k| {
        if let RenderedKind::Role { path, .. } = k {
            *path = "/".into();
        }
    });
    // The cluster was in API mode: the principal has an access entry and no aws-auth entry;
    // the stack now says `access_mode = "aws_auth"`.
    let i = live
        .objects
        .iter()
        .position(|o| o.key.starts_with("k8s:prod:aws-auth:") && o.key.contains("platform"))
        .unwrap();
    let entry = live.objects.remove(i);
    let RenderedKind::Access { .. } = &entry.piece else {
        panic!("{:?}", entry.piece)
    };
    let arn = serde_json::to_value(&entry.piece).unwrap().to_string();
    let arn = arn
        .split('"')
        .find(|s| s.starts_with("arn:aws:iam::"))
        .unwrap()
        .to_string();
    let api = live::access_entry_piece(
        "prod",
        eksfed_compiler::plan::rendered::AccessEntry {
            principal_arn: arn.clone(),
            username: None,
            kubernetes_groups: vec!["platform-admins".into()],
            entry_type: "STANDARD".into(),
            access_policies: vec![],
        },
    );
    live.objects.push(live::live_object(
        eksfed_compiler::kinds::access::key_access_entry("prod", &arn),
        entry.owner.clone(),
        api,
        BTreeMap::new(),
    ));
    let (p, _) = plan(&c, &live);
    let sw = p
        .changes
        .iter()
        .find(|c| c.address == "access.platform_admins")
        .unwrap();
    assert_ne!(sw.action, Action::NoOp);
    let before = serde_json::to_value(sw.before.as_ref().unwrap()).unwrap();
    let after = serde_json::to_value(sw.after.as_ref().unwrap()).unwrap();
    assert!(
        before.get("access_entry").is_some() && before.get("aws_auth").is_none(),
        "{before}"
    );
    assert!(
        after.get("aws_auth").is_some() && after.get("access_entry").is_none(),
        "{after}"
    );
    let ch = p
        .changes
        .iter()
        .find(|c| c.address == "role.platform_admins")
        .unwrap();
    assert_eq!(ch.action, Action::Replace);
    assert!(ch.reason.as_ref().unwrap().contains("path changed"));
}

#[test]
fn targets_limit_the_plan() {
    let c = compiled();
    let t =
        vec![eksfed_compiler::language::value::Address::parse("service_account.reader").unwrap()];
    let (p, _) = diff(
        c.desired.as_ref().unwrap(),
        c.graph.as_ref().unwrap(),
        &LiveState::default(),
        &DiffOptions {
            targets: t,
            destroy: false,
        },
    );
    let addrs: Vec<&str> = p.changes.iter().map(|c| c.address.as_str()).collect();
    assert!(addrs.contains(&"service_account.reader"));
    assert!(addrs.contains(&"role.reports_reader"));
    assert!(addrs.contains(&"oidc_provider.prod"));
    assert!(!addrs.contains(&"role.deploy"));
}

#[test]
fn destroy_deletes_everything_owned_dependents_first() {
    let c = compiled();
    let (p, d) = diff(
        c.desired.as_ref().unwrap(),
        c.graph.as_ref().unwrap(),
        &perfect_live(&c),
        &DiffOptions {
            targets: vec![],
            destroy: true,
        },
    );
    assert!(d.is_empty());
    assert!(p.changes.iter().all(|c| c.action == Action::Delete));
    let pos = |a: &str| p.changes.iter().position(|c| c.address == a).unwrap();
    assert!(pos("service_account.reader") < pos("role.reports_reader"));
    assert!(pos("role.reports_reader") < pos("policy.reports_read"));
    assert!(pos("policy.reports_read") < pos("oidc_provider.prod"));
}

#[test]
fn reports_text_markdown_json() {
    let c = compiled();
    let mut live = perfect_live(&c);
    edit(&mut live, "iam:role:reports-reader", |k| {
        if let RenderedKind::Role {
            policies,
            max_session_duration,
            ..
        } = k
        {
            policies.push("arn:aws:iam::aws:policy/AdministratorAccess".into());
            *max_session_duration = 7200;
        }
    });
    live.objects
        .retain(|o| !o.key.starts_with("iam:role:deploy"));
    let (p, _) = plan(&c, &live);
    let text = eksfed_compiler::output::report::text(&p, false);
    if std::env::var_os("SHOW").is_some() {
        println!(
            "{text}\n-----\n{}",
            eksfed_compiler::output::report::markdown(&p, None).unwrap()
        );
    }
    assert!(
        text.contains("# role.reports_reader will be updated in-place"),
        "{text}"
    );
    assert!(
        text.contains("~ max_session_duration = 7200 -> 3600"),
        "{text}"
    );
    assert!(
        text.contains("-   \"arn:aws:iam::aws:policy/AdministratorAccess\""),
        "{text}"
    );
    assert!(text.contains("# role.deploy will be created"));
    assert!(text.contains("Plan: 1 to add, 1 to change, 0 to replace, 0 to destroy."));
    let md = eksfed_compiler::output::report::markdown(&p, None).unwrap();
    assert!(md.contains("| ➕ | `role.deploy` | create |"), "{md}");
    assert!(md.contains("<details><summary><code>role.reports_reader</code> (update)</summary>"));
    assert!(md.contains("```diff"));
    let custom = eksfed_compiler::output::report::markdown(
        &p,
        Some("{{ counts.create }}/{{ counts.update }}"),
    )
    .unwrap();
    assert_eq!(custom, "1/1");
    let j = eksfed_compiler::output::report::json(&p);
    assert_eq!(j["format_version"], 1);
    assert!(j["changes"][0]["action"].as_str().is_some());
    let no = eksfed_compiler::output::report::text(&plan(&c, &perfect_live(&c)).0, false);
    assert!(no.starts_with("No changes."));
}

/// diff(x, x) is empty for every stack of the corpus (fixtures, examples, generated stacks).
#[test]
fn diff_of_a_state_with_itself_is_empty_for_every_stack() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs = vec![];
    for base in ["tests/fixtures", "examples", "examples/migration"] {
        for e in std::fs::read_dir(root.join(base)).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir()
                && std::fs::read_dir(&p)
                    .unwrap()
                    .any(|f| f.unwrap().path().extension().is_some_and(|x| x == "hcl"))
            {
                dirs.push(p);
            }
        }
    }
    let mut checked = 0;
    let mut compile_dir = |files: Vec<(String, String)>, dir: PathBuf| {
        let c = compile(CompileInput {
            files,
            reader: &DirReader(dir),
            vars: VarInputs::default(),
            facts: Facts::default(),
        });
        if c.desired.is_none() {
            return;
        }
        let (p, d) = plan(&c, &perfect_live(&c));
        assert!(d.is_empty());
        let changed: Vec<_> = p
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .map(|c| c.address.clone())
            .collect();
        assert!(changed.is_empty(), "{changed:?}");
        checked += 1;
    };
    for dir in dirs {
        let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        compile_dir(files, dir);
    }
    for n in [1, 7, 50] {
        compile_dir(
            vec![(
                "main.hcl".into(),
                eksfed_compiler::synthetic::stack(n, "123456789012"),
            )],
            PathBuf::from("."),
        );
    }
    assert!(checked >= 40, "{checked}");
}

/// A node role (type EC2_LINUX) in `both` mode: the access entry leaves username and groups
/// to EKS, and the `aws-auth` item carries what EKS would assign, as the ConfigMap needs.
#[test]
fn node_role_renders_node_identity_for_aws_auth_only() {
    let text = r#"
stack "s" {
  account_id = "111122223333"
}
cluster "prod" {
  name        = "prod"
  access_mode = "both"
}
access "nodes" {
  cluster  = cluster.prod
  role_arn = "arn:aws:iam::111122223333:role/eks/nodes"
  type     = "EC2_LINUX"
}
"#;
    let c = compile_text(text);
    let r = render::render(c.desired.as_ref().unwrap());
    let RenderedKind::Access {
        aws_auth,
        access_entry,
        ..
    } = &r.resources[0].kind
    else {
        panic!("not an access: {:?}", r.resources[0]);
    };
    let item = aws_auth.as_ref().unwrap();
    assert_eq!(
        item.rolearn.as_deref(),
        Some("arn:aws:iam::111122223333:role/nodes")
    );
    assert_eq!(
        item.username.as_deref(),
        Some("system:node:{{EC2PrivateDNSName}}")
    );
    assert_eq!(item.groups, ["system:bootstrappers", "system:nodes"]);
    let entry = access_entry.as_ref().unwrap();
    assert_eq!(entry.entry_type, "EC2_LINUX");
    assert!(entry.username.is_none() && entry.kubernetes_groups.is_empty());
}

/// The markdown plan as a renderer (GitHub-flavoured: tables, HTML blocks) shows it: one table
/// row per change, each change's diff a `diff` code block inside its `<details>`, and a `|`
/// in a for_each key or a lint message kept inside its cell.
#[test]
fn markdown_plan_renders_as_tables_and_details() {
    use pulldown_cmark::{html, Options, Parser};
    let text = r#"
stack "s" {
  account_id = "111122223333"
}
role "app" {
  for_each = toset(["a|b", "plain"])
  name     = "app-${replace(each.key, "|", "-")}"
  trust_aws { principals = ["arn:aws:iam::111122223333:root"] }
  inline_policy "all" {
    statement {
      actions   = ["*"]
      resources = ["*"]
    }
  }
}
"#;
    let c = compile_text(text);
    let empty = LiveState {
        account_id: "111122223333".into(),
        objects: vec![],
    };
    let (mut p, _) = plan(&c, &empty);
    // As `eksfed plan` fills them in, each message given a `|`.
    p.diagnostics = c
        .diagnostics
        .iter()
        .map(|d| {
            let mut j = c.sources.to_json(d);
            j["message"] = json!(format!("{} (a | b)", j["message"].as_str().unwrap()));
            j
        })
        .collect();
    assert!(!p.diagnostics.is_empty(), "the stack has lint findings");
    let md = eksfed_compiler::output::report::markdown(&p, None).unwrap();
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(&md, Options::ENABLE_TABLES));
    let all: Vec<&str> = out.split("<table>").skip(1).collect();
    assert_eq!(
        all.len(),
        3,
        "a security review table, a change table and a findings table:\n{out}"
    );
    let rows = |t: &str| t.split("</table>").next().unwrap().matches("<tr>").count();
    // The security review comes first: one row per item (two new roles, each trusted by the
    // account and allowed every action), with action "*" shown literally.
    let items: usize = p.changes.iter().map(|c| c.security.len()).sum();
    assert_eq!(items, 4, "{:?}", p.changes);
    assert_eq!(rows(all[0]), 1 + items, "{out}");
    assert!(out.contains("role.app[\"plain\"] may now * on *"), "{out}");
    assert!(out.find("Security review") < out.find("<table>"), "{out}");
    let tables = &all[1..];
    assert_eq!(
        rows(tables[0]),
        1 + 2,
        "header + one row per change:\n{out}"
    );
    assert_eq!(rows(tables[1]), 1 + p.diagnostics.len(), "{out}");
    // The `|` stayed in its cell: four cells in every row of the change table.
    for row in tables[0].split("<tr>").skip(2) {
        assert_eq!(row.matches("<td").count(), 4, "{row}");
    }
    assert!(out.contains(r#"<code>role.app["a|b"]</code>"#), "{out}");
    assert!(out.contains("(a | b)"), "{out}");
    // A message about action "*" stays literal, not emphasis.
    assert!(!out.contains("<em>"), "{out}");
    assert!(out.contains(r#"allows action "*": every action"#), "{out}");
    assert_eq!(out.matches("<details>").count(), 2, "{out}");
    assert_eq!(
        out.matches(r#"<pre><code class="language-diff">"#).count(),
        2,
        "{out}"
    );
}

/// Service accounts and bindings created into a namespace that is not there: a warning each,
/// unless the namespace exists or a service account of the same plan creates it.
#[test]
fn missing_namespaces_are_warned_unless_created_by_the_plan() {
    use eksfed_compiler::plan::diff::{missing_namespaces, namespaces_to_check};
    let text = r#"
stack "s" {
  account_id = "111122223333"
}
cluster "prod" {
  name            = "prod"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF"
}
role "app" {
  trust_service_account {
    cluster   = cluster.prod
    namespace = "apps"
    names     = ["app"]
  }
  trust_service_account {
    cluster   = cluster.prod
    namespace = "jobs"
    names     = ["job"]
  }
}
service_account "app" {
  cluster   = cluster.prod
  namespace = "apps"
  name      = "app"
  role      = role.app
}
service_account "job" {
  cluster          = cluster.prod
  namespace        = "jobs"
  name             = "job"
  role             = role.app
  create_namespace = true
}
rbac_binding "view" {
  cluster      = cluster.prod
  subjects     = [{ kind = "Group", name = "viewers" }]
  cluster_role = "view"
  namespaces   = ["apps", "jobs", "ops"]
}
"#;
    let c = compile_text(text);
    let (p, _) = plan(
        &c,
        &LiveState {
            account_id: "111122223333".into(),
            objects: vec![],
        },
    );
    let d = c.desired.as_ref().unwrap();
    // "jobs" is created by service_account.job: not looked up.
    let check = namespaces_to_check(d, &p);
    let want: std::collections::BTreeSet<String> =
        ["apps", "ops"].iter().map(|s| s.to_string()).collect();
    assert_eq!(check.get("prod"), Some(&want), "{check:?}");
    let warned = |existing: &[&str]| -> Vec<String> {
        let mut m = BTreeMap::new();
        m.insert(
            "prod".to_string(),
            existing.iter().map(|s| s.to_string()).collect(),
        );
        missing_namespaces(d, &p, &m, &[])
            .iter()
            .map(|x| {
                assert_eq!(x.code, "W0703");
                assert!(!x.is_error());
                format!("{} {}", x.address.clone().unwrap_or_default(), x.message)
            })
            .collect()
    };
    let none = warned(&[]);
    assert_eq!(none.len(), 3, "{none:#?}");
    assert!(
        none.iter()
            .any(|w| w.starts_with("service_account.app namespace `apps`")),
        "{none:#?}"
    );
    assert!(none
        .iter()
        .any(|w| w.starts_with("rbac_binding.view namespace `ops`")));
    assert_eq!(warned(&["apps"]).len(), 1);
    assert!(warned(&["apps", "ops"]).is_empty());
    // A cluster whose namespaces could not be listed is not warned about.
    assert!(missing_namespaces(d, &p, &BTreeMap::new(), &["prod".to_string()]).is_empty());
    // A plan with nothing to create checks nothing.
    let (p2, _) = plan(&c, &perfect_live(&c));
    assert!(namespaces_to_check(d, &p2).is_empty());
}

/// A console edit shown as a reviewer needs it: an inline policy added by hand appears as its
/// own removed document, the changed one as its own diff, and tags that only came back in
/// another order show no change.
#[test]
fn update_text_shows_each_inline_policy_and_ignores_key_order() {
    let c = compiled();
    let mut live = perfect_live(&c);
    edit(&mut live, "iam:role:reports-reader", |k| {
        if let RenderedKind::Role {
            inline_policies,
            tags,
            ..
        } = k
        {
            inline_policies.insert(
                "sneaky".into(),
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
            );
            // The same tags in reverse order, and one added by hand.
            let reversed: Vec<(String, String)> = tags
                .iter()
                .rev()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            tags.clear();
            tags.extend(reversed);
            tags.insert("owner".into(), "bob".into());
        }
    });
    let (p, _) = plan(&c, &live);
    assert_eq!(action(&p, "role.reports_reader"), Action::Update);
    let text = eksfed_compiler::output::report::text(&p, false);
    assert!(text.contains(r#"- inline_policies["sneaky"]:"#), "{text}");
    assert!(text.contains(r#"-         "s3:*""#), "{text}");
    // The tags diff is the one added tag: the reordered ones are not lines of it.
    let tags_diff: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("~ tags:"))
        .skip(1)
        .take_while(|l| !l.contains("inline_policies"))
        .filter(|l| l.trim_start().starts_with(['+', '-']))
        .collect();
    assert_eq!(tags_diff.len(), 1, "{text}");
    assert!(tags_diff[0].contains(r#""owner": "bob""#), "{text}");
    assert!(
        !text.contains(r#"inline_policies["extra"]"#),
        "unchanged:\n{text}"
    );
}
