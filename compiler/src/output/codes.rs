//! The codes of language and plan diagnostics (`E....`, `W....`), for `eksfed explain`. Lint
//! codes (`IAM001`, ...) are documented by their rule files (`lints/`); every other code
//! eksfed prints is here (`compiler/tests/answers.rs` checks that none is missing).

use crate::diag::Severity;

pub struct Code {
    pub code: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub doc: &'static str,
}

const fn e(code: &'static str, summary: &'static str, doc: &'static str) -> Code {
    Code {
        code,
        severity: Severity::Error,
        summary,
        doc,
    }
}

pub const CODES: &[Code] = &[
    e("E0001", "syntax error", "The file is not valid HCL. The caret points at the first token the parser could not read; the file then contributes no blocks.\n\nFix: correct the syntax (an unclosed `{` or `\"`, a missing `=`)."),
    e("E0002", "file too large", "A stack file larger than 16 MiB (`load::MAX_FILE_BYTES`). It is not parsed and nothing of it is shown: evaluation time and memory grow with the text, and the cap bounds what one file can cost a plan of an untrusted change.\n\nFix: split the stack into smaller files; a generated file can be generated in parts."),
    e("E0101", "unknown block", "A block type the language does not have (or one not allowed inside this block). The message suggests the closest name.\n\nFix: use one of the blocks the message lists or suggests; schemas/eksfed-language.schema.json lists every block and its attributes."),
    e("E0102", "unknown attribute", "An attribute this block does not have. The message suggests the closest name (\"did you mean\").\n\nFix: rename it to the attribute meant, or remove it. schemas/eksfed-language.schema.json lists every block's attributes."),
    e("E0103", "missing attribute", "A required attribute of the block is not set.\n\nFix: set it; the message names it and its type."),
    e("E0104", "wrong type", "A value of the wrong type: a list where a string is expected, a string where a number is, and so on.\n\nFix: give a value of the type the message names."),
    e("E0105", "duplicate", "Two blocks with the same type and label (two `role \"app\"`), or the same attribute twice in a block.\n\nFix: rename or remove one; the message points at the second."),
    e("E0106", "wrong labels", "A block with the wrong number of labels (`role {}` instead of `role \"NAME\" {}`) or an invalid label.\n\nFix: give the labels the block takes."),
    e("E0201", "undefined reference", "A reference to something that does not exist: `var.x` without a `variable \"x\"`, `local.y`, `role.z`, a missing key or attribute.\n\nFix: declare it, or correct the name (the message suggests the closest)."),
    e("E0202", "wrong kind of reference", "An attribute that takes one kind of resource was given another (`role = policy.x` where a role is expected).\n\nFix: reference a resource of the kind the attribute takes."),
    e("E0203", "function call failed", "A function call that cannot be evaluated: an unknown function, wrong arguments, a file `file()`/`templatefile()` cannot (or may not) read, a template error.\n\nFix: as the message says; `file()` paths are relative to the stack directory and must stay inside it (inside the workspace root when the stack is in a workspace)."),
    e("E0204", "invalid expression", "An expression that cannot be evaluated: an operator on values of the wrong type, an invalid index (negative, fractional or out of range: \"Invalid index\"), iterating over a non-collection.\n\nFix: as the message says; list indices are whole numbers from 0 to length - 1."),
    e("E0301", "variable without a value", "A variable with no default was not given a value (`--var`, `--var-file`, `EKSFED_VAR_name`).\n\nFix: pass a value, or give the variable a default."),
    e("E0302", "invalid for_each", "`for_each` must be a map or a set of strings, known at compile time.\n\nFix: use a map, or `toset([...])` of strings."),
    e("E0303", "invalid variable value", "A value given for a variable does not parse or does not have the variable's type.\n\nFix: pass a value of the declared type (`--var 'names=[\"a\"]'`)."),
    e("E0401", "dependency cycle", "Resources or locals that depend on each other in a cycle; the message lists every address in it.\n\nFix: break the cycle (compute the value from the inputs, not from the other resource)."),
    e("E0501", "invalid resource", "A resource that is well-typed but not valid: an ARN or name IAM would reject, conflicting attributes, a trust block that cannot be written.\n\nFix: as the message says."),
    e("E0504", "value not allowed", "A string attribute that takes one of a fixed set of values got another (an access mode, an access scope, an effect).\n\nFix: use one of the values the message lists."),
    e("E0507", "invalid policy document", "A `document` that is not an IAM policy document (not JSON, no `Statement`, a statement without `Effect`).\n\nFix: give a policy document as the IAM JSON reference describes it."),
    e("E0509", "invalid SAML metadata", "The SAML provider's metadata is not a SAML metadata document IAM would accept.\n\nFix: use the IdP's metadata XML as downloaded."),
    e("E0530", "not allowed on an existing object", "A block with `existing = true` names an object the stack uses but does not own; only the attributes that identify it are allowed (`url` for providers; `name` and `path` for roles and policies), besides `for_each` and `depends_on`.\n\nFix: remove the attribute, or remove `existing = true` to manage the object (an `import` block adopts it)."),
    e("E0531", "invalid import block", "An `import` block whose `to` is not a resource address of this stack, targets an `existing = true` object, repeats another import's address, or whose `id` does not name the object `to` describes (role/policy/saml_provider: name; oidc_provider: URL; service_account: NAMESPACE/NAME; access: principal ARN; rbac_binding: NAMESPACE/NAME or NAME).\n\nFix: write the id the message gives."),
    e("E0601", "stack settings depend on resources", "The `stack` and `aws` blocks are evaluated first (they say where everything goes); they may read variables and locals, not resources.\n\nFix: compute the value from variables."),
    e("E0205", "file not tracked by git", "Under `--untrusted` (validate, plan), a file that git does not track in the workspace: what a CI step wrote into the checkout (a credentials file, a generated file). It is not opened; the error names the path as written, at the call (`file()`, `templatefile()`), template include, `module` block or stack file that would read it.\n\nFix: commit the file if the stack is meant to read it; a pull request's own files are tracked once committed."),
    e("E0701", "object not owned by this stack", "A live object with the name the stack wants exists without this stack's ownership mark (or with another stack's). eksfed never changes objects it does not own.\n\nFix: `eksfed import ADDRESS ID` to adopt it, or rename it in the stack, or remove it from the other stack first."),
    e("E0702", "prevent_destroy", "The plan would delete or replace a resource with `lifecycle { prevent_destroy = true }`.\n\nFix: remove the flag first if the deletion is meant, or change the stack so the resource is kept."),
    e("E0704", "existing object missing", "A block with `existing = true` names an object that is not there in the account: the stack references something that does not exist.\n\nFix: correct its `name`/`path`/`url`, or create it (or let the stack own it by removing `existing = true`)."),
    e("E0705", "import target missing", "An `import` block's object does not exist, so there is nothing to adopt.\n\nFix: correct the `id`, or remove the block and let the plan create the object."),
    e("E0706", "import target owned by another stack", "An `import` block's object carries another eksfed stack's ownership mark; eksfed never takes objects from another stack.\n\nFix: remove it from the other stack first (or import it there)."),
    e("E0711", "duplicate stack name in a workspace", "Two stacks of one workspace (the directory of the nearest `eksfed.workspace.hcl`) have the same `stack` name. The name is the ownership mark: the two stacks would take each other's objects. Reported at both `stack` blocks.\n\nFix: rename one of the stacks (and `eksfed import` its objects under the new name if they exist)."),
    e("E0801", "block not allowed in a module", "A `stack`, `aws`, `cluster` or `import` block in a module's files. Those belong to the stack: they say where everything goes and what is adopted, and a module is used by many stacks.\n\nFix: move the block to the stack and pass what the module needs in as a variable (`cluster = cluster.prod` in the `module` block, `var.cluster` inside)."),
    e("E0802", "module input", "A `module` block sets an attribute that is no variable of the module (the message suggests the closest one), or does not set a variable of the module that has no default.\n\nFix: rename the attribute to the variable meant, or set the variable; the module's `variable` blocks list what it takes."),
    e("E0803", "module source", "A module that calls itself, directly or through other modules, or a `source` that is not a literal path to a directory of `*.hcl` files inside the stack directory (the workspace root when there is one).\n\nFix: point `source` at the module's directory, relative to the file the `module` block is in (`./modules/app`), and break the cycle of calls."),
    e("E0804", "unknown module output", "`module.NAME.OUTPUT` names an output the module does not declare (the message suggests the closest one).\n\nFix: use one of the module's `output` blocks, or add the output to the module."),
    Code {
        code: "W0703",
        severity: Severity::Warning,
        summary: "namespace missing at plan time",
        doc: "The plan creates a ServiceAccount or binding in a namespace that does not exist in the cluster (and `create_namespace` is not set): the apply would fail there.\n\nFix: create the namespace, or set `create_namespace = true` on the service account. Only a hint: a cluster whose namespaces cannot be listed is not checked.",
    },
];

pub fn lookup(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}
