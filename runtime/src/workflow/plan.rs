//! Making a plan: compile offline (errors stop here, before any network call), learn the
//! account and cluster issuers, compile again with them, connect, read the live state, diff;
//! and loading a saved plan, checked against the plan its configuration gives now.

use super::hooks::{Event, Hooks, PlanInputs, Reading};
use crate::aws::AwsClients;
use crate::source::{read_stack_tracked, FsReader};
use crate::state::{self, Connections, Scope};
use anyhow::{bail, Context, Result};
use eksfed_compiler::desired::model::{DesiredState, ResourceKind};
use eksfed_compiler::plan::diff::{diff, DiffOptions};
use eksfed_compiler::plan::integrity::Verdict;
use eksfed_compiler::plan::{
    ClusterTarget, NamedText, Plan, PlanFacts, PlanSource, PLAN_FORMAT_VERSION,
};
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs, diag::Diagnostic,
    language::value::Address,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A plan and what it was read through (the lock and the re-check use them).
pub struct Planned {
    pub plan: Plan,
    pub conn: Connections,
    pub scope: Scope,
}

/// Reads and compiles a stack directory; `account_id` (the flag) is the account when
/// `facts` has none. Files are confined to the stack's workspace root (the stack directory
/// when it is in no workspace); `untrusted` (`--untrusted`) reads only files git tracks there.
pub fn compile_stack(
    dir: &Path,
    vars: VarInputs,
    account_id: Option<&str>,
    facts: Facts,
    untrusted: bool,
) -> Result<Compiled> {
    let loc = crate::workspace::locate(dir)?;
    let tracked = if untrusted {
        Some(crate::workspace::tracked(&loc.root)?)
    } else {
        None
    };
    let stack = read_stack_tracked(dir, tracked.as_ref())?;
    let mut facts = facts;
    if facts.account_id.is_none() {
        facts.account_id = account_id.map(String::from);
    }
    let reader = FsReader {
        base: dir.to_path_buf(),
        root: loc.confine.clone(),
        tracked,
    };
    let mut compiled = compile(CompileInput {
        files: stack.files,
        reader: &reader,
        vars,
        facts,
    });
    for path in &stack.outside {
        let d = eksfed_compiler::language::confine::outside_stack(&mut compiled.sources, path);
        compiled.refuse(d);
    }
    for (path, size) in &stack.too_large {
        let d = eksfed_compiler::language::load::too_large(&mut compiled.sources, path, *size);
        compiled.refuse(d);
    }
    for path in &stack.untracked {
        let d = eksfed_compiler::language::confine::untracked_file(&mut compiled.sources, path);
        compiled.refuse(d);
    }
    crate::workspace::check(&mut compiled, &loc, dir, reader.tracked.as_ref());
    Ok(compiled)
}

/// The diagnostics worth showing: not the allowed ones, and only errors when `quiet`.
pub fn shown_diagnostics(c: &Compiled, quiet: bool) -> impl Iterator<Item = &Diagnostic> {
    c.diagnostics
        .iter()
        .filter(move |d| !d.allowed && (!quiet || d.is_error()))
}

/// Shows the diagnostics worth showing; whether there were errors.
fn report(c: &Compiled, quiet: bool, hooks: &dyn Hooks) -> bool {
    for d in shown_diagnostics(c, quiet) {
        hooks.diagnostic(&c.sources, d);
    }
    c.diagnostics.has_errors()
}

/// The clusters of a desired state, by label.
pub fn clusters_of(d: &DesiredState) -> BTreeMap<String, ClusterTarget> {
    ClusterTarget::all_of(d)
}

/// A stack compiled with the facts only the live account gives: its id (the stack's, the
/// flag's, or STS's) and the issuers of clusters that do not write theirs (DescribeCluster).
pub struct LiveCompiled {
    pub compiled: Compiled,
    pub aws: AwsClients,
    pub account: String,
    pub issuers: BTreeMap<String, String>,
}

