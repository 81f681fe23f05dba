//! Writing IAM: one [`Change`] at a time, with the fewest calls that turn `before` (the live
//! piece the plan read) into `after`. Every write goes through [`crate::retry`]; every write
//! to an existing object is preceded by a Get that re-checks the ownership tag. This file is
//! the walk — which of create, update, delete, restore and the record of the last apply a
//! change needs, in what order — and the table of kinds; how each is done is in the kind's
//! file ([`IamKind`]).

use super::kind::{cannot, IamKind};
use super::object::{self, sdk_tags};
use super::oidc_provider::OidcProvider;
use super::policy::IamPolicy;
use super::role::IamRole;
use super::saml_provider::SamlProvider;
use anyhow::Context as _;
use aws_sdk_iam::Client;
use eksfed_compiler::kinds::id::KindId;
use eksfed_compiler::plan::rendered::RenderedKind;
use eksfed_compiler::plan::{Action, Change};
use eksfed_compiler::review::security::drift::{self, APPLIED_TAG};

/// Applies one change to an IAM object (`oidc_provider`, `saml_provider`, `policy`, `role`).
pub async fn apply(iam: &Client, stack: &str, change: &Change) -> anyhow::Result<()> {
    match KindId::parse(&change.kind) {
        Some(KindId::Role) => walk::<IamRole>(iam, stack, change).await,
        Some(KindId::Policy) => walk::<IamPolicy>(iam, stack, change).await,
        Some(KindId::OidcProvider) => walk::<OidcProvider>(iam, stack, change).await,
        Some(KindId::SamlProvider) => walk::<SamlProvider>(iam, stack, change).await,
        // Not IAM objects: every kind decides here whether IAM applies it.
        Some(KindId::Cluster | KindId::ServiceAccount | KindId::Access | KindId::RbacBinding)
        | None => anyhow::bail!(
            "{}: IAM does not apply changes of type `{}`",
            change.address,
            change.kind
        ),
    }
}

/// One change to an object of the kind `K` (the change's type, checked against its pieces).
async fn walk<K: IamKind>(iam: &Client, stack: &str, change: &Change) -> anyhow::Result<()> {
    let before = change.before.as_ref().map(|r| &r.kind);
    let after = change.after.as_ref().map(|r| &r.kind);
    for k in before.iter().chain(after.iter()) {
        if k.type_name() != change.kind {
            anyhow::bail!(
                "{}: a `{}` change carries a `{}` object",
                change.address,
                change.kind,
                k.type_name()
            );
        }
    }
    let need = |k: Option<&'_ RenderedKind>, what: &str| -> anyhow::Result<()> {
        match k {
            Some(_) => Ok(()),
            None => Err(anyhow::anyhow!(
                "{}: a {} change needs `{what}`",
                change.address,
                change.action.verb()
            )),
        }
    };
    let result = match (change.action, before, after) {
        (Action::NoOp, _, _) => Ok(()),
        (Action::Create, _, Some(a)) => K::create(iam, stack, a).await,
        (Action::Update, Some(b), Some(a)) => K::update(iam, stack, (b, a)).await,
        (Action::Replace, Some(b), Some(a)) => {
            let undone = delete::<K>(iam, stack, b).await?;
            K::create(iam, stack, a).await?;
            K::restore(iam, (b, a), undone).await
        }
        (Action::Delete, Some(b), _) => delete::<K>(iam, stack, b).await.map(|_| ()),
        (Action::Create, _, None) | (Action::Update | Action::Replace, _, None) => {
            need(after, "after")
        }
        (Action::Update | Action::Replace | Action::Delete, None, _) => need(before, "before"),
    };
    let result = match (result, change.action, after) {
        (Ok(()), Action::Create | Action::Update | Action::Replace, Some(a)) => {
            record_applied::<K>(iam, a).await
        }
        (r, ..) => r,
    };
    result.with_context(|| format!("{} ({})", change.address, change.action.verb()))
}

/// Deletes the object `before` describes (the kind's own steps first).
async fn delete<K: IamKind>(
    iam: &Client,
    stack: &str,
    before: &RenderedKind,
) -> anyhow::Result<K::Undone> {
    let id = K::id(before).ok_or_else(|| cannot("delete", before))?;
    K::delete_owned(iam, stack, &id).await
}

/// Writes the record of this apply on an object of a kind that carries it
/// (`security::drift`), after every other step succeeded: a failed step leaves the previous
/// record, which cannot mark as drift what this configuration changed. With no room for the
/// tag, an older record is removed.
async fn record_applied<K: IamKind>(iam: &Client, after: &RenderedKind) -> anyhow::Result<()> {
    match K::id(after) {
        Some(id) if K::RECORDS_APPLIED => {
            object::set_tag::<K>(iam, &id, APPLIED_TAG, drift::record(after)).await
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Adopt

/// `eksfed import`: marks an existing object as owned by `stack` (tag `eksfed:stack`).
/// `kind` is `role` (id: name), `policy`, `oidc_provider` or `saml_provider` (id: ARN). An
/// object already carrying this stack's tag is left alone; another stack's is refused.
pub async fn adopt(iam: &Client, stack: &str, kind: &str, id: &str) -> anyhow::Result<()> {
    let mark = sdk_tags(std::iter::empty(), stack)?;
    match KindId::parse(kind) {
        Some(KindId::Role) => object::adopt::<IamRole>(iam, stack, id, &mark).await,
        Some(KindId::Policy) => object::adopt::<IamPolicy>(iam, stack, id, &mark).await,
        Some(KindId::OidcProvider) => object::adopt::<OidcProvider>(iam, stack, id, &mark).await,
        Some(KindId::SamlProvider) => object::adopt::<SamlProvider>(iam, stack, id, &mark).await,
        Some(KindId::Cluster | KindId::ServiceAccount | KindId::Access | KindId::RbacBinding)
        | None => anyhow::bail!(
            "eksfed import: IAM objects are {}, not `{kind}`",
            iam_kind_names()
        ),
    }
}

/// The IAM kinds' names, for messages: `role`, `policy`, `oidc_provider` or `saml_provider`.
fn iam_kind_names() -> String {
    let n = [
        IamRole::TYPE,
        IamPolicy::TYPE,
        OidcProvider::TYPE,
        SamlProvider::TYPE,
    ];
    format!("`{}`, `{}`, `{}` or `{}`", n[0], n[1], n[2], n[3])
}
