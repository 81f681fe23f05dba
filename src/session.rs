//! The plan/apply flow of the CLI: compile, connect, read, diff, confirm, lock, execute,
//! summarise. The work itself is in the compiler (diff, report) and the runtime (IO).

use crate::commands::{compile_dir, compile_with, report_diagnostics, var_inputs};
use crate::Common;
use anyhow::{bail, Context, Result};
use eksfed_compiler::diff::{diff, DiffOptions};
use eksfed_compiler::integrity::Verdict;
use eksfed_compiler::model::{DesiredState, ResourceKind};
use eksfed_compiler::plan::{
    Action, ClusterTarget, NamedText, Plan, PlanFacts, PlanSource, ABSENT, PLAN_FORMAT_VERSION,
};
use eksfed_compiler::{Address, Compiled, Facts, VarInputs};
use eksfed_runtime::apply::{ApplyOptions, Outcome};
use eksfed_runtime::aws::AwsClients;
use eksfed_runtime::state::{self, Connections, Scope};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct Planned {
    pub plan: Plan,
    pub conn: Connections,
    pub scope: Scope,
}

pub(crate) fn clusters_of(d: &DesiredState) -> BTreeMap<String, ClusterTarget> {
    d.resources
        .iter()
        .filter_map(|r| match &r.kind {
            ResourceKind::Cluster(c) => Some((
                eksfed_compiler::render::cluster_key(&r.address),
                ClusterTarget {
                    name: c.name.clone(),
                    region: c.region.clone(),
                    kube_context: c.kube_context.clone(),
                    access_mode: c.access_mode,
                },
            )),
            _ => None,
        })
        .collect()
}

/// Compiles and plans a directory. `None` when the stack has errors (already printed).
pub async fn plan_dir(dir: &Path, common: &Common, destroy: bool) -> Result<Option<Planned>> {
    plan_with(dir, common, var_inputs(common)?, destroy).await
}

/// A stack compiled with the facts only the live account gives: its id (the stack's, the
/// flag's, or STS's) and the issuers of clusters that do not write theirs (DescribeCluster).
pub(crate) struct LiveCompiled {
    pub compiled: Compiled,
    pub aws: AwsClients,
    pub account: String,
    pub issuers: BTreeMap<String, String>,
}