/// Compiles once offline, learns the facts, compiles again with them. `None` when the stack
/// has errors (shown through the hooks).
pub async fn compile_live(inputs: &PlanInputs, hooks: &dyn Hooks) -> Result<Option<LiveCompiled>> {
    let dir = inputs.dir.as_path();
    let account_flag = inputs.account_id.as_deref();
    let first = compile_stack(
        dir,
        inputs.vars.clone(),
        account_flag,
        Facts::default(),
        inputs.untrusted,
    )?;
    if report(&first, inputs.quiet, hooks) {
        return Ok(None);
    }
    let Some(d0) = &first.desired else {
        return Ok(None);
    };
    let aws = crate::aws::clients(&(&d0.aws).into()).await;
    let account = match d0
        .stack
        .account_id
        .clone()
        .or_else(|| inputs.account_id.clone())
    {
        Some(a) => a,
        None => crate::aws::account_id(&aws).await?,
    };
    let unknown: Vec<(String, String)> = d0
        .resources
        .iter()
        .filter_map(|r| match &r.kind {
            ResourceKind::Cluster(c) if c.oidc_issuer_url.is_none() => {
                Some((r.address.to_string(), c.name.clone()))
            }
            _ => None,
        })
        .collect();
    let issuers = if unknown.is_empty() {
        Default::default()
    } else {
        state::describe_issuers(&aws, &unknown).await?
    };
    let compiled = compile_stack(
        dir,
        inputs.vars.clone(),
        account_flag,
        Facts {
            account_id: Some(account.clone()),
            cluster_issuers: issuers.clone().into_iter().collect(),
        },
        inputs.untrusted,
    )?;
    if compiled.diagnostics.has_errors() {
        report(&compiled, inputs.quiet, hooks);
        return Ok(None);
    }
    Ok(Some(LiveCompiled {
        compiled,
        aws,
        account,
        issuers,
    }))
}

/// Compiles and plans a stack directory. `None` when the stack has errors (shown through
/// the hooks).
pub async fn plan(inputs: &PlanInputs, hooks: &dyn Hooks) -> Result<Option<Planned>> {
    plan_reading(inputs, hooks, Reading::Plan).await
}

/// [`plan`], saying why the live state is read.
pub(super) async fn plan_reading(
    inputs: &PlanInputs,
    hooks: &dyn Hooks,
    why: Reading,
) -> Result<Option<Planned>> {
    let Some(LiveCompiled {
        compiled,
        aws,
        account,
        issuers,
    }) = compile_live(inputs, hooks).await?
    else {
        return Ok(None);
    };
    let Some(desired) = &compiled.desired else {
        return Ok(None);
    };
    let Some(graph) = &compiled.graph else {
        return Ok(None);
    };
    if let Some(a) = &desired.stack.account_id {
        // Fail closed: a stack for one account is never planned (or applied) with credentials
        // whose account is not known.
        let live_account = crate::aws::account_id(&aws).await.with_context(|| {
            format!("cannot check that the credentials are for the stack's account {a}; nothing was read or changed")
        })?;
        if &live_account != a {
            bail!(
                "the stack is for account {a}, but the credentials are for account {live_account}"
            );
        }
    }
    let rendered = eksfed_compiler::plan::render::render(desired);
    let clusters = clusters_of(desired);
    let existing = eksfed_compiler::plan::adopt::rendered_existing(desired);
    let scope = state::scope(
        rendered.resources.iter().chain(&existing).map(|r| &r.kind),
        &clusters,
    );
    let conn = state::connect(aws, &scope, &clusters).await?;
    hooks.event(Event::ReadStarted { why, scope: &scope });
    let live = state::read(&conn, &desired.stack.name, &account, &scope, &clusters).await;
    hooks.event(Event::ReadFinished { why });
    let live = live?;
    let targets = targets(inputs, desired)?;
    let destroy = inputs.destroy;
    let (mut plan, diags) = diff(desired, graph, &live, &DiffOptions { targets, destroy });
    eksfed_compiler::desired::sensitive::mark(&mut plan, &compiled.sensitive);
    if diags.has_errors() {
        for d in diags.iter() {
            hooks.diagnostic(&compiled.sources, d);
        }
        return Ok(None);
    }
    // Service accounts and bindings created into a namespace that is not there (and that
    // eksfed will not create) would fail at apply: say so now. Costs one LIST of namespaces
    // per cluster, only when the plan creates such objects.
    // Only a hint: where namespaces cannot be listed (RBAC), that cluster is not checked.
    let mut existing = BTreeMap::new();
    let mut unchecked = vec![];
    for cluster in eksfed_compiler::plan::diff::namespaces_to_check(desired, &plan).into_keys() {
        let listed = match conn.kube(&cluster) {
            Ok(client) => crate::k8s::namespaces(client).await,
            Err(e) => Err(e),
        };
        match listed {
            Ok(names) => {
                existing.insert(cluster, names);
            }
            Err(e) => {
                if !inputs.quiet {
                    hooks.event(Event::Note(format!(
                        "cluster `{cluster}`: namespaces not checked ({e:#})"
                    )));
                }
                unchecked.push(cluster);
            }
        }
    }
    let late =
        eksfed_compiler::plan::diff::missing_namespaces(desired, &plan, &existing, &unchecked);
    if !inputs.quiet {
        for d in late.iter() {
            hooks.diagnostic(&compiled.sources, d);
        }
    }
    plan.diagnostics = compiled
        .diagnostics
        .iter()
        .chain(late.iter())
        .map(|d| compiled.sources.to_json(d))
        .collect();
    let named = |v: &[(String, String)]| {
        v.iter()
            .map(|(name, text)| NamedText {
                name: name.clone(),
                text: text.clone(),
            })
            .collect()
    };
    let dir = inputs.dir.as_path();
    plan.source = Some(PlanSource {
        dir: std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .display()
            .to_string(),
        vars: named(&inputs.vars.cli),
        var_files: named(&inputs.vars.files),
        env_vars: named(&inputs.vars.env),
        account_id_flag: inputs.account_id.clone(),
        targets: inputs.targets.clone(),
        facts: PlanFacts {
            account_id: account,
            cluster_issuers: issuers.into_iter().collect(),
        },
    });
    Ok(Some(Planned { plan, conn, scope }))
}

