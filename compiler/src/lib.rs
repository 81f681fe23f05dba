//! eksfed's compiler: pure (no network, no clock, no environment beyond what it is handed).
//!
//! Stages: [`load`] -> [`lower`] (with [`eval`]) -> [`resolve`] -> [`graph`] -> [`check`]
//! (with [`lints`]) -> [`render`] -> [`diff`] -> [`report`]. [`compile::compile`] runs the
//! first ones; see ARCHITECTURE.md.

pub mod access;
pub mod adopt;
pub mod call;
pub mod check;
pub mod ci_formats;
pub mod codes;
pub mod compile;
pub mod confine;
pub mod diag;
pub mod diff;
pub mod dynamic;
pub mod eval;
pub mod evblock;
pub mod existing;
pub mod fmt;
pub mod functions;
pub mod functions_spec;
pub mod functions_tf;
pub mod functions_tf_text;
pub mod generate;
pub mod generate_stack;
pub mod graph;
pub mod iam;
pub mod integrity;
pub mod kinds;
pub mod lints;
pub mod live;
pub mod load;
pub mod lower;
pub mod lower_util;
pub mod model;
pub mod pattern;
pub mod plan;
pub mod printf;
pub mod redact;
pub mod render;
pub mod rendered;
pub mod report;
pub mod resolve;
pub mod schema;
pub mod schemas;
pub mod security;
pub mod sensitive;
pub mod unknowns;
pub mod value;
pub mod var_type;
pub mod well_known;

pub use compile::{compile, CompileInput, Compiled, Facts, VarInputs};
pub use diag::{Diagnostic, Diagnostics, Severity, SourceMap};
pub use value::Address;
