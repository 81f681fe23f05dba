//! The flags and output formats every command shares (clap types), kept out of `main.rs` so the
//! command modules do not import the file that declares them.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Args, Clone, Default)]
pub struct Common {
    /// Set a variable: --var name=value (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE", global = true)]
    pub vars: Vec<String>,
    /// Read variables from an HCL file of `name = value` lines (repeatable)
    #[arg(long = "var-file", value_name = "FILE", global = true)]
    pub var_files: Vec<PathBuf>,
    /// Limit to these resources and what they depend on (repeatable)
    #[arg(long = "target", value_name = "ADDRESS", global = true)]
    pub targets: Vec<String>,
    /// No colours in output
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print only what matters: errors and the summary
    #[arg(long, global = true)]
    pub quiet: bool,
    /// The AWS account id, when the stack does not set one (render works offline with it)
    #[arg(long, global = true, value_name = "ID")]
    pub account_id: Option<String>,
    /// Read only files git tracks in the workspace (set by `--untrusted` of validate and plan)
    #[arg(skip)]
    pub untrusted: bool,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    Text,
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// GitHub workflow commands (inline annotations)
    Github,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
    /// The plan's findings (diagnostics) as SARIF 2.1.0
    Sarif,
    /// The findings as GitHub workflow commands, then the text plan
    Github,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    Json,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum LintsFormat {
    Text,
    Markdown,
}
