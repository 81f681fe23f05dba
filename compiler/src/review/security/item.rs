//! The items of the security review, as a plan's change carries them. A leaf (it imports
//! neither `plan` nor the review), so `plan` can hold them and `security` can fill them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Broadens,
    Narrows,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
// Which side of access an item concerns (named `AccessKind` in the plan's JSON Schema; a
// doc comment here would change that schema).
#[serde(rename_all = "snake_case")]
#[schemars(rename = "AccessKind")]
pub enum Area {
    Trust,
    Permissions,
    ClusterAccess,
    Workload,
    Provider,
}

/// One thing a change does to access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecurityItem {
    pub effect: Effect,
    pub kind: Area,
    pub message: String,
    /// What it was, where that helps the reviewer (markdown's before → after column).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub after: Option<String>,
    /// The change puts back what someone changed by hand in the live object: this part of
    /// the configuration is what eksfed applied last time (see `security::drift`). Absent
    /// when false.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub drift: bool,
}

impl SecurityItem {
    pub(crate) fn new(effect: Effect, kind: Area, message: String) -> Self {
        SecurityItem {
            effect,
            kind,
            message,
            before: None,
            after: None,
            drift: false,
        }
    }
    pub(crate) fn was(mut self, before: Option<String>, after: Option<String>) -> Self {
        self.before = before;
        self.after = after;
        self
    }
}
