//! The identity providers the owned roles' trust policies name: `oidc_provider` blocks (the
//! cluster's one by reference to the cluster's issuer; GitHub Actions' and other stacks' ones
//! `existing`) and `saml_provider` blocks (their metadata in a file beside `main.hcl`). The
//! cluster's provider is generated even when no role trusts it yet.

use super::block::{address, Block};
use super::ctx::{principal_values, Ctx, Read, Want};
use super::hcl::q;
use super::GITHUB_OIDC_HOST;
use crate::iam::statement::statements;
use crate::kinds::cluster::SCHEMA as CLUSTER;
use crate::kinds::oidc_provider::SCHEMA as OIDC_PROVIDER;
use crate::kinds::saml_provider::SCHEMA as SAML_PROVIDER;
use crate::plan::live::LiveObject;
use crate::plan::rendered::RenderedKind;
use std::collections::{BTreeMap, BTreeSet};

/// The provider blocks; labels the providers' ARNs for the roles' trust blocks.
pub(super) fn write(c: &mut Ctx<'_>, read: &Read<'_>, want: &BTreeMap<String, Want>) -> String {
    let mut providers: BTreeSet<String> = BTreeSet::new();
    for (name, w) in want {
        if *w != Want::Owned {
            continue;
        }
        for st in statements(read.roles[name.as_str()].trust_policy) {
            providers.extend(principal_values(&st, "Federated"));
        }
    }
    let mut out = String::new();
    for arn in &providers {
        if let Some(o) = read.oidc.get(arn.as_str()) {
            out.push_str(&oidc_provider(c, arn, o));
        } else if let Some(o) = read.saml.get(arn.as_str()) {
            out.push_str(&saml_provider(c, arn, o));
        }
    }
    // The cluster's provider even when no role trusts it yet.
    if !c.oidc_labels.contains_key(&c.cluster_provider_arn) {
        if let Some(o) = read.oidc.get(c.cluster_provider_arn.as_str()) {
            match c.owned_elsewhere(&o.owner) {
                None => out.push_str(&oidc_provider(c, &c.cluster_provider_arn.clone(), o)),
                Some(other) => c.note(format!(
                    "left out: the cluster's OIDC provider: owned by the eksfed stack `{other}`"
                )),
            }
        }
    }
    out
}

/// One `oidc_provider` block (and a blank line), or nothing when it is the cluster's and
/// another stack owns it.
fn oidc_provider(c: &mut Ctx<'_>, arn: &str, o: &LiveObject) -> String {
    let RenderedKind::OidcProvider { url, .. } = &o.piece else {
        return String::new();
    };
    let host = url.trim_start_matches("https://");
    let is_cluster = arn == c.cluster_provider_arn;
    let other = c.owned_elsewhere(&o.owner);
    if let Some(other) = &other {
        c.note(format!(
            "left out: OIDC provider {url}: owned by the eksfed stack `{other}`"
        ));
        if is_cluster {
            return String::new();
        }
    }
    let wanted_label = if is_cluster {
        c.cluster_label.clone()
    } else if host == GITHUB_OIDC_HOST {
        "github".into()
    } else {
        host.split('/')
            .next()
            .unwrap_or(host)
            .split('.')
            .next()
            .unwrap_or(host)
            .to_string()
    };
    let label = c.labels.take(OIDC_PROVIDER.name, &wanted_label);
    c.oidc_labels.insert(arn.to_string(), label.clone());
    let address = address(&OIDC_PROVIDER, &label);
    let mut b = Block::labeled(&OIDC_PROVIDER, &label);
    if host == GITHUB_OIDC_HOST || other.is_some() {
        b.attr("url", &q(url));
        b.lines("# made once per account by someone else: used, never changed\n");
        b.attr("existing", "true");
        c.note(format!(
            "existing: OIDC provider {url} (one per account, not owned by this stack)"
        ));
    } else {
        b.lines(&c.allow_lines(&address, &[]));
        for (attr, v) in b.live_attrs(&o.piece) {
            match attr.name {
                // The cluster's issuer, by reference.
                "url" if is_cluster => b.attr(
                    attr.name,
                    &format!("{}.oidc_issuer_url", address_of_cluster(c)),
                ),
                _ => b.live(attr, &v),
            }
        }
        c.import(address, url.clone());
    }
    c.count(OIDC_PROVIDER.name);
    b.close() + "\n"
}

/// One `saml_provider` block (and a blank line), its metadata in a file beside `main.hcl`.
fn saml_provider(c: &mut Ctx<'_>, arn: &str, o: &LiveObject) -> String {
    let RenderedKind::SamlProvider { name, metadata, .. } = &o.piece else {
        return String::new();
    };
    if let Some(other) = c.owned_elsewhere(&o.owner) {
        c.note(format!(
            "left out: SAML provider {name}: owned by the eksfed stack `{other}`"
        ));
        return String::new();
    }
    let label = c.labels.take(SAML_PROVIDER.name, name);
    c.saml_labels.insert(arn.to_string(), label.clone());
    let address = address(&SAML_PROVIDER, &label);
    let mut b = Block::labeled(&SAML_PROVIDER, &label);
    b.lines(&c.allow_lines(&address, &[]));
    for (attr, v) in b.live_attrs(&o.piece) {
        match attr.name {
            // The metadata document (kilobytes of XML) goes in a file beside main.hcl, as a
            // person would keep it.
            "metadata" => {
                let file = format!("{label}.saml-metadata.xml");
                b.attr(attr.name, &format!("file({})", q(&file)));
                c.files.insert(file, metadata.clone());
            }
            _ => b.live(attr, &v),
        }
    }
    c.import(address, name.clone());
    c.count(SAML_PROVIDER.name);
    b.close() + "\n"
}

/// `cluster.LABEL`.
fn address_of_cluster(c: &Ctx<'_>) -> String {
    address(&CLUSTER, &c.cluster_label)
}