/// The `--target` addresses as resource addresses (a block address stands for all its
/// instances).
fn targets(inputs: &PlanInputs, desired: &DesiredState) -> Result<Vec<Address>> {
    let mut targets = vec![];
    for t in &inputs.targets {
        // A module address targets every resource in it (every instance without a key).
        if let Some((_, "")) = eksfed_compiler::language::value::split_module_prefix(t) {
            let (dot, bracket) = (format!("{t}."), format!("{t}["));
            let inside: Vec<Address> = desired
                .resources
                .iter()
                .filter(|r| {
                    let a = r.address.to_string();
                    a.starts_with(&dot) || (!t.ends_with(']') && a.starts_with(&bracket))
                })
                .map(|r| r.address.clone())
                .collect();
            if inside.is_empty() {
                bail!("--target {t}: no such module in the stack");
            }
            targets.extend(inside);
            continue;
        }
        let a = Address::parse(t)
            .with_context(|| format!("--target {t}: not an address like role.NAME"))?;
        if desired.get(&a).is_none()
            && !desired
                .resources
                .iter()
                .any(|r| r.address.block() == a.block() && a.key.is_none())
        {
            bail!("--target {t}: no such resource in the stack");
        }
        if a.key.is_none() {
            targets.extend(
                desired
                    .resources
                    .iter()
                    .filter(|r| r.address.block() == a.block())
                    .map(|r| r.address.clone()),
            );
        } else {
            targets.push(a);
        }
    }
    Ok(targets)
}

