//! One function per command. Each returns the process exit code.

use crate::cli::{Common, DiagFormat, GraphFormat, LintsFormat, PlanFormat};
use crate::session::{self, CliHooks};
use anyhow::{bail, Context, Result};
use eksfed_compiler::{
    desired::compile::Compiled, desired::compile::Facts, desired::compile::VarInputs,
};
use eksfed_runtime::source::{env_vars, read_stack};
use eksfed_runtime::workflow::{self, PlanInputs, Source};
use std::path::Path;
use std::sync::Arc;

/// Reads and compiles a stack with the common flags.
pub fn compile_dir(dir: &Path, common: &Common, facts: Facts) -> Result<Compiled> {
    compile_with(dir, var_inputs(common)?, common, facts)
}

/// Reads and compiles a stack with these variable values (a saved plan's, or the flags').
pub fn compile_with(
    dir: &Path,
    vars: VarInputs,
    common: &Common,
    facts: Facts,
) -> Result<Compiled> {
    workflow::compile_stack(
        dir,
        vars,
        common.account_id.as_deref(),
        facts,
        common.untrusted,
    )
}

/// What the runtime's workflow plans: this directory with the common flags.
pub fn plan_inputs(dir: &Path, common: &Common, destroy: bool) -> Result<PlanInputs> {
    Ok(PlanInputs {
        dir: dir.to_path_buf(),
        vars: var_inputs(common)?,
        targets: common.targets.clone(),
        account_id: common.account_id.clone(),
        destroy,
        quiet: common.quiet,
        untrusted: common.untrusted,
    })
}

/// The variable values the flags and the environment give.
pub fn var_inputs(common: &Common) -> Result<VarInputs> {
    let mut vars = VarInputs {
        env: env_vars(),
        ..Default::default()
    };
    for v in &common.vars {
        let (n, val) = v
            .split_once('=')
            .with_context(|| format!("--var {v}: expected NAME=VALUE"))?;
        vars.cli.push((n.to_string(), val.to_string()));
    }
    for f in &common.var_files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read --var-file {}", f.display()))?;
        vars.files.push((f.display().to_string(), text));
    }
    Ok(vars)
}

/// Prints diagnostics as text on stderr; returns whether there were errors.
pub fn report_diagnostics(c: &Compiled, quiet: bool) -> bool {
    for d in workflow::shown_diagnostics(c, quiet) {
        eprint!("{}", c.sources.render(d));
    }
    c.diagnostics.has_errors()
}

pub fn diagnostics_json(c: &Compiled) -> serde_json::Value {
    serde_json::json!({ "diagnostics": c.diagnostics.iter().map(|d| c.sources.to_json(d)).collect::<Vec<_>>() })
}

pub fn validate(dir: &Path, format: DiagFormat, common: &Common) -> Result<u8> {
    let c = compile_dir(dir, common, Facts::default())?;
    match format {
        DiagFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&diagnostics_json(&c))?);
            Ok(if c.diagnostics.has_errors() { 1 } else { 0 })
        }
        DiagFormat::Sarif | DiagFormat::Github => {
            let diags: Vec<_> = c.diagnostics.iter().map(|d| c.sources.to_json(d)).collect();
            if format == DiagFormat::Sarif {
                println!("{}", crate::ci_output::sarif(dir, &diags)?);
            } else {
                print!("{}", crate::ci_output::github(&diags));
            }
            Ok(if c.diagnostics.has_errors() { 1 } else { 0 })
        }
        DiagFormat::Text => {
            let failed = report_diagnostics(&c, common.quiet);
            if failed {
                return Ok(1);
            }
            if !common.quiet {
                let n = c.desired.as_ref().map(|d| d.resources.len()).unwrap_or(0);
                let warnings = c
                    .diagnostics
                    .iter()
                    .filter(|d| !d.is_error() && !d.allowed)
                    .count();
                println!("The stack is valid: {n} resources, {warnings} warning(s).");
            }
            Ok(0)
        }
    }
}

fn compiled_ok(dir: &Path, common: &Common) -> Result<Compiled> {
    let c = compile_dir(dir, common, Facts::default())?;
    if report_diagnostics(&c, true) {
        bail!("the stack has errors; nothing rendered");
    }
    Ok(c)
}

