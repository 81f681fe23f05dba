//! The resource kinds by name: the one place a kind's name is spelled. A leaf: every stage
//! that must name a kind (addresses, plans, schemas, the runtime) derives the name from here,
//! and matching on a [`KindId`] is checked for every kind by the compiler.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A resource kind. Its name (snake_case) is what addresses, plans, fixtures and schemas
/// carry, unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindId {
    Cluster,
    OidcProvider,
    SamlProvider,
    Policy,
    Role,
    ServiceAccount,
    Access,
    RbacBinding,
}

impl KindId {
    /// Every kind, in the order the language lists its blocks (the order of the registry,
    /// `kinds!` in `kinds/mod.rs`, whose test checks that they agree).
    pub const ALL: [KindId; 8] = [
        KindId::Cluster,
        KindId::OidcProvider,
        KindId::SamlProvider,
        KindId::Policy,
        KindId::Role,
        KindId::ServiceAccount,
        KindId::Access,
        KindId::RbacBinding,
    ];

    /// The kind's name in the language, addresses and plans.
    pub const fn name(self) -> &'static str {
        match self {
            KindId::Cluster => "cluster",
            KindId::OidcProvider => "oidc_provider",
            KindId::SamlProvider => "saml_provider",
            KindId::Policy => "policy",
            KindId::Role => "role",
            KindId::ServiceAccount => "service_account",
            KindId::Access => "access",
            KindId::RbacBinding => "rbac_binding",
        }
    }

    /// The kind named `name`, if there is one.
    pub fn parse(name: &str) -> Option<KindId> {
        KindId::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The names of every kind, in [`KindId::ALL`]'s order.
    pub const NAMES: [&'static str; KindId::ALL.len()] = {
        let mut out = [""; KindId::ALL.len()];
        let mut i = 0;
        while i < out.len() {
            out[i] = KindId::ALL[i].name();
            i += 1;
        }
        out
    };
}

impl fmt::Display for KindId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::id::KindId;

    #[test]
    fn names_parse_back_and_serialize_as_written() {
        for k in KindId::ALL {
            assert_eq!(KindId::parse(k.name()), Some(k));
            assert_eq!(
                serde_json::to_value(k).ok(),
                Some(serde_json::json!(k.name()))
            );
            assert_eq!(k.to_string(), k.name());
        }
        assert_eq!(KindId::parse("local"), None);
    }
}
