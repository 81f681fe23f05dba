//! `eksfed access`: who can reach what. Offline from the stack alone; with `--live` from the
//! live IAM, `aws-auth`, access entries and bindings as well, including objects the stack does
//! not own. Read-only: it never takes the lock and never writes. The model and its drawing are
//! the compiler's (`eksfed_compiler::review::access_model`).

use crate::cli::Common;
use crate::commands::{compile_dir, report_diagnostics};
use anyhow::{bail, Result};
use eksfed_compiler::desired::compile::Facts;
use eksfed_compiler::desired::model::DesiredState;
use eksfed_compiler::plan::live::ANY_KEY;
use eksfed_compiler::review::access_model::{self, AccessModel, Query};
use eksfed_runtime::state;
use eksfed_runtime::workflow;
use std::path::Path;

#[derive(Copy, Clone, PartialEq, Eq, clap::ValueEnum)]
pub enum AccessFormat {
    Text,
    Json,
    Mermaid,
}

/// The flags of `eksfed access`.
pub struct AccessArgs<'a> {
    pub live: bool,
    pub cluster: Option<&'a str>,
    pub format: AccessFormat,
    pub who_can: Option<&'a str>,
    pub identity: Option<&'a str>,
}

pub fn run(dir: &Path, args: &AccessArgs<'_>, common: &Common) -> Result<u8> {
    let query = match (args.who_can, args.identity) {
        (Some(_), Some(_)) => bail!("--who-can and --identity ask different questions: give one"),
        (Some(w), None) => Query::who_can(w).map_err(anyhow::Error::msg)?,
        (None, Some(i)) => Query::Identity(i.to_string()),
        (None, None) => Query::All,
    };
    let first = compile_dir(dir, common, Facts::default())?;
    if report_diagnostics(&first, true) {
        return Ok(1);
    }
    let Some(d0) = &first.desired else {
        bail!("the stack has no resources")
    };
    if let Some(c) = args.cluster {
        if !access_model::clusters(d0)
            .iter()
            .any(|x| x.label == c || x.name == c)
        {
            bail!("--cluster {c}: the stack has no such cluster");
        }
    }
    let (model, clusters, secrets) = if args.live {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        match rt.block_on(live_model(dir, common))? {
            Some(m) => m,
            None => return Ok(1),
        }
    } else {
        (
            access_model::from_desired(d0),
            access_model::clusters(d0),
            first.sensitive.secrets.clone(),
        )
    };
    let selected = access_model::select(&model, &clusters, args.cluster, &query);
    print(&selected, args.format, common, &secrets)?;
    Ok(0)
}

/// Prints the model; values derived from `sensitive` variables are shown redacted.
fn print(m: &AccessModel, format: AccessFormat, common: &Common, secrets: &[String]) -> Result<()> {
    let hide = |s: String| eksfed_compiler::desired::redact::redact_text(&s, secrets);
    match format {
        AccessFormat::Text => print!("{}", hide(access_model::text(m))),
        AccessFormat::Json => println!(
            "{}",
            hide(serde_json::to_string_pretty(&access_model::json(m))?)
        ),
        AccessFormat::Mermaid => print!("{}", hide(access_model::mermaid(m))),
    }
    if format != AccessFormat::Text && !common.quiet {
        for l in &m.limits {
            eprintln!("note: {l}");
        }
    }
    Ok(())
}

/// Compiles with the live facts (account, issuers), then reads every object of the account
/// and of the stack's clusters, owned or not. With the model, the texts its outputs hide:
/// what derives from sensitive variables, and the live values at the same places (an
/// earlier value of the variable, written by an earlier apply).
async fn live_model(
    dir: &Path,
    common: &Common,
) -> Result<Option<(AccessModel, Vec<access_model::ClusterInfo>, Vec<String>)>> {
    let inputs = crate::commands::plan_inputs(dir, common, false)?;
    let hooks = crate::session::CliHooks::new(common, false);
    let Some(workflow::LiveCompiled {
        compiled,
        aws,
        account,
        ..
    }) = workflow::compile_live(&inputs, &hooks).await?
    else {
        return Ok(None);
    };
    let Some(desired) = &compiled.desired else {
        return Ok(None);
    };
    let targets = workflow::clusters_of(desired);
    let scope = read_scope(desired, &targets);
    let conn = state::connect(aws, &scope, &targets).await?;
    let live = state::read(&conn, &desired.stack.name, &account, &scope, &targets).await?;
    let rbac = state::read_rbac_roles(&conn, &scope).await?;
    let secrets = match &compiled.graph {
        Some(graph) if !compiled.sensitive.secrets.is_empty() => {
            let options = eksfed_compiler::plan::diff::DiffOptions {
                targets: vec![],
                destroy: false,
            };
            let (mut plan, _) = eksfed_compiler::plan::diff::diff(desired, graph, &live, &options);
            eksfed_compiler::desired::sensitive::mark(&mut plan, &compiled.sensitive);
            eksfed_compiler::desired::sensitive::secrets_with_live(&plan, &compiled.sensitive)
        }
        _ => compiled.sensitive.secrets.clone(),
    };
    Ok(Some((
        access_model::from_live(desired, &live, &rbac),
        access_model::clusters(desired),
        secrets,
    )))
}

/// Everything: all of IAM, every declared cluster's Kubernetes side, and the EKS side where
/// access entries or pod identity are used.
fn read_scope(
    desired: &DesiredState,
    targets: &std::collections::BTreeMap<String, eksfed_compiler::plan::ClusterTarget>,
) -> state::Scope {
    let rendered = eksfed_compiler::plan::render::render(desired);
    let mut scope = state::scope(rendered.resources.iter().map(|r| &r.kind), targets);
    scope.iam = true;
    scope.wanted = [ANY_KEY.to_string()].into_iter().collect();
    for (label, c) in targets {
        scope.kube.insert(label.clone());
        if c.access_mode.uses_access_entries() {
            scope.eks.insert(label.clone());
        }
    }
    scope
}
