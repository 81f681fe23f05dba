//! Identity: which live pieces belong to a desired resource, whose they are, and how they
//! merge into the object compared with it. The kinds say what differs (`crate::kinds`).

use crate::desired::existing::Import;
use crate::desired::model::DesiredState;
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds;
use crate::kinds::kind::ObjectKey;
use crate::language::value::Address;
use crate::plan::adopt::{self};
use crate::plan::live::{LiveObject, LiveState};
use crate::plan::rendered::RenderedKind;
use crate::plan::rendered::RenderedResource;
use crate::plan::ABSENT;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// An object the stack would change is not its own.
pub const E_NOT_OWNED: &str = "E0701";

/// The keys a desired resource may find live pieces under: its own pieces, and the pieces it
/// had under another mode (an `aws-auth` entry after a switch to access entries, an IRSA
/// account now in pod identity mode, a RoleBinding in a namespace no longer listed).
pub(super) fn candidate_keys(kind: &RenderedKind, stack: &str, live: &LiveState) -> Vec<ObjectKey> {
    let k = kinds::of(kind);
    let mut keys = k.keys(kind);
    keys.extend(k.other_mode_keys(kind));
    let mut owned = live
        .objects
        .iter()
        .filter(|o| o.owner.as_deref() == Some(stack))
        .map(|o| (&o.key, &o.piece));
    keys.extend(k.owned_keys(kind, &mut owned));
    let mut seen = BTreeSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    keys
}

/// Merges live pieces of one resource into one object of its type.
pub(super) fn merge_pieces(kind: &RenderedKind, pieces: &[&LiveObject]) -> Option<RenderedKind> {
    if pieces.is_empty() {
        return None;
    }
    let pieces: Vec<&RenderedKind> = pieces.iter().map(|o| &o.piece).collect();
    Some(kinds::of(kind).merge(kind, &pieces))
}

/// The object in messages: `the role NAME`.
pub(super) fn describe(p: &RenderedKind) -> String {
    kinds::of(p).describe(p)
}

/// The ID `eksfed import` takes for a piece.
pub fn import_id(p: &RenderedKind) -> String {
    kinds::of(p).import_id(p)
}

/// The live pieces found for one desired resource.
pub(super) struct Found<'l> {
    /// The keys the resource's own pieces have.
    pub wanted: Vec<ObjectKey>,
    /// Pieces that are the resource's: owned by the stack, or adopted by its `import` block.
    pub pieces: Vec<&'l LiveObject>,
    /// An `import` block adopts an unmarked piece.
    pub adopting: bool,
    /// An `import` block names a piece another stack owns.
    pub foreign: bool,
}

/// Looks up a desired resource's candidate keys: records what was read (a fingerprint, or
/// `absent`), marks the keys consumed, and refuses (E0701) pieces it wants but does not own.
#[allow(clippy::too_many_arguments)]
pub(super) fn find<'l>(
    desired: &DesiredState,
    r: &RenderedResource,
    import: Option<&Import>,
    live: &'l LiveState,
    by_key: &HashMap<&str, &'l LiveObject>,
    consumed: &mut BTreeSet<ObjectKey>,
    read: &mut BTreeMap<ObjectKey, String>,
    diags: &mut Diagnostics,
) -> Found<'l> {
    let stack = desired.stack.name.as_str();
    let wanted = kinds::keys(&r.kind);
    let candidates = candidate_keys(&r.kind, stack, live);
    let (mut adopting, mut foreign) = (false, false);
    let mut pieces = vec![];
    for k in &candidates {
        if let Some(o) = by_key.get(k.as_str()) {
            consumed.insert(k.clone());
            if o.owner.as_deref() == Some(stack) {
                pieces.push(*o);
            } else if let (Some(imp), true) = (import, wanted.contains(k)) {
                match &o.owner {
                    None => {
                        pieces.push(*o);
                        adopting = true;
                    }
                    Some(other) => {
                        foreign = true;
                        diags.push(adopt::import_foreign(imp, &describe(&o.piece), other))
                    }
                }
            } else if wanted.contains(k) {
                diags.push(not_owned(desired, &r.address, o));
            }
            read.insert(k.clone(), o.fingerprint.clone());
        } else {
            read.insert(k.clone(), ABSENT.to_string());
        }
    }
    Found {
        wanted,
        pieces,
        adopting,
        foreign,
    }
}

/// E0701: the live object a resource would be is not this stack's.
fn not_owned(desired: &DesiredState, address: &str, o: &LiveObject) -> Diagnostic {
    let who = match &o.owner {
        Some(other) => format!("is owned by the stack `{other}`"),
        None => "exists but does not carry this stack's ownership mark".to_string(),
    };
    let res = desired.get(&Address::parse(address).unwrap_or_else(|| Address::new("?", "?", None)));
    Diagnostic::error(
        E_NOT_OWNED,
        format!(
            "{} {who}; eksfed never changes objects it does not own",
            describe(&o.piece)
        ),
    )
    .at(res.map(|x| x.block.span.clone()))
    .address(address.to_string())
    .help(match &o.owner {
        Some(_) => "remove it from the other stack first, or rename it here".to_string(),
        None => format!(
            "adopt it with `eksfed import {} {}`",
            address,
            import_id(&o.piece)
        ),
    })
}
