//! What the stages share without importing `mod.rs`: the codes they report and the inputs
//! from outside the stack.

use std::collections::HashMap;

pub const E_VAR_MISSING: &str = "E0301";
pub const E_FOR_EACH: &str = "E0302";
pub const E_VAR_VALUE: &str = "E0303";
pub const E_CYCLE: &str = "E0401";
pub const E_STACK: &str = "E0601";

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