pub fn render(dir: &Path, out: Option<&Path>, common: &Common) -> Result<u8> {
    let c = compiled_ok(dir, common)?;
    if !c.account_known {
        bail!(
            "render needs the account id: set `account_id` in the stack block or pass --account-id"
        );
    }
    let Some(desired) = &c.desired else {
        bail!("nothing to render")
    };
    // Typed, from evaluation: which resources derive from an issuer not known offline.
    if let Some(u) = c.unknown_issuers.first() {
        bail!("{}: `oidc_issuer_url` is not set, and render works offline; set it, or use `eksfed plan` (which reads it with DescribeCluster)", u.cluster);
    }
    let rendered = eksfed_compiler::plan::render::render(desired);
    match out {
        None => println!("{}", serde_json::to_string_pretty(&rendered)?),
        Some(dir) => {
            let files = eksfed_compiler::plan::render::files(&rendered);
            for (rel, text) in &files {
                let p = dir.join(rel);
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                std::fs::write(&p, text)
                    .with_context(|| format!("cannot write {}", p.display()))?;
            }
            if !common.quiet {
                println!("Wrote {} files under {}", files.len(), dir.display());
            }
        }
    }
    Ok(0)
}

pub fn graph(dir: &Path, format: GraphFormat, common: &Common) -> Result<u8> {
    let c = compiled_ok(dir, common)?;
    let Some(g) = &c.graph else { bail!("no graph") };
    print!(
        "{}",
        match format {
            GraphFormat::Dot => g.to_dot(),
            GraphFormat::Mermaid => g.to_mermaid(),
        }
    );
    Ok(0)
}

pub fn fmt(dir: &Path, check: bool) -> Result<u8> {
    let stack = read_stack(dir)?;
    if let Some(path) = stack.outside.first() {
        bail!("{path}: error[E0203]: resolves outside the stack directory (through a symbolic link); it was not read, nothing was formatted");
    }
    if let Some((path, size)) = stack.too_large.first() {
        bail!("{path}: error[E0002]: file too large ({size} bytes, more than 16 MiB); it was not read, nothing was formatted");
    }
    let mut changed = vec![];
    for (path, text) in &stack.files {
        if let Err(e) = hcl_parse_check(text) {
            bail!("{path}: {e}; not formatting a file that does not parse");
        }
        let formatted = eksfed_compiler::language::fmt::format(text);
        if &formatted != text {
            changed.push(path.clone());
            if !check {
                std::fs::write(path, &formatted).with_context(|| format!("cannot write {path}"))?;
            }
        }
    }
    for p in &changed {
        println!("{p}");
    }
    Ok(if check && !changed.is_empty() { 1 } else { 0 })
}

fn hcl_parse_check(text: &str) -> Result<(), String> {
    let (_, d) = eksfed_compiler::language::load::load(vec![("x".into(), text.to_string())]);
    let first = d.iter().next().map(|e| e.message.clone());
    match first {
        Some(m) => Err(m),
        None => Ok(()),
    }
}

pub fn lints(format: LintsFormat) -> Result<u8> {
    match format {
        LintsFormat::Markdown => print!("{}", eksfed_compiler::lints::markdown()),
        LintsFormat::Text => {
            for r in eksfed_compiler::lints::RULES {
                let sev = if r.severity == eksfed_compiler::diag::Severity::Error {
                    "error"
                } else {
                    "warning"
                };
                println!("{:<9} {:<8} {}", r.code, sev, r.summary);
            }
        }
    }
    Ok(0)
}

pub fn explain(code: &str) -> Result<u8> {
    if code == "well-known" {
        print!("{}", eksfed_compiler::iam::well_known::listing());
        return Ok(0);
    }
    match eksfed_compiler::lints::rule(code) {
        Some(r) => {
            println!(
                "{} ({}): {}\n\n{}",
                r.code,
                if r.severity == eksfed_compiler::diag::Severity::Error {
                    "error"
                } else {
                    "warning"
                },
                r.summary,
                r.doc()
            );
            Ok(0)
        }
        None => match eksfed_compiler::output::codes::lookup(code) {
            Some(c) => {
                let sev = if c.severity == eksfed_compiler::diag::Severity::Error {
                    "error"
                } else {
                    "warning"
                };
                println!("{} ({sev}): {}\n\n{}", c.code, c.summary, c.doc);
                Ok(0)
            }
            None => bail!("unknown code `{code}`; `eksfed lints` lists the lint codes"),
        },
    }
}

