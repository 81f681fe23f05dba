//! Objects the stack uses but does not own (`existing = true`) and `import` blocks, which
//! adopt live objects into the stack.
//!
//! - An `existing = true` `oidc_provider`, `saml_provider`, `policy` or `role` takes only
//!   the attributes that identify it (`url`; `name` and `path`). Its exports (`arn`, `name`,
//!   `url`) work as for an owned one. The diff never plans a change for it; the plan fails
//!   (E0704, at the block) when it does not exist.
//! - `import { to = ADDRESS, id = "..." }` adopts a live object into a resource of the stack.
//!   The id must name the object the resource describes (checked offline, E0531). The diff
//!   takes the unmarked live object as the resource's own, marks the change `importing`
//!   (action `no-op` when it already matches, `update` when it differs); apply adds the
//!   ownership mark first. An object already owned by this stack makes the block do nothing;
//!   one owned by another stack (E0706) or missing (E0705) is an error at the block.

use crate::desired::model::{DesiredState, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds;
use crate::language::evblock::EvBlock;
use crate::language::value::{Address, Value};
use crate::plan::render::{self};
use crate::plan::rendered::RenderedKind;

use crate::desired::existing::Import;

/// An `import` block that cannot be: its target is not importable, or its id names another
/// object than the resource describes.
pub const E_IMPORT: &str = "E0531";
/// At plan time: an `existing = true` object is not there.
pub const E_EXISTING_MISSING: &str = "E0704";
/// At plan time: the object an `import` block names is not there.
pub const E_IMPORT_MISSING: &str = "E0705";
/// At plan time: the object an `import` block names is owned by another stack.
pub const E_IMPORT_FOREIGN: &str = "E0706";

/// The import of an evaluated `import` block (`None` when `to` or `id` did not evaluate;
/// the error is already reported).
pub fn lower_import(b: &EvBlock) -> Option<Import> {
    let to = match b.get("to") {
        Some(Value::Resource(r)) => r.address.clone(),
        _ => return None,
    };
    Some(Import {
        to,
        id: b.str("id")?,
        span: b.span.clone(),
        id_span: b.span_of("id"),
    })
}

/// The ids that name the object a rendered resource describes, in the form `import` takes.
pub fn expected_ids(kind: &RenderedKind) -> Vec<String> {
    kinds::import_ids(None, kind)
}

/// Checks the stack's `import` blocks offline: the target is a resource this stack may own,
/// each target is imported once, and the id names the object the resource describes.
pub fn check_imports(desired: &DesiredState, diags: &mut Diagnostics) {
    if desired.imports.is_empty() {
        return;
    }
    let rendered = render::render(desired);
    let mut seen: Vec<&Address> = vec![];
    for imp in &desired.imports {
        let target = imp.to.to_string();
        if seen.contains(&&imp.to) {
            diags.push(
                Diagnostic::error(E_IMPORT, format!("`{target}` is imported twice"))
                    .at(Some(imp.span.clone()))
                    .address(target.clone())
                    .help("keep one `import` block per address"),
            );
            continue;
        }
        seen.push(&imp.to);
        if desired.get(&imp.to).is_some_and(Resource::is_existing) {
            diags.push(
                Diagnostic::error(
                    E_IMPORT,
                    format!("`{target}` is `existing = true`: it is only read, so it cannot be imported"),
                )
                .at(Some(imp.span.clone()))
                .address(target.clone())
                .help("remove `existing = true` to manage it, or remove this `import` block"),
            );
            continue;
        }
        let Some(r) = rendered.resources.iter().find(|r| r.address == target) else {
            diags.push(
                Diagnostic::error(E_IMPORT, format!("`{target}` cannot be imported"))
                    .at(Some(imp.span.clone()))
                    .address(target.clone()),
            );
            continue;
        };
        let ids = kinds::import_ids(desired.get(&imp.to).map(|x| &x.kind), &r.kind);
        if !ids.iter().any(|i| same_id(i, &imp.id)) {
            let form = kinds::import_id_form(&r.kind);
            diags.push(
                Diagnostic::error(
                    E_IMPORT,
                    format!(
                        "the import id \"{}\" does not name the object `{target}` describes ({form}: \"{}\")",
                        imp.id,
                        ids.first().cloned().unwrap_or_default()
                    ),
                )
                .at(Some(imp.id_span.clone()))
                .address(target.clone())
                .help(format!(
                    "write `id = \"{}\"`, or change `{target}` to describe the object to adopt",
                    ids.first().cloned().unwrap_or_default()
                )),
            );
        }
    }
}

/// `id` names `expected`; before the account is known (validate without one, or the first
/// compile of plan) an ARN's account is the placeholder and matches any account.
fn same_id(expected: &str, id: &str) -> bool {
    if expected == id {
        return true;
    }
    let (e, i): (Vec<&str>, Vec<&str>) = (
        expected.splitn(6, ':').collect(),
        id.splitn(6, ':').collect(),
    );
    e.len() == 6
        && i.len() == 6
        && e[4] == crate::kinds::lowering::UNKNOWN_ACCOUNT
        && e.iter()
            .zip(&i)
            .enumerate()
            .all(|(n, (a, b))| n == 4 || a == b)
}

/// The `import` block for an address, if any.
pub fn import_for<'d>(desired: &'d DesiredState, address: &str) -> Option<&'d Import> {
    desired.imports.iter().find(|i| i.to.to_string() == address)
}

