//! A role's trust statements as blocks. Each statement becomes the typed block that compiles
//! to exactly it (the candidate's statement from [`iam::trust_statement`] compared in canonical
//! form with the live one), tried in turn: a service account trust on the cluster's provider,
//! another OIDC IdP, a SAML IdP, pod identity, AWS principals; else a `trust_statement` holding
//! the statement as is.

use super::block::{address, Block};
use super::ctx::{principal_values, Ctx, RoleInfo};
use super::hcl::{self, q};
use crate::desired::model::Trust;
use crate::iam;
use crate::iam::statement::{raw_statements, Form, Principal, Statement};
use crate::kinds::oidc_provider::SCHEMA as OIDC_PROVIDER;
use crate::kinds::role::{
    TRUST_AWS, TRUST_OIDC, TRUST_POD_IDENTITY, TRUST_SAML, TRUST_SERVICE_ACCOUNT, TRUST_STATEMENT,
};
use crate::kinds::saml_provider::SCHEMA as SAML_PROVIDER;
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

/// A statement's conditions as (operator, key, values).
type Conditions = Vec<(String, String, Vec<String>)>;

/// A role's trust blocks, and whether one matches service accounts with a wildcard.
pub(super) fn role_trusts(c: &Ctx<'_>, r: &RoleInfo<'_>) -> (String, bool) {
    let mut trusts = String::new();
    let mut wildcard = false;
    for st in raw_statements(r.trust_policy) {
        let (t, w) = trust_block(c, st);
        wildcard |= w;
        trusts.push_str(&t);
    }
    (trusts, wildcard)
}

/// One trust statement as the typed block that compiles to exactly it, or as a raw
/// `trust_statement`. Returns the block text and whether it uses `allow_wildcard`.
pub(super) fn trust_block(c: &Ctx<'_>, stmt: &Json) -> (String, bool) {
    let st = &Statement::read(stmt);
    let conds = conditions_of(st);
    let one_kind = matches!(&st.principal, Some(Principal::Typed(p)) if p.len() == 1);
    if let (true, Some(conds)) = (one_kind, &conds) {
        if let Some(found) = service_account_trust(c, stmt, st, conds) {
            return found;
        }
        let typed = provider_trust(c, stmt, st, conds)
            .or_else(|| pod_identity_trust(stmt, st, conds))
            .or_else(|| aws_trust(stmt, st, conds));
        if let Some(text) = typed {
            return (text, false);
        }
    }
    (
        raw_trust(
            "# not expressible with a typed trust block: kept as is\n",
            stmt,
        ),
        false,
    )
}

/// `trust_service_account` on the cluster, with `namespace` and `names` as given.
pub(super) fn service_account_block(
    c: &Ctx<'_>,
    namespace: &str,
    names: &str,
    wildcard: bool,
) -> String {
    let mut b = Block::unlabeled(&TRUST_SERVICE_ACCOUNT);
    b.attr("cluster", &format!("cluster.{}", c.cluster_label));
    b.attr("namespace", namespace);
    b.attr("names", names);
    if wildcard {
        b.lines("# live trust matches service accounts with a wildcard (StringLike); kept as is\n");
        b.attr("allow_wildcard", "true");
    }
    b.close()
}

/// IRSA on the cluster's provider: service accounts of one namespace.
fn service_account_trust(
    c: &Ctx<'_>,
    stmt: &Json,
    st: &Statement,
    conds: &Conditions,
) -> Option<(String, bool)> {
    if principal_values(st, "Federated") != [c.cluster_provider_arn.clone()] {
        return None;
    }
    let sub_key = format!("{}:sub", c.host);
    let parsed: Vec<(&str, &str)> = conds
        .iter()
        .filter(|(_, k, _)| *k == sub_key)
        .flat_map(|(_, _, v)| v)
        .map(|s| s.strip_prefix("system:serviceaccount:")?.split_once(':'))
        .collect::<Option<_>>()?;
    let ns = parsed.first()?.0;
    if parsed.iter().any(|(n, _)| *n != ns) {
        return None;
    }
    let names: Vec<String> = parsed.iter().map(|(_, n)| n.to_string()).collect();
    let wildcard = ns.contains(['*', '?']) || names.iter().any(|n| n.contains(['*', '?']));
    let t = Trust::ServiceAccount {
        cluster: None,
        provider: None,
        issuer: c.host.clone(),
        provider_arn: c.cluster_provider_arn.clone(),
        namespace: ns.to_string(),
        names: names.clone(),
        allow_wildcard: wildcard,
    };
    same_statement(&iam::trust_statement(&t), stmt).then(|| {
        (
            service_account_block(c, &q(ns), &hcl::list(&names), wildcard),
            wildcard,
        )
    })
}

