//! Which live objects a read returns: those the stack owns and those it wants. A leaf module,
//! shared by the readers (`iam`, `eks`, `k8s`) and by `state`, which calls them.

use eksfed_compiler::kinds::kind::ObjectKey;
use eksfed_compiler::plan::live::{self};
use std::collections::BTreeSet;

/// Whether an object is returned: owned by the stack, or its key is wanted.
pub(crate) fn keep(
    owner: &Option<String>,
    stack: &str,
    key: &ObjectKey,
    wanted: &BTreeSet<ObjectKey>,
) -> bool {
    owner.as_deref() == Some(stack) || wants(wanted, key)
}

/// The `wanted` entry that asks for every object (`eksfed generate` and `access --live` read everything).
pub const ALL: &str = live::ANY_KEY;

/// Whether a key is wanted (or everything is).
fn wants(wanted: &BTreeSet<ObjectKey>, key: &ObjectKey) -> bool {
    wanted.contains(key) || wanted.contains(ALL)
}
