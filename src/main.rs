//! The `eksfed` command line: argument parsing, exit codes and output. Thin: the work is in
//! `eksfed-compiler` (pure) and `eksfed-runtime` (IO).

mod access;
mod ci_output;
mod cli;
mod commands;
mod generate;
mod progress;
mod session;

use clap::{Parser, Subcommand};
use cli::{Common, DiagFormat, GraphFormat, LintsFormat, PlanFormat, RenderFormat};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "eksfed",
    version,
    about = "Declarative identity federation for Amazon EKS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, evaluate and check a stack; no network
    Validate {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: DiagFormat,
        /// Read only files git tracks in the workspace (E0205 for any other): for plans of
        /// pull requests, where CI may have written files into the checkout
        #[arg(long)]
        untrusted: bool,
        #[command(flatten)]
        common: Common,
    },
    /// The desired state as JSON, or as files (IAM JSON, Kubernetes YAML) with --out; offline
    Render {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "json")]
        format: RenderFormat,
        /// Write one file per document/object under this directory
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// The dependency graph
    Graph {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
        #[command(flatten)]
        common: Common,
    },
    /// Rewrite the stack's files in canonical layout (comments kept)
    Fmt {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Only check; exit 1 and list the files that would change
        #[arg(long)]
        check: bool,
    },
    /// List the lint rules (text or markdown)
    Lints {
        #[arg(long, value_enum, default_value = "text")]
        format: LintsFormat,
    },
    /// Explain one lint code (or `well-known`: the well-known add-on policies)
    Explain { code: String },
    /// Read live AWS and Kubernetes state and show what apply would change
    Plan {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Save the plan to this file (apply it with `eksfed apply FILE`)
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: PlanFormat,
        /// Exit 0 when there are no changes, 2 when there are
        #[arg(long)]
        detailed_exitcode: bool,
        /// Exit 3 when some change broadens access (the plan's security review)
        #[arg(long)]
        fail_on_broadening: bool,
        /// A minijinja template for --format markdown. It sees `stack` (and `stack_cell`, escaped
        /// for a code span), `summary`, `has_changes`, `counts`
        /// (import/create/update/replace/delete), `changes` (address, type, action, icon, reason,
        /// diff, fence: a code fence no line of the diff closes, address_cell: escaped for a
        /// table's code span, address_html: escaped for HTML) and `diagnostics` (as in JSON, plus
        /// `allowed`, `address_cell`, `message_cell`: escaped for table cells), `security`
        /// (review rows: icon, effect, kind, address_cell, message_cell, change_cell),
        /// `broadening` and `changed`
        #[arg(long)]
        template: Option<PathBuf>,
        /// Read only files git tracks in the workspace (E0205 for any other): for plans of
        /// pull requests, where CI may have written files into the checkout
        #[arg(long)]
        untrusted: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Apply a stack directory (plans first) or a saved plan file
    Apply {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long)]
        auto_approve: bool,
        #[arg(long, default_value_t = 10)]
        parallelism: usize,
        /// How long to wait for another apply's lock
        #[arg(long, default_value = "60s")]
        lock_timeout: String,
        /// A saved plan's stack directory, when it is no longer where the plan was made
        #[arg(long, value_name = "DIR")]
        stack: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Delete everything the stack owns
    Destroy {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long)]
        auto_approve: bool,
        #[arg(long, default_value_t = 10)]
        parallelism: usize,
        #[arg(long, default_value = "60s")]
        lock_timeout: String,
        #[command(flatten)]
        common: Common,
    },
    /// Who can reach what: identities → roles → cluster users and groups → RBAC and access
    /// policies; offline from the stack, with --live also from what is live (read-only)
    Access {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Also read live IAM, aws-auth, access entries and bindings, owned or not
        #[arg(long)]
        live: bool,
        /// Only this cluster (its EKS name or its label in the stack)
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: access::AccessFormat,
        /// `cluster-admin`, or `group:NAME`: keep the paths that reach it
        #[arg(
            long,
            value_name = "cluster-admin|group:NAME",
            conflicts_with = "identity"
        )]
        who_can: Option<String>,
        /// Keep the paths whose identity admits SUBJECT (`system:serviceaccount:NS:NAME`,
        /// `pod-identity:NS/NAME`, `saml:ARN`, `oidc:HOST sub=...`, `aws:ARN`)
        #[arg(long, value_name = "SUBJECT")]
        identity: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Language server for editors (LSP over standard input and output)
    Lsp,
    /// Write a stack from what is live in the account and one cluster
    #[command(long_about = generate::LONG_ABOUT)]
    Generate(generate::GenerateArgs),
    /// Adopt an existing object into the stack (adds the ownership mark)
    Import {
        /// Stack directory, then ADDRESS and ID (or just ADDRESS ID in the current directory)
        #[arg(num_args = 2..=3, value_names = ["DIR", "ADDRESS", "ID"])]
        args: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
}