/// One thread: eksfed waits on the network, and a single-threaded runtime spends less CPU
/// handing work between threads (measured in BENCHMARKS.md).
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Plans a stack directory: compile offline (errors stop here, before any network call), learn
/// the account and cluster issuers, read live state, diff.
pub fn plan(
    dir: &Path,
    out: Option<&Path>,
    format: PlanFormat,
    (detailed, fail_on_broadening): (bool, bool),
    template: Option<&Path>,
    common: &Common,
) -> Result<u8> {
    let template = template
        .map(|t| {
            std::fs::read_to_string(t)
                .with_context(|| format!("cannot read --template {}", t.display()))
        })
        .transpose()?;
    if matches!(format, PlanFormat::Sarif | PlanFormat::Github) {
        // Errors found offline are findings too: written in the asked format, not only as text.
        let c = compile_dir(dir, common, Facts::default())?;
        if c.diagnostics.has_errors() {
            let diags: Vec<_> = c.diagnostics.iter().map(|d| c.sources.to_json(d)).collect();
            match format {
                PlanFormat::Sarif => println!("{}", crate::ci_output::sarif(dir, &diags)?),
                _ => print!("{}", crate::ci_output::github(&diags)),
            }
            return Ok(1);
        }
    }
    runtime()?.block_on(async {
        let hooks = CliHooks::new(common, color(common));
        let inputs = plan_inputs(dir, common, false)?;
        let Some(planned) = workflow::plan(&inputs, &hooks).await? else {
            return Ok(1);
        };
        let plan = &planned.plan;
        if let Some(path) = out {
            // Signed when the key is set: apply with the key refuses any other (plan_key).
            let mut saved = plan.clone();
            if let Some(key) = eksfed_runtime::plan_key::key_from_env() {
                eksfed_runtime::plan_key::sign(&mut saved, &key)?;
            }
            std::fs::write(path, serde_json::to_string_pretty(&saved)? + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        match format {
            PlanFormat::Text => print!(
                "{}",
                eksfed_compiler::output::report::text(plan, color(common))
            ),
            PlanFormat::Json => println!(
                "{}",
                serde_json::to_string_pretty(&eksfed_compiler::output::report::json(plan))?
            ),
            PlanFormat::Markdown => print!(
                "{}",
                eksfed_compiler::output::report::markdown(plan, template.as_deref())
                    .map_err(|e| anyhow::anyhow!(e))?
            ),
            PlanFormat::Sarif => println!("{}", crate::ci_output::sarif(dir, &plan.diagnostics)?),
            PlanFormat::Github => print!(
                "{}{}",
                crate::ci_output::github(&plan.diagnostics),
                eksfed_compiler::output::report::text(plan, false)
            ),
        }
        if let Some(path) = out {
            if format == PlanFormat::Text && !common.quiet {
                println!(
                    "\nSaved the plan to {}. Apply it with: eksfed apply {}",
                    path.display(),
                    path.display()
                );
            }
        }
        Ok(if fail_on_broadening && plan.broadening > 0 {
            3
        } else if detailed && plan.has_changes() {
            2
        } else {
            0
        })
    })
}

pub fn color(common: &Common) -> bool {
    use std::io::IsTerminal;
    !common.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

pub fn apply(
    path: &Path,
    stack: Option<&Path>,
    auto: bool,
    parallelism: usize,
    lock_timeout: &str,
    common: &Common,
) -> Result<u8> {
    let lock_timeout = parse_duration(lock_timeout)?;
    let source = if path.is_file() {
        Source::Saved {
            file: path.to_path_buf(),
            stack: stack.map(Path::to_path_buf),
            given: plan_inputs(path, common, false)?,
        }
    } else {
        Source::Stack(plan_inputs(path, common, false)?)
    };
    run_workflow(source, auto, parallelism, lock_timeout, common)
}

pub fn destroy(
    dir: &Path,
    auto: bool,
    parallelism: usize,
    lock_timeout: &str,
    common: &Common,
) -> Result<u8> {
    let lock_timeout = parse_duration(lock_timeout)?;
    let source = Source::Stack(plan_inputs(dir, common, true)?);
    run_workflow(source, auto, parallelism, lock_timeout, common)
}

/// `apply` and `destroy`: the runtime's workflow, drawn by the CLI's hooks.
fn run_workflow(
    source: Source,
    auto_approve: bool,
    parallelism: usize,
    lock_timeout: std::time::Duration,
    common: &Common,
) -> Result<u8> {
    let opts = workflow::Options {
        source,
        auto_approve,
        parallelism,
        lock_timeout,
        lock_ttl: workflow::lock_ttl_from_env(),
        quiet: common.quiet,
    };
    let hooks = Arc::new(CliHooks::new(common, color(common)));
    let outcome = runtime()?.block_on(workflow::apply(&opts, hooks))?;
    Ok(session::exit_code(&outcome))
}

pub fn import(dir: &Path, addr: &str, id: &str, common: &Common) -> Result<u8> {
    let inputs = plan_inputs(dir, common, false)?;
    let hooks = CliHooks::new(common, color(common));
    match runtime()?.block_on(workflow::import(&inputs, addr, id, &hooks))? {
        Some(stack) => {
            println!("Imported {id} as {addr} into stack `{stack}`. Run `eksfed plan` to see what remains different.");
            Ok(0)
        }
        None => Ok(1),
    }
}

fn parse_duration(s: &str) -> Result<std::time::Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .with_context(|| format!("invalid duration `{s}` (e.g. 90s, 5m)"))?;
    Ok(std::time::Duration::from_secs(match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => anyhow::bail!("invalid duration unit in `{s}` (s, m, h)"),
    }))
}