/// A live piece as it is once adopted: with this stack's ownership mark (IAM tag, or the
/// Kubernetes labels). `aws-auth` entries, access entries and pod identity associations
/// carry their mark outside the compared piece.
pub fn marked(piece: &RenderedKind, stack: &str) -> RenderedKind {
    let mut p = piece.clone();
    kinds::of(piece).mark_owned(&mut p, stack);
    p
}

/// E0704: an `existing = true` object that is not there.
pub fn existing_missing(res: &Resource, what: &str) -> Diagnostic {
    Diagnostic::error(
        E_EXISTING_MISSING,
        format!(
            "`{}` is `existing = true`, but {what} does not exist",
            res.address
        ),
    )
    .at(Some(res.block.span.clone()))
    .address(res.address.to_string())
    .help("create it first (eksfed never creates an existing object), or fix its name/URL")
}

/// E0705: the object an `import` block names is not there.
pub fn import_missing(imp: &Import, what: &str) -> Diagnostic {
    Diagnostic::error(
        E_IMPORT_MISSING,
        format!(
            "cannot import `{}`: {what} (id \"{}\") does not exist",
            imp.to, imp.id
        ),
    )
    .at(Some(imp.span.clone()))
    .address(imp.to.to_string())
    .help("remove the `import` block to create it instead")
}

/// E0706: the object an `import` block names is owned by another stack.
pub fn import_foreign(imp: &Import, what: &str, owner: &str) -> Diagnostic {
    Diagnostic::error(
        E_IMPORT_FOREIGN,
        format!(
            "cannot import `{}`: {what} (id \"{}\") is owned by the stack `{owner}`",
            imp.to, imp.id
        ),
    )
    .at(Some(imp.span.clone()))
    .address(imp.to.to_string())
    .help("remove it from the other stack first; eksfed never takes an object from another stack")
}

/// The `existing = true` resources of the stack in rendered form (identity only, no mark):
/// not rendered as desired objects, but read, so the plan can say whether they exist.
pub fn rendered_existing(desired: &DesiredState) -> Vec<crate::plan::rendered::RenderedResource> {
    desired
        .resources
        .iter()
        .filter(|r| r.is_existing())
        .filter_map(|r| {
            let kind = kinds::existing_piece(&r.kind)?;
            Some(crate::plan::rendered::RenderedResource {
                address: r.address.to_string(),
                kind,
            })
        })
        .collect()
}

/// What an `existing = true` resource is, for messages.
pub fn describe_existing(kind: &RenderedKind) -> String {
    kinds::describe_existing(kind)
}

/// The text plan's headline of an importing change.
pub fn headline(c: &crate::plan::Change) -> String {
    use crate::plan::Action;
    match c.action {
        Action::NoOp => format!("# {} will be imported", c.address),
        Action::Update => format!("# {} will be imported and updated in-place", c.address),
        Action::Replace => format!(
            "# {} will be imported and must be replaced{}",
            c.address,
            c.reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        other => format!("# {} will be imported ({})", c.address, other.verb()),
    }
}

/// A change's action for the markdown table: `import`, `import, update`...
pub fn verb(c: &crate::plan::Change) -> String {
    use crate::plan::Action;
    match (&c.importing, c.action) {
        (Some(_), Action::NoOp) => "import".into(),
        (Some(_), a) => format!("import, {}", a.verb()),
        (None, a) => a.verb().into(),
    }
}

/// The markdown table's "why": the change's reason, or the id an import adopts.
pub fn reason(c: &crate::plan::Change) -> String {
    match (&c.importing, &c.reason) {
        (Some(i), Some(r)) => format!("imports `{}`; {r}", i.id),
        (Some(i), None) => format!("imports `{}`", i.id),
        (None, r) => r.clone().unwrap_or_default(),
    }
}