/// The status a shell reports for a command ended by SIGPIPE (128 + 13).
const CLOSED_PIPE: u8 = 141;

/// A closed standard output (`eksfed plan --format json | head`) ends the command quietly, as
/// it ends other command-line tools: Rust ignores SIGPIPE, so `print!` panics with "failed
/// printing to stdout: Broken pipe"; that panic (in any thread) exits with 141 instead, with
/// nothing on stderr.
fn end_quietly_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(i32::from(CLOSED_PIPE));
        }
        default(info)
    }));
}

/// Whether an error is a write into a closed pipe (a `write!` that returned it).
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    end_quietly_on_closed_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate {
            dir,
            format,
            untrusted,
            common,
        } => commands::validate(
            &dir,
            format,
            &Common {
                untrusted,
                ..common
            },
        ),
        Command::Render {
            dir,
            format: _,
            out,
            common,
        } => commands::render(&dir, out.as_deref(), &common),
        Command::Graph {
            dir,
            format,
            common,
        } => commands::graph(&dir, format, &common),
        Command::Fmt { dir, check } => commands::fmt(&dir, check),
        Command::Lints { format } => commands::lints(format),
        Command::Explain { code } => commands::explain(&code),
        Command::Plan {
            dir,
            out,
            format,
            detailed_exitcode,
            fail_on_broadening,
            template,
            untrusted,
            common,
        } => commands::plan(
            &dir,
            out.as_deref(),
            format,
            (detailed_exitcode, fail_on_broadening),
            template.as_deref(),
            &Common {
                untrusted,
                ..common
            },
        ),
        Command::Apply {
            path,
            auto_approve,
            parallelism,
            lock_timeout,
            stack,
            common,
        } => commands::apply(
            &path,
            stack.as_deref(),
            auto_approve,
            parallelism,
            &lock_timeout,
            &common,
        ),
        Command::Destroy {
            dir,
            auto_approve,
            parallelism,
            lock_timeout,
            common,
        } => commands::destroy(&dir, auto_approve, parallelism, &lock_timeout, &common),
        Command::Access {
            dir,
            live,
            cluster,
            format,
            who_can,
            identity,
            common,
        } => access::run(
            &dir,
            &access::AccessArgs {
                live,
                cluster: cluster.as_deref(),
                format,
                who_can: who_can.as_deref(),
                identity: identity.as_deref(),
            },
            &common,
        ),
        Command::Generate(a) => generate::run(&a),
        Command::Lsp => eksfed_lsp::run_stdio()
            .map(|()| 0)
            .map_err(|e| anyhow::anyhow!("language server: {e}")),
        Command::Import { args, common } => {
            let (dir, addr, id) = match args.as_slice() {
                [d, a, i] => (PathBuf::from(d), a.clone(), i.clone()),
                [a, i] => (PathBuf::from("."), a.clone(), i.clone()),
                _ => (PathBuf::from("."), String::new(), String::new()),
            };
            commands::import(&dir, &addr, &id, &common)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if closed_pipe(&e) => ExitCode::from(CLOSED_PIPE),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