/// Loads a saved plan and checks it is what its configuration gives (a saved plan applies
/// only what the configuration says): the recorded configuration (or `stack`) is
/// planned again, reading only, and the two plans are compared (`integrity`). Nothing is
/// written before this passes.
pub async fn load_saved_plan(
    path: &Path,
    stack: Option<&Path>,
    given: &PlanInputs,
    quiet: bool,
    hooks: &dyn Hooks,
) -> Result<Planned> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let plan: Plan = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an eksfed plan file", path.display()))?;
    if plan.format_version != PLAN_FORMAT_VERSION {
        bail!(
            "{} has plan format {}, this eksfed reads format {PLAN_FORMAT_VERSION}",
            path.display(),
            plan.format_version
        );
    }
    let Some(source) = plan.source.clone() else {
        bail!(
            "{} does not record the configuration it was made from, so it cannot be checked; nothing was changed. Make it again with `eksfed plan --out`.",
            path.display()
        );
    };
    // The inputs the file records are taken on trust only when it is signed with the key the
    // applying side holds; otherwise they must be what apply itself is given.
    match crate::plan_key::key_from_env() {
        Some(key) => crate::plan_key::verify(&plan, &key).map_err(|e| {
            anyhow::anyhow!(
                "{} {e:#}; refusing to apply it, nothing was changed",
                path.display()
            )
        })?,
        None => {
            let differ = inputs_not_given(&source, given);
            if !differ.is_empty() {
                bail!(
                    "{} records inputs apply was not given the same: {}; refusing to apply it, nothing was changed. Give apply the same --var, --var-file, EKSFED_VAR_*, --account-id and --target as plan, or sign plans with {}.",
                    path.display(),
                    differ.join(", "),
                    crate::plan_key::KEY_ENV
                );
            }
        }
    }
    let dir = stack
        .map(Path::to_path_buf)
        .unwrap_or_else(|| source.dir.clone().into());
    if !dir.is_dir() {
        bail!(
            "the plan was made from the stack in {}, which is not a directory here; nothing was changed. Pass the stack's directory with --stack DIR.",
            dir.display()
        );
    }
    let pairs = |v: &[NamedText]| {
        v.iter()
            .map(|n| (n.name.clone(), n.text.clone()))
            .collect::<Vec<_>>()
    };
    let again = PlanInputs {
        dir: dir.clone(),
        vars: VarInputs {
            cli: pairs(&source.vars),
            files: pairs(&source.var_files),
            env: pairs(&source.env_vars),
        },
        targets: source.targets.clone(),
        account_id: source.account_id_flag.clone(),
        destroy: false,
        // Its lints are shown: they are about what is about to be applied.
        quiet,
        // apply runs on trusted changes (a plan of untrusted ones is never applied).
        untrusted: false,
    };
    let Some(fresh) = plan_reading(&again, hooks, Reading::SavedPlanCheck).await? else {
        bail!(
            "the stack in {} does not compile to a plan (see above); the saved plan was not applied, nothing was changed",
            dir.display()
        );
    };
    match eksfed_compiler::plan::integrity::verdict(&plan, &fresh.plan) {
        Verdict::Same => Ok(fresh),
        Verdict::Stale(moved) => bail!(
            "the saved plan is stale: {} live object(s) changed since it was made ({}); nothing was changed. Run `eksfed plan` again.",
            moved.len(),
            moved.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        ),
        Verdict::Edited(diffs) => {
            let mut lines: Vec<String> = diffs.iter().take(10).map(|d| format!("  {d}")).collect();
            if diffs.len() > 10 {
                lines.push(format!("  ... and {} more", diffs.len() - 10));
            }
            bail!(
                "{} is not what the stack in {} compiles to; refusing to apply it, nothing was changed:\n{}",
                path.display(),
                dir.display(),
                lines.join("\n")
            )
        }
    }
}

/// The inputs a saved plan records that differ from those apply is given, named (never with
/// their values, which may be sensitive): `--var NAME`, `--var-file PATH`, `EKSFED_VAR_NAME`,
/// `--account-id`, `--target`.
fn inputs_not_given(source: &PlanSource, given: &PlanInputs) -> Vec<String> {
    let mut differ = vec![];
    let by_name = |recorded: &[NamedText], given: &[(String, String)], flag: &str| {
        let rec: Vec<(String, String)> = recorded
            .iter()
            .map(|n| (n.name.clone(), n.text.clone()))
            .collect();
        if rec == given {
            return vec![];
        }
        let names: BTreeSet<&String> = rec.iter().chain(given).map(|(n, _)| n).collect();
        let values = |l: &[(String, String)], n: &String| {
            l.iter()
                .filter(|(m, _)| m == n)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        let mut out: Vec<String> = names
            .into_iter()
            .filter(|n| values(&rec, n) != values(given, n))
            .map(|n| format!("{flag}{n}"))
            .collect();
        if out.is_empty() {
            out.push(format!("the order of {}", flag.trim()));
        }
        out
    };
    differ.extend(by_name(&source.vars, &given.vars.cli, "--var "));
    differ.extend(by_name(&source.env_vars, &given.vars.env, "EKSFED_VAR_"));
    let recorded_texts: Vec<&String> = source.var_files.iter().map(|n| &n.text).collect();
    let given_texts: Vec<&String> = given.vars.files.iter().map(|(_, t)| t).collect();
    if recorded_texts != given_texts {
        if source.var_files.is_empty() {
            differ.push("--var-file".into());
        }
        differ.extend(
            source
                .var_files
                .iter()
                .map(|n| format!("--var-file {}", n.name)),
        );
    }
    if source.account_id_flag != given.account_id {
        differ.push("--account-id".into());
    }
    if source.targets != given.targets {
        differ.push("--target".into());
    }
    differ
}
