//! What evaluation and the functions share, in a module of its own so that neither imports
//! the other: the error type and its codes, the file reader, what a function call sees of
//! its environment ([`FnCtx`]) and the callback `try`/`can` evaluate their arguments with
//! ([`LazyEval`]). `eval.rs` implements [`LazyEval`] and calls the functions; the functions
//! never name `eval.rs`.

use crate::language::value::Value;
use hcl_edit::expr::Expression;
use hcl_edit::Span as _;
use std::ops::Range;

/// An evaluation failure at a byte range of the file being evaluated.
#[derive(Debug, Clone)]
pub struct EvalError {
    pub code: &'static str,
    pub message: String,
    pub range: Range<usize>,
    pub help: Option<String>,
}

impl EvalError {
    pub fn new(code: &'static str, message: impl Into<String>, range: Range<usize>) -> Self {
        EvalError {
            code,
            message: message.into(),
            range,
            help: None,
        }
    }
    pub(crate) fn help(mut self, h: Option<String>) -> Self {
        self.help = h;
        self
    }
}

pub const E_REF: &str = "E0201";
pub const E_FUNC: &str = "E0203";
pub const E_EXPR: &str = "E0204";
/// A file git does not track, refused under `--untrusted`.
pub const E_UNTRACKED: &str = "E0205";
/// A reference to an output a module does not have (`module.NAME.OUTPUT`).
pub const E_MODULE_OUTPUT: &str = "E0804";

/// The boundary files are confined to: the stack directory, or the root of the workspace
/// (the directory of the nearest `eksfed.workspace.hcl`) the stack is in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Root {
    /// The stack directory below the root, one entry per directory (empty: the stack
    /// directory is the root).
    pub stack: Vec<String>,
    /// The root is a workspace's, not the stack directory.
    pub workspace: bool,
}

impl Root {
    /// What the messages call the boundary.
    pub fn name(&self) -> &'static str {
        if self.workspace {
            "workspace root"
        } else {
            "stack directory"
        }
    }

    /// The help every refusal carries.
    pub fn help(&self) -> String {
        if self.workspace {
            "file(), templatefile(), templates' include and module sources read only files inside the workspace root (the directory of eksfed.workspace.hcl)".to_string()
        } else {
            "file(), templatefile() and templates' include read only files inside the stack directory".to_string()
        }
    }
}

/// Reads files named by `file()` and `templatefile()`. The compiler is handed one; it does no IO.
pub trait FileReader {
    fn read(&self, path: &str) -> Result<String, String>;
    /// The `*.hcl` files of a directory (a module's `source`, relative to the stack
    /// directory, already checked lexically), in name order: (path shown to the user, text).
    /// Confined like [`FileReader::read`]. A reader that cannot list directories refuses.
    fn read_hcl_dir(&self, dir: &str) -> Result<Vec<(String, String)>, String> {
        Err(format!("cannot read the module directory `{dir}` here"))
    }
    /// The boundary paths may not leave (lexically checked by the compiler, with symbolic
    /// links by the reader): by default the stack directory.
    fn root(&self) -> Root {
        Root::default()
    }
}

/// What a function sees of the environment it is called in.
pub struct FnCtx<'a> {
    pub files: &'a dyn FileReader,
    pub partition: &'a str,
}

/// Evaluates one expression in the caller's environment: how `try` and `can` evaluate their
/// arguments one at a time.
pub trait LazyEval {
    fn eval_lazy(&mut self, e: &Expression) -> Result<Value, EvalError>;
}

pub fn span_of(e: &Expression) -> Range<usize> {
    e.span().unwrap_or(0..0)
}

/// Closest candidate, for "did you mean" hints.
pub fn suggest<'s>(name: &str, candidates: impl IntoIterator<Item = &'s str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}