/// Another OIDC IdP, or a SAML IdP, of the account (one the stack generates).
fn provider_trust(c: &Ctx<'_>, stmt: &Json, st: &Statement, conds: &Conditions) -> Option<String> {
    let federated = principal_values(st, "Federated");
    let [arn] = federated.as_slice() else {
        return None;
    };
    if let Some(label) = c.oidc_labels.get(arn) {
        let issuer = arn.split_once(":oidc-provider/").map(|x| x.1).unwrap_or("");
        let t = Trust::Oidc {
            provider: crate::language::value::Address::new(OIDC_PROVIDER.name, label, None),
            provider_arn: arn.clone(),
            issuer: issuer.to_string(),
            conditions: cond_map(conds),
        };
        if same_statement(&iam::trust_statement(&t), stmt) {
            let mut b = Block::unlabeled(&TRUST_OIDC);
            b.attr("provider", &address(&OIDC_PROVIDER, label));
            if !conds.is_empty() {
                b.attr("conditions", &conditions_hcl(&cond_map(conds)));
            }
            return Some(b.close());
        }
    }
    if let Some(label) = c.saml_labels.get(arn) {
        let t = Trust::Saml {
            provider: crate::language::value::Address::new(SAML_PROVIDER.name, label, None),
            provider_arn: arn.clone(),
        };
        if same_statement(&iam::trust_statement(&t), stmt) {
            let mut b = Block::unlabeled(&TRUST_SAML);
            b.attr("provider", &address(&SAML_PROVIDER, label));
            return Some(b.close());
        }
    }
    None
}

/// EKS Pod Identity; kept raw when the typed block would add AWS's Sid.
fn pod_identity_trust(stmt: &Json, st: &Statement, conds: &Conditions) -> Option<String> {
    if principal_values(st, "Service") != ["pods.eks.amazonaws.com"] {
        return None;
    }
    let t = Trust::PodIdentity {
        conditions: cond_map(conds),
    };
    if same_statement(&iam::trust_statement(&t), stmt) {
        if conds.is_empty() {
            return Some(format!("{} {{}}\n", TRUST_POD_IDENTITY.name));
        }
        let mut b = Block::unlabeled(&TRUST_POD_IDENTITY);
        b.attr("conditions", &conditions_hcl(&cond_map(conds)));
        return Some(b.close());
    }
    let mut with_sid = stmt.clone();
    with_sid["Sid"] = json!("AllowEksAuthToAssumeRoleForPodIdentity");
    (st.sid.is_none() && same_statement(&iam::trust_statement(&t), &with_sid)).then(|| {
        raw_trust(
            "# trust_pod_identity would add AWS's Sid \"AllowEksAuthToAssumeRoleForPodIdentity\": kept as is\n",
            stmt,
        )
    })
}

/// AWS principals (accounts, roles, users).
fn aws_trust(stmt: &Json, st: &Statement, conds: &Conditions) -> Option<String> {
    let aws = principal_values(st, "AWS");
    if aws.is_empty() {
        return None;
    }
    let t = Trust::Aws {
        principals: aws.clone(),
        conditions: cond_map(conds),
    };
    if !same_statement(&iam::trust_statement(&t), stmt) {
        return None;
    }
    let mut b = Block::unlabeled(&TRUST_AWS);
    b.attr("principals", &hcl::list(&aws));
    if !conds.is_empty() {
        b.attr("conditions", &conditions_hcl(&cond_map(conds)));
    }
    Some(b.close())
}

/// `comment` then the statement as is in a `trust_statement`.
fn raw_trust(comment: &str, stmt: &Json) -> String {
    let mut b = Block::unlabeled(&TRUST_STATEMENT);
    b.attr(
        "statement",
        &format!("jsonencode({})", hcl::json_expr(stmt)),
    );
    format!("{comment}{}", b.close())
}

fn same_statement(a: &Json, b: &Json) -> bool {
    iam::canonical(&iam::document(vec![a.clone()]))
        == iam::canonical(&iam::document(vec![b.clone()]))
}

/// A statement's conditions as (operator, key, values); `None` when the statement holds
/// anything but strings.
fn conditions_of(st: &Statement) -> Option<Conditions> {
    if st.form != Form::Strings {
        return None;
    }
    st.condition
        .iter()
        .flatten()
        .map(|c| Some((c.op.clone(), c.key.clone()?, c.values.clone())))
        .collect()
}

fn cond_map(conds: &Conditions) -> IndexMap<String, Vec<String>> {
    conds
        .iter()
        .map(|(_, k, v)| (k.clone(), v.clone()))
        .collect()
}

fn conditions_hcl(m: &IndexMap<String, Vec<String>>) -> String {
    let mut s = String::from("{\n");
    for (k, v) in m {
        s.push_str(&format!("{} = {}\n", q(k), hcl::list(v)));
    }
    s.push('}');
    s
}