/// Compiles once offline, learns the facts, compiles again with them. `None` when the stack
/// has errors (already printed).
pub(crate) async fn compile_live(
    dir: &Path,
    common: &Common,
    vars: &VarInputs,
) -> Result<Option<LiveCompiled>> {
    let first = compile_with(dir, vars.clone(), common, Facts::default())?;
    if report_diagnostics(&first, common.quiet) {
        return Ok(None);
    }
    let Some(d0) = &first.desired else {
        return Ok(None);
    };
    let aws = eksfed_runtime::aws::clients(&(&d0.aws).into()).await;
    let account = match d0
        .stack
        .account_id
        .clone()
        .or_else(|| common.account_id.clone())
    {
        Some(a) => a,
        None => eksfed_runtime::aws::account_id(&aws).await?,
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
    let compiled = compile_with(
        dir,
        vars.clone(),
        common,
        Facts {
            account_id: Some(account.clone()),
            cluster_issuers: issuers.clone().into_iter().collect(),
        },
    )?;
    if compiled.diagnostics.has_errors() {
        report_diagnostics(&compiled, common.quiet);
        return Ok(None);
    }
    Ok(Some(LiveCompiled {
        compiled,
        aws,
        account,
        issuers,
    }))
}

/// [`plan_dir`] with these variable values (the flags', or a saved plan's).
async fn plan_with(
    dir: &Path,
    common: &Common,
    vars: VarInputs,
    destroy: bool,
) -> Result<Option<Planned>> {
    let Some(LiveCompiled {
        compiled,
        aws,
        account,
        issuers,
    }) = compile_live(dir, common, &vars).await?
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
        let live_account = eksfed_runtime::aws::account_id(&aws).await.with_context(|| {
            format!("cannot check that the credentials are for the stack's account {a}; nothing was read or changed")
        })?;
        if &live_account != a {
            bail!(
                "the stack is for account {a}, but the credentials are for account {live_account}"
            );
        }
    }
    let rendered = eksfed_compiler::render::render(desired);
    let clusters = clusters_of(desired);
    let existing = eksfed_compiler::adopt::rendered_existing(desired);
    let scope = state::scope(
        rendered.resources.iter().chain(&existing).map(|r| &r.kind),
        &clusters,
    );
    let conn = state::connect(aws, &scope, &clusters).await?;
    let reading = crate::progress::Reading::start(crate::progress::reading_what(&scope), common);
    let live = state::read(&conn, &desired.stack.name, &account, &scope, &clusters).await?;
    drop(reading);
    let mut targets = vec![];
    for t in &common.targets {
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
    let (mut plan, diags) = diff(desired, graph, &live, &DiffOptions { targets, destroy });
    eksfed_compiler::sensitive::mark(&mut plan, &compiled.sensitive);
    if diags.has_errors() {
        for d in diags.iter() {
            eprint!("{}", compiled.sources.render(d));
        }
        return Ok(None);
    }
    // Service accounts and bindings created into a namespace that is not there (and that
    // eksfed will not create) would fail at apply: say so now. Costs one LIST of namespaces
    // per cluster, only when the plan creates such objects.
    // Only a hint: where namespaces cannot be listed (RBAC), that cluster is not checked.
    let mut existing = BTreeMap::new();
    let mut unchecked = vec![];
    for cluster in eksfed_compiler::diff::namespaces_to_check(desired, &plan).into_keys() {
        let listed = match conn.kube(&cluster) {
            Ok(client) => eksfed_runtime::k8s::namespaces(client).await,
            Err(e) => Err(e),
        };
        match listed {
            Ok(names) => {
                existing.insert(cluster, names);
            }
            Err(e) => {
                if !common.quiet {
                    eprintln!("note: cluster `{cluster}`: namespaces not checked ({e:#})");
                }
                unchecked.push(cluster);
            }
        }
    }
    let late = eksfed_compiler::diff::missing_namespaces(desired, &plan, &existing, &unchecked);
    if !common.quiet {
        for d in late.iter() {
            eprint!("{}", compiled.sources.render(d));
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
    plan.source = Some(PlanSource {
        dir: std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .display()
            .to_string(),
        vars: named(&vars.cli),
        var_files: named(&vars.files),
        env_vars: named(&vars.env),
        account_id_flag: common.account_id.clone(),
        targets: common.targets.clone(),
        facts: PlanFacts {
            account_id: account,
            cluster_issuers: issuers.into_iter().collect(),
        },
    });
    Ok(Some(Planned { plan, conn, scope }))
}

/// Loads a saved plan and checks it is what its configuration gives (DSL.md "Saved plans
/// apply only what the configuration says"): the recorded configuration (or `--stack DIR`)
/// is planned again, reading only, and the two plans are compared (`integrity`). Nothing is
/// written before this passes.
pub async fn load_saved_plan(
    path: &Path,
    stack: Option<&Path>,
    common: &Common,
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
    let vars = VarInputs {
        cli: pairs(&source.vars),
        files: pairs(&source.var_files),
        env: pairs(&source.env_vars),
    };
    let again = Common {
        targets: source.targets.clone(),
        account_id: source.account_id_flag.clone(),
        quiet: true,
        no_color: common.no_color,
        ..Common::default()
    };
    let Some(fresh) = plan_with(&dir, &again, vars, false).await? else {
        bail!(
            "the stack in {} does not compile to a plan (see above); the saved plan was not applied, nothing was changed",
            dir.display()
        );
    };
    match eksfed_compiler::integrity::verdict(&plan, &fresh.plan) {
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

/// Saved plans: refuse when any live object the plan read has moved since.
async fn check_not_stale(p: &Planned, common: &Common) -> Result<()> {
    let _reading = crate::progress::Reading::start(crate::progress::reading_what(&p.scope), common);
    let live = state::read(
        &p.conn,
        &p.plan.stack,
        &p.plan.account_id,
        &p.scope,
        &p.plan.clusters,
    )
    .await?;
    let mut moved = vec![];
    for (key, fp) in &p.plan.read {
        let now = live
            .get(key)
            .map(|o| o.fingerprint.as_str())
            .unwrap_or(ABSENT);
        if now != fp {
            moved.push(key.clone());
        }
    }
    if !moved.is_empty() {
        bail!(
            "the saved plan is stale: {} live object(s) changed since it was made ({}); nothing was changed. Run `eksfed plan` again.",
            moved.len(),
            moved.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

fn confirm(plan: &Plan) -> Result<bool> {
    print!("\nDo you want to perform these actions on stack `{}`?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", plan.stack);
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

/// `replan`: the directory (and whether this is a destroy) to plan again under the lock.
pub async fn execute(
    planned: Planned,
    auto: bool,
    parallelism: usize,
    lock_timeout: Duration,
    common: &Common,
    saved: bool,
    replan: Option<(&Path, bool)>,
) -> Result<u8> {
    let plan = planned.plan.clone();
    let plan = &plan;
    if !saved && !common.quiet {
        print!(
            "{}",
            eksfed_compiler::report::text(plan, crate::commands::color(common))
        );
    }
    if !plan.has_changes() {
        if saved {
            println!("No changes. The saved plan has nothing to apply.");
        }
        return Ok(0);
    }
    if !saved && !auto && !confirm(plan)? {
        println!("Apply cancelled.");
        return Ok(1);
    }
    // Locks: one Lease per cluster the stack touches, taken before anything is read again.
    let holder = format!("{}-{}-{:08x}", hostname(), std::process::id(), rand_u32());
    let mut locks = vec![];
    for label in &planned.scope.kube {
        let client = planned.conn.kube(label)?;
        locks.push(
            eksfed_runtime::lease::acquire(client, &plan.stack, &holder, lock_ttl(), lock_timeout)
                .await?,
        );
    }
    let result = match settle_after_lock(planned, saved, auto, replan, common).await {
        Ok(Some(p)) => {
            let destroying = replan.is_some_and(|(_, destroy)| destroy);
            run_locked(&p, parallelism, common, destroying).await
        }
        Ok(None) => Ok(0),
        Err(e) => Err(e),
    };
    for l in locks {
        if let Err(e) = l.release().await {
            eprintln!("warning: could not release the lock: {e:#}");
        }
    }
    result
}

/// Once the lock is held, the plan must still describe the live state: another apply may
/// have run while we waited. A saved plan (or an interactively approved one) is refused if
/// anything moved; with --auto-approve a directory is planned again under the lock.
async fn settle_after_lock(
    planned: Planned,
    saved: bool,
    auto: bool,
    replan: Option<(&Path, bool)>,
    common: &Common,
) -> Result<Option<Planned>> {
    match check_not_stale(&planned, common).await {
        Ok(()) => Ok(Some(planned)),
        Err(e) if saved || !auto => Err(e),
        Err(_) => {
            let Some((dir, destroy)) = replan else {
                return Ok(Some(planned));
            };
            println!("The live state changed while waiting for the lock; planning again.");
            let Some(fresh) = plan_dir(dir, common, destroy).await? else {
                bail!("the stack no longer plans cleanly")
            };
            if !common.quiet {
                print!(
                    "{}",
                    eksfed_compiler::report::text(&fresh.plan, crate::commands::color(common))
                );
            }
            Ok(fresh.plan.has_changes().then_some(fresh))
        }
    }
}

async fn run_locked(
    planned: &Planned,
    parallelism: usize,
    common: &Common,
    destroying: bool,
) -> Result<u8> {
    let plan = &planned.plan;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\nInterrupt received: finishing the changes in flight, starting no new ones."
                );
                cancel.store(true, Ordering::SeqCst);
            }
        });
    }
    let display = crate::progress::ApplyDisplay::new(plan, common);
    let progress = display.hook();
    let opts = ApplyOptions {
        parallelism,
        cancel: cancel.clone(),
        progress,
    };
    let results = eksfed_runtime::apply::apply(plan, Arc::new(planned.conn.clone()), &opts).await;
    display.finish();
    let count = |a: Action| {
        results
            .iter()
            .filter(|r| r.action == a && r.outcome == Outcome::Done)
            .count()
    };
    let failed: Vec<_> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .collect();
    let skipped = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Skipped(_)))
        .count();
    let imported = results
        .iter()
        .filter(|r| r.outcome == Outcome::Done)
        .filter(|r| {
            plan.changes
                .iter()
                .any(|c| c.address == r.address && c.importing.is_some())
        })
        .count();
    let summary = format!(
        "Resources: {}{} added, {} changed, {} replaced, {} destroyed.",
        match imported {
            0 => String::new(),
            n => format!("{n} imported, "),
        },
        count(Action::Create),
        count(Action::Update),
        count(Action::Replace),
        count(Action::Delete)
    );
    let verb = if destroying { "Destroy" } else { "Apply" };
    if failed.is_empty() && skipped == 0 {
        println!("\n{verb} complete! {summary}");
        Ok(0)
    } else {
        println!(
            "\n{verb} incomplete: {} failed, {skipped} not attempted. {summary}",
            failed.len()
        );
        for f in failed {
            if let Outcome::Failed(e) = &f.outcome {
                println!("  {}: {e}", f.address);
            }
        }
        println!("Nothing else was changed. Fix the cause and run apply again: it converges from where this stopped.");
        Ok(1)
    }
}

/// How long a lock outlives a process that stopped renewing it (killed): 30 s, or
/// `EKSFED_LOCK_TTL_SECS`. A live apply renews it every third of that.
fn lock_ttl() -> Duration {
    let secs = std::env::var("EKSFED_LOCK_TTL_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30u64);
    Duration::from_secs(secs.max(1))
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "host".into())
}

fn rand_u32() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    t ^ std::process::id().rotate_left(16)
}

/// `eksfed import DIR ADDRESS ID`: adds the ownership mark to an existing object.
pub async fn import(dir: &Path, addr: &str, id: &str, common: &Common) -> Result<u8> {
    let compiled = compile_dir(dir, common, Facts::default())?;
    if report_diagnostics(&compiled, true) {
        return Ok(1);
    }
    let Some(desired) = &compiled.desired else {
        return Ok(1);
    };
    let a = Address::parse(addr)
        .with_context(|| format!("`{addr}` is not an address like role.NAME"))?;
    let Some(res) = desired.get(&a) else {
        let all: Vec<String> = desired
            .resources
            .iter()
            .map(|r| r.address.to_string())
            .collect();
        let hint = eksfed_compiler::eval::suggest(addr, all.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        bail!("no resource `{addr}` in the stack{hint}");
    };
    if res.is_existing() {
        bail!("`{addr}` is `existing = true`: it is only read, never owned; remove `existing = true` to manage it");
    }
    let stack = desired.stack.name.clone();
    let aws = eksfed_runtime::aws::clients(&(&desired.aws).into()).await;
    let clusters = clusters_of(desired);
    let kind = a.kind.as_str();
    match &res.kind {
        ResourceKind::OidcProvider(_)
        | ResourceKind::SamlProvider(_)
        | ResourceKind::Policy(_)
        | ResourceKind::Role(_) => {
            eksfed_runtime::iam::adopt(&aws.iam, &stack, kind, id).await?;
        }
        ResourceKind::Cluster(_) => bail!("clusters are read, never owned: nothing to import"),
        _ => {
            let cluster_addr = res.cluster().cloned().context("no cluster")?;
            let label = eksfed_compiler::render::cluster_key(&cluster_addr);
            let target = clusters.get(&label).context("unknown cluster")?;
            let uses_entries = matches!(&res.kind, ResourceKind::Access(_))
                && target.access_mode.uses_access_entries();
            let pod_identity = matches!(&res.kind, ResourceKind::ServiceAccount(s) if s.mode == eksfed_compiler::model::ServiceAccountMode::PodIdentity);
            if uses_entries || pod_identity {
                eksfed_runtime::eks::adopt(&aws.eks, &target.name, &stack, kind, id).await?;
            }
            if !uses_entries
                || target.access_mode.uses_aws_auth()
                || !matches!(&res.kind, ResourceKind::Access(_))
            {
                let client = state::kube_client(target.kube_context.as_deref()).await?;
                eksfed_runtime::k8s::adopt(&client, &label, &stack, kind, id).await?;
            }
        }
    }
    println!("Imported {id} as {addr} into stack `{stack}`. Run `eksfed plan` to see what remains different.");
    Ok(0)
}
