//! Normalisation: the comparable form of a resource, so that what IAM and Kubernetes rewrite
//! (statement and list order, a string vs a one-element list, condition order, white space,
//! defaults) never shows as a change, and what the stack does not specify is not compared.
//! Each kind says what its form is (`Kind::normalize`).

use crate::kinds;
use crate::plan::rendered::RenderedKind;
use serde_json::Value as Json;

/// The comparable form of a resource, seen through the desired one (what it specifies).
pub fn normalize(kind: &RenderedKind, desired: &RenderedKind) -> Json {
    kinds::of(kind).normalize(kind, desired)
}
