//! The plan: a versioned, serializable list of changes in dependency order, with the
//! fingerprint of every live object it read. Apply orders its work from the plan alone.

pub mod adopt;
pub mod diff;
pub mod integrity;
pub mod live;
pub mod render;
pub mod rendered;

use crate::desired::model::{AccessMode, AwsSettings, DesiredState, ResourceKind};
use crate::kinds::kind::ObjectKey;
use rendered::RenderedResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
}

impl Action {
    /// Terraform's symbols: `+ ~ -/+ -`.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
        }
    }
    pub fn verb(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    pub address: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub action: Action,
    /// Why a replace (or delete) happens.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    pub before: Option<RenderedResource>,
    pub after: Option<RenderedResource>,
    /// Addresses of changes that must finish before this one.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Live objects this change touches; their fingerprints are in [`Plan::read`].
    #[serde(default)]
    pub keys: Vec<ObjectKey>,
    /// Set when an `import` block adopts the live object: apply adds the ownership mark
    /// (and makes the update, if any).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub importing: Option<Importing>,
    /// Paths in `after` (and `before`) of values derived from a sensitive variable: kept
    /// here, shown as `(sensitive value)` in text and markdown.
    #[serde(default)]
    pub sensitive: Vec<String>,
    /// What the change does to access (the security review's items); empty
    /// when access is unchanged.
    #[serde(default)]
    pub security: Vec<crate::review::security::item::SecurityItem>,
}

/// The `import` block a change adopts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Importing {
    /// The block's `id`.
    pub id: String,
}

/// Where a cluster of the stack is reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClusterTarget {
    pub name: String,
    pub region: Option<String>,
    pub kube_context: Option<String>,
    pub access_mode: AccessMode,
}

impl ClusterTarget {
    /// The clusters of a desired state, by label (what a plan connects to).
    pub fn all_of(desired: &DesiredState) -> BTreeMap<String, ClusterTarget> {
        desired
            .resources
            .iter()
            .filter_map(|r| match &r.kind {
                ResourceKind::Cluster(c) => Some((
                    rendered::cluster_key(&r.address),
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    pub format_version: u32,
    pub stack: String,
    pub account_id: String,
    pub partition: String,
    /// In dependency order: creates and updates first (dependencies before dependents), then
    /// deletes (dependents before dependencies).
    pub changes: Vec<Change>,
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterTarget>,
    #[serde(default)]
    pub aws: AwsSettingsDoc,
    /// Fingerprint of every live object read (`absent` for ones that did not exist).
    #[serde(default)]
    pub read: BTreeMap<ObjectKey, String>,
    /// Service accounts whose namespace is created when missing (`create_namespace`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub create_namespaces: std::collections::BTreeSet<String>,
    /// Lint findings at plan time (for reports), as the JSON diagnostics of validate.
    #[serde(default)]
    pub diagnostics: Vec<serde_json::Value>,
    /// What shaped the plan, so that `apply PLANFILE` can compile it again and refuse a plan
    /// that is not what the configuration says (`integrity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<PlanSource>,
    /// The number of changes that broaden access (the security review).
    #[serde(default)]
    pub broadening: usize,
    /// `hmac-sha256:HEX` over the plan without this field, when `plan --out` ran with
    /// `EKSFED_PLAN_KEY` (README "Plans of untrusted changes"); apply with the key set refuses
    /// a plan without a matching one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The configuration a plan was made from and the facts learned while making it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanSource {
    /// The stack directory, absolute.
    pub dir: String,
    /// `--var NAME=VALUE`, in the order given.
    #[serde(default)]
    pub vars: Vec<NamedText>,
    /// `--var-file`: the path as given and the file's text.
    #[serde(default)]
    pub var_files: Vec<NamedText>,
    /// `EKSFED_VAR_*` values.
    #[serde(default)]
    pub env_vars: Vec<NamedText>,
    /// `--account-id`, when given.
    #[serde(default)]
    pub account_id_flag: Option<String>,
    /// `--target` addresses.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Facts learned at plan time: the account the credentials reach and the cluster issuers
    /// read with DescribeCluster (by cluster address).
    pub facts: PlanFacts,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NamedText {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanFacts {
    pub account_id: String,
    #[serde(default)]
    pub cluster_issuers: BTreeMap<String, String>,
}

/// The `aws` block as recorded in a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AwsSettingsDoc {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
}

impl From<&AwsSettings> for AwsSettingsDoc {
    fn from(a: &AwsSettings) -> Self {
        AwsSettingsDoc {
            region: a.region.clone(),
            profile: a.profile.clone(),
            endpoint: a.endpoint.clone(),
        }
    }
}

pub const ABSENT: &str = "absent";

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.action != Action::NoOp || c.importing.is_some())
    }
    /// Changes that adopt an object (`import` blocks).
    pub fn count_imports(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.importing.is_some())
            .count()
    }
    pub fn count(&self, a: Action) -> usize {
        self.changes.iter().filter(|c| c.action == a).count()
    }
    /// `Plan: 1 to add, 2 to change, 0 to replace, 1 to destroy.`, with `N to import, `
    /// first when the plan imports.
    pub fn summary(&self) -> String {
        let imports = match self.count_imports() {
            0 => String::new(),
            n => format!("{n} to import, "),
        };
        format!(
            "Plan: {imports}{} to add, {} to change, {} to replace, {} to destroy.",
            self.count(Action::Create),
            self.count(Action::Update),
            self.count(Action::Replace),
            self.count(Action::Delete)
        )
    }
}
