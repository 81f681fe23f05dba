//! What the stages share without importing `mod.rs`: the codes they report and the inputs
//! from outside the stack.

use crate::language::value::Value;
use indexmap::IndexMap;
use std::collections::HashMap;

pub const E_VAR_MISSING: &str = "E0301";
pub const E_FOR_EACH: &str = "E0302";
pub const E_VAR_VALUE: &str = "E0303";
pub const E_CYCLE: &str = "E0401";
pub const E_STACK: &str = "E0601";
/// A block that belongs to the stack (`stack`, `aws`, `cluster`, `import`) in a module.
pub const E_MODULE_BLOCK: &str = "E0801";
/// A module input that is no variable of the module, or a required variable not set.
pub const E_MODULE_INPUT: &str = "E0802";
/// A module that calls itself, or a `source` that is not a directory of `*.hcl` files.
pub const E_MODULE_SOURCE: &str = "E0803";

/// Variable values from outside the stack, lowest precedence first (`--var`, then
/// `--var-file`, then `EKSFED_VAR_name`, each over the default).
#[derive(Debug, Clone, Default)]
pub struct VarInputs {
    /// `--var name=value`, raw.
    pub cli: Vec<(String, String)>,
    /// `--var-file`: path and text.
    pub files: Vec<(String, String)>,
    /// `EKSFED_VAR_name` values, raw.
    pub env: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `--account-id` or STS GetCallerIdentity; overrides nothing given in `stack`.
    pub account_id: Option<String>,
    /// Cluster issuers read with DescribeCluster, by cluster address.
    pub cluster_issuers: HashMap<String, String>,
}

/// What the stack's own expressions evaluated to (the language server's hover): its
/// variables, its locals, and each module call's outputs (a map by key for a `for_each`
/// call). Empty for what evaluation did not reach.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub vars: IndexMap<String, Value>,
    pub locals: IndexMap<String, Value>,
    pub modules: IndexMap<String, Value>,
}
