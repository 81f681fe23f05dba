//! What a kind file says about writing its kind ([`IamKind`]), for the walk in `apply.rs`:
//! the object's id, create, update, delete, what a replacement restores, whether it carries
//! the record of the last apply. The walk decides which of them a change needs and in what
//! order; the kind file holds how.

use super::object::{self, IamObject};
use aws_sdk_iam::Client;
use eksfed_compiler::kinds;
use eksfed_compiler::plan::rendered::RenderedKind;
use std::future::Future;

/// A change's `before` and `after`.
pub(super) type Pair<'a> = (&'a RenderedKind, &'a RenderedKind);

/// Writing one IAM kind. Every method is handed pieces of this kind (the walk checked the
/// change's type); another kind is an error, never a panic.
pub(super) trait IamKind: IamObject + Sized {
    /// What deleting an object undid that a replacement must restore.
    type Undone: Default + Send;
    /// The object carries the record of the last apply (`security::drift`, tag
    /// `eksfed:applied`), which the walk writes after every other step succeeded.
    const RECORDS_APPLIED: bool = false;

    /// The kind's `type` in plans (`role`, `policy`, ...).
    const TYPE: &'static str;

    /// The object's id in IAM calls, which is the id `eksfed import` takes (a role's name,
    /// the other kinds' ARN: `Kind::import_id`); `None` for a piece of another kind.
    fn id(piece: &RenderedKind) -> Option<String> {
        (piece.type_name() == Self::TYPE).then(|| kinds::of(piece).import_id(piece))
    }

    /// Creates the object `after` describes, owned by `stack`.
    fn create(
        iam: &Client,
        stack: &str,
        after: &RenderedKind,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// The fewest calls that turn `before` (as read) into `after`, after re-checking that
    /// `stack` owns the object.
    fn update(
        iam: &Client,
        stack: &str,
        pair: Pair<'_>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Deletes the object `id` after re-checking that `stack` owns it; by default nothing
    /// else goes first and nothing is undone.
    fn delete_owned(
        iam: &Client,
        stack: &str,
        id: &str,
    ) -> impl Future<Output = anyhow::Result<Self::Undone>> + Send {
        async move {
            object::check_and_delete::<Self>(iam, stack, id).await?;
            Ok(Self::Undone::default())
        }
    }

    /// After a replacement (delete `before`, create `after`): puts back what the delete
    /// undid. Nothing by default.
    fn restore(
        iam: &Client,
        pair: Pair<'_>,
        undone: Self::Undone,
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        let _ = (iam, pair, undone);
        async { Ok(()) }
    }
}

/// A piece of another kind handed to a kind file: `IAM cannot create a cluster`.
pub(super) fn cannot(verb: &str, k: &RenderedKind) -> anyhow::Error {
    anyhow::anyhow!("IAM cannot {verb} a {}", k.type_name())
}

/// An update between pieces of two kinds: `cannot update a role into a policy`.
pub(super) fn cannot_update((before, after): Pair<'_>) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot update a {} into a {}",
        before.type_name(),
        after.type_name()
    )
}
