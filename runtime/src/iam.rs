//! IAM: reading the live roles, customer managed policies and identity providers of an
//! account as [`LiveObject`](eksfed_compiler::plan::live::LiveObject) pieces, applying
//! [`Change`](eksfed_compiler::plan::Change)s to them, and adopting existing
//! objects (`eksfed import`).
//!
//! **Reading** ([`read`]) costs, for an account with R roles, P customer managed policies,
//! O OIDC and S SAML providers:
//!
//! | requests | what |
//! | --- | --- |
//! | ⌈(R+P)/1000⌉ (more if AWS cuts a page short) | `GetAccountAuthorizationDetails` (Filter `Role`, `LocalManagedPolicy`, MaxItems 1000, Marker followed): trust policies, inline documents, attachments, boundaries and tags of every role; every version of every policy |
//! | ⌈R/1000⌉ | `ListRoles`: the two role fields GAAD leaves out, `Description` and `MaxSessionDuration` |
//! | P | `ListPolicyTags`, 10 at a time: GAAD carries no policy tags, and ownership is a tag |
//! | 1 + O | `ListOpenIDConnectProviders` + `GetOpenIDConnectProvider` each (10 at a time) |
//! | 1 + S | `ListSAMLProviders` + `GetSAMLProvider` each (10 at a time) |
//!
//! so 300 roles sharing one policy cost 5 requests, where reading role by role the way the
//! Terraform provider does (GetRole + ListRolePolicies + GetRolePolicy per inline +
//! ListAttachedRolePolicies) costs at least 4 per role. Only objects owned by the stack (tag
//! `eksfed:stack` = stack) or whose key the caller wants are returned; another stack's object
//! is returned only when wanted, an unmarked one (owner `None`) likewise.
//!
//! **Writing** ([`apply`]) computes the minimal calls from a change's `before` (the live
//! piece) and `after`; a role's attachments and inline policies are managed exclusively (a
//! policy attached by hand is detached). Before any write to an existing object the
//! ownership tag is checked again with one Get; a foreign object is never modified. Every
//! write goes through [`crate::retry`] (IAM's eventual consistency, throttling).
//!
//! **SAML providers and ownership.** On AWS, `CreateSAMLProvider` takes tags and
//! `GetSAMLProvider` returns them, so SAML providers carry the `eksfed:stack` tag like every
//! other object. moto (5.2.5) accepts the tags on create and drops them: its
//! `GetSAMLProvider` answer has no `Tags` element, and `TagSAMLProvider`,
//! `UntagSAMLProvider` and `ListSAMLProviderTags` are not implemented (HTTP 500). eksfed does
//! not guess ownership from names: a provider whose tags did not stick is *unmarked*. So
//! [`apply`] checks after `CreateSAMLProvider` that the tag is there and fails with an error
//! saying the endpoint did not keep it; [`read`] returns such a provider (when wanted) with
//! owner `None` and `meta.ownership` explaining that the endpoint returned no tags, which
//! the plan reports as an object this stack does not own; updates, deletes and adoption
//! refuse it. On such an endpoint a stack can create a SAML provider but not manage it after.
//!
//! **Files.** Each kind has one file holding everything done for it alone — `role.rs`,
//! `policy.rs`, `oidc_provider.rs`, `saml_provider.rs`: its `IamObject` impl (names,
//! Get/Tag/Untag/Delete), its `IamKind` impl (id, create, update, delete, restore after
//! a replacement, whether it carries the record of the last apply) and its reader (IAM's
//! answer → its piece). `object.rs` is what every kind shares, written once over
//! `IamObject` (get, ownership check, tags, delete, adopt); `kind.rs` the `IamKind` trait;
//! `apply.rs` the walk and the table of kinds; `read.rs` the bulk read and filtering.
//! `common.rs` and `page.rs` are leaves every other file may use. A new IAM kind is one new
//! file plus its `mod` line and an entry in each table: `apply`, `adopt`, the reader call
//! in `read`.

mod apply;
mod common;
mod kind;
mod object;
mod oidc_provider;
mod page;
mod policy;
mod read;
mod role;
mod saml_provider;

pub use apply::{adopt, apply};
pub use common::CONCURRENCY;
pub use read::read;
