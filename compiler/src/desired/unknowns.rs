//! Values the compiler can only guess offline, carried as facts about the evaluation rather
//! than found again in the output.
//!
//! A cluster without `oidc_issuer_url` (and none read with DescribeCluster) exports a
//! placeholder issuer, so `validate` can go on; whatever derives from it is wrong and must not
//! be rendered. Evaluation records which exports each expression reads from a resource
//! (`Env::reads`); the compiler carries them through locals and `for_each` to each instance
//! ([`ExportReads`]), and [`unknown_issuers`] names the resources that read an issuer-derived
//! export of such a cluster, or trust its service accounts.

use crate::desired::model::{DesiredState, ResourceKind};
use crate::kinds;
use crate::language::value::Address;
use std::collections::BTreeMap;

/// The exports of a cluster that derive from its OIDC issuer.
pub const ISSUER_EXPORTS: &[&str] = &["oidc_issuer_url", "oidc_provider_arn"];

/// For each resource instance, the `(resource, export)` pairs its expressions read, directly
/// or through locals and its `for_each`.
#[derive(Debug, Clone, Default)]
pub struct ExportReads(BTreeMap<Address, Vec<(Address, String)>>);

impl ExportReads {
    pub fn insert(&mut self, reader: &Address, reads: Vec<(Address, String)>) {
        self.0.insert(reader.clone(), reads);
    }

    /// Adds what the instances of a module read.
    pub fn extend(&mut self, other: ExportReads) {
        self.0.extend(other.0);
    }

    /// What `reader` reads (empty when it reads no export).
    pub fn of(&self, reader: &Address) -> &[(Address, String)] {
        self.0.get(reader).map(Vec::as_slice).unwrap_or_default()
    }

    /// Whether `reader` reads export `attr` of `resource`.
    pub fn reads(&self, reader: &Address, resource: &Address, attr: &str) -> bool {
        self.of(reader)
            .iter()
            .any(|(r, a)| r == resource && a == attr)
    }
}

/// A cluster whose issuer is not known and the resources whose values derive from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownIssuer {
    pub cluster: Address,
    /// In resource order; never empty.
    pub readers: Vec<Address>,
}

/// Clusters without a known issuer that some resource depends on, in resource order.
pub fn unknown_issuers(desired: &DesiredState, reads: &ExportReads) -> Vec<UnknownIssuer> {
    let mut out = vec![];
    for c in &desired.resources {
        let ResourceKind::Cluster(cl) = &c.kind else {
            continue;
        };
        if cl.oidc_issuer_url.is_some() {
            continue;
        }
        let readers: Vec<Address> = desired
            .resources
            .iter()
            .filter(|r| {
                // A role's trust document holds the issuer of the clusters it trusts.
                kinds::trusted_clusters(r)
                    .iter()
                    .any(|(cl, _)| *cl == &c.address)
                    || ISSUER_EXPORTS
                        .iter()
                        .any(|attr| reads.reads(&r.address, &c.address, attr))
            })
            .map(|r| r.address.clone())
            .collect();
        if !readers.is_empty() {
            out.push(UnknownIssuer {
                cluster: c.address.clone(),
                readers,
            });
        }
    }
    out
}
