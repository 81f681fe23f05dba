//! `--identity SUBJECT`: who asks, and the requests it makes to reach a role through a path.
//! A subject is written as an identity is, followed by the values it presents
//! (`oidc:HOST sub=... aud=...`, `aws:ARN sts:ExternalId=...`); what IAM or EKS adds on their
//! own is added here: an IRSA token's `sub` and `aud=sts.amazonaws.com`, pod identity's session
//! tags (namespace, service account, the cluster of the path) and `aws:SourceAccount`, a SAML
//! assertion's AWS sign-in audience, an IAM principal's `aws:PrincipalArn` and
//! `aws:PrincipalAccount`. A key the subject does not give is missing, as IAM treats it, except
//! the keys every request carries with a value nobody here knows (the time, the source IP, a
//! pod's name...): those are unknown, and a condition on them may admit.

use super::condition::{Answer, Fact, Verdict};
use super::model::{Gate, Via};
use super::policy::{self, account_of, Caller, Request};
use std::collections::BTreeMap;

pub const IRSA_AUDIENCE: &str = "sts.amazonaws.com";
pub const SAML_AUDIENCE: &str = "https://signin.aws.amazon.com/saml";
pub const POD_IDENTITY_SERVICE: &str = "pods.eks.amazonaws.com";
pub const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";
pub const SAML: &str = "sts:AssumeRoleWithSAML";
pub const ASSUME_ROLE: &str = "sts:AssumeRole";
pub const TAG_SESSION: &str = "sts:TagSession";
pub const NAMESPACE_TAG: &str = "aws:RequestTag/kubernetes-namespace";
pub const SERVICE_ACCOUNT_TAG: &str = "aws:RequestTag/kubernetes-service-account";
pub const CLUSTER_NAME_TAG: &str = "aws:RequestTag/eks-cluster-name";
/// OIDC identity providers AWS knows by name, without a provider in the account.
const PUBLIC_IDPS: &[&str] = &[
    "accounts.google.com",
    "cognito-identity.amazonaws.com",
    "graph.facebook.com",
    "www.amazon.com",
];

/// Who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// `system:serviceaccount:NS:NAME`: by IRSA or by pod identity.
    ServiceAccount { namespace: String, name: String },
    /// `pod-identity:NS/NAME`.
    PodIdentity { namespace: String, name: String },
    /// `oidc:HOST`.
    Oidc { host: String },
    /// `saml:PROVIDER_ARN`.
    Saml { provider: String },
    /// `aws:ARN`: a user, role, session or account.
    Aws { arn: String },
    /// `aws:SERVICE` (`codebuild.amazonaws.com`).
    Service { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub who: Who,
    /// `KEY=VALUE` pairs as written; a key given twice has several values.
    pub given: Vec<(String, String)>,
}

/// Reads a subject; `None` when it is none of the forms above.
pub fn parse(s: &str) -> Option<Subject> {
    let mut words = s.split_whitespace();
    let head = words.next()?;
    let mut given = vec![];
    for w in words {
        let (k, v) = w.split_once('=')?;
        // `KEY!=V`, `KEY?=V`, `any:KEY=V`... are conditions, as identities are written, not
        // values a subject presents: such a subject is matched as text.
        if k.is_empty()
            || k.ends_with(['!', '?', '<', '>'])
            || k.starts_with("any:")
            || k.starts_with("all:")
        {
            return None;
        }
        given.push((k.to_string(), v.to_string()));
    }
    let who = if let Some(rest) = head.strip_prefix("system:serviceaccount:") {
        let (ns, name) = rest.split_once(':')?;
        Who::ServiceAccount {
            namespace: ns.to_string(),
            name: name.to_string(),
        }
    } else if let Some(rest) = head.strip_prefix("pod-identity:") {
        let (ns, name) = rest.split_once('/')?;
        Who::PodIdentity {
            namespace: ns.to_string(),
            name: name.to_string(),
        }
    } else if let Some(host) = head.strip_prefix("oidc:") {
        Who::Oidc {
            host: host.trim_start_matches("https://").to_string(),
        }
    } else if let Some(p) = head.strip_prefix("saml:") {
        Who::Saml {
            provider: p.to_string(),
        }
    } else if let Some(p) = head.strip_prefix("aws:") {
        if p.starts_with("arn:") {
            Who::Aws { arn: p.to_string() }
        } else if p.contains('.') {
            Who::Service {
                name: p.to_string(),
            }
        } else {
            return None;
        }
    } else {
        return None;
    };
    Some(Subject { who, given })
}

/// What one request carries: its keys (lower-cased) with values; any other key is missing
/// unless every request of its kind carries it.
struct Context {
    family: Family,
    values: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Family {
    WebIdentity,
    Saml,
    PodIdentity,
    Aws,
    Service,
}

impl Context {
    fn new(family: Family) -> Context {
        Context {
            family,
            values: BTreeMap::new(),
        }
    }
    fn set(&mut self, key: &str, value: &str) {
        self.values
            .insert(key.to_ascii_lowercase(), vec![value.to_string()]);
    }
    /// The subject's own values, over what was set for it; `short` prefixes a key written
    /// without a `:` (`sub` → `HOST:sub`).
    fn give(&mut self, given: &[(String, String)], short: &str) {
        let mut mine: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in given {
            let key = if k.contains(':') {
                k.clone()
            } else {
                format!("{short}{k}")
            };
            mine.entry(key.to_ascii_lowercase())
                .or_default()
                .push(v.clone());
        }
        self.values.extend(mine);
    }
    fn fact(&self, key: &str) -> Fact {
        let k = key.to_ascii_lowercase();
        if let Some(v) = self.values.get(&k) {
            return Fact::Values(v.clone());
        }
        if always_present(&k, self.family) {
            return Fact::Unknown(format!(
                "{key} is set on every request; its value is not known unless the subject gives it"
            ));
        }
        Fact::Missing
    }
}

/// Keys IAM or EKS put in every request of a kind, whose value a subject is not expected to
/// know (lower-cased).
fn always_present(k: &str, family: Family) -> bool {
    const ALL: &[&str] = &[
        "aws:currenttime",
        "aws:epochtime",
        "aws:sourceip",
        "aws:securetransport",
        "aws:requestedregion",
        "aws:useragent",
        "aws:principaltype",
        "aws:userid",
        "aws:principalisawsservice",
        "aws:viaawsservice",
    ];
    if ALL.contains(&k) {
        return true;
    }
    match family {
        Family::PodIdentity => matches!(
            k,
            "aws:requesttag/kubernetes-pod-name"
                | "aws:requesttag/kubernetes-pod-uid"
                | "aws:requesttag/eks-cluster-name"
                | "aws:requesttag/eks-cluster-arn"
                | "aws:tagkeys"
                | "aws:sourcearn"
                | "aws:sourceaccount"
        ),
        // The assertion carries its subject, issuer and name qualifier; IdP attributes.
        Family::Saml => k.starts_with("saml:"),
        Family::Aws => k.starts_with("aws:principaltag/") || k == "sts:rolesessionname",
        Family::Service => matches!(k, "aws:sourcearn" | "aws:sourceaccount"),
        Family::WebIdentity => k == "sts:rolesessionname",
    }
}

/// The provider a web identity of `host` comes through, in the role's account.
pub fn provider_for(role_arn: &str, host: &str) -> String {
    if PUBLIC_IDPS.contains(&host) {
        return host.to_string();
    }
    let partition = role_arn.split(':').nth(1).unwrap_or("aws");
    format!(
        "arn:{partition}:iam::{}:oidc-provider/{host}",
        account_of(role_arn).unwrap_or("")
    )
}

/// Whether an issuer host is an EKS cluster's (its tokens are service accounts').
pub fn is_eks_issuer(host: &str, gate: &Gate) -> bool {
    gate.cluster
        .as_ref()
        .and_then(|c| c.issuer.as_deref())
        .is_some_and(|i| i.eq_ignore_ascii_case(host))
        || host.starts_with("oidc.eks.")
}

/// Why a condition of a path cannot be decided for any subject of its kind (an unknown
/// operator, a policy variable, a key every request carries with a value nobody knows), or
/// `None` when the values a subject gives decide it.
pub fn undecided(gate: &Gate, c: &super::condition::Clause) -> Option<String> {
    let family = match &gate.via {
        Via::WebIdentity { .. } => Family::WebIdentity,
        Via::Saml { .. } => Family::Saml,
        Via::PodIdentity { .. } => Family::PodIdentity,
        Via::Service(_) => Family::Service,
        Via::Aws(_) | Via::Any => Family::Aws,
    };
    // A pod presents its cluster's tags; every other key is the subject's to give.
    let context = if family == Family::PodIdentity {
        pod_identity(gate, "", "", &[]).context
    } else {
        Context::new(family)
    };
    let v = super::condition::holds(c, &|k: &str| context.fact(k));
    (v.answer == Answer::Maybe).then(|| v.why.unwrap_or_default())
}

/// One way the subject may reach the role: the requests it makes, all of which must be
/// allowed.
struct Attempt {
    caller: Caller,
    actions: &'static [&'static str],
    context: Context,
}

fn web_identity(
    role_arn: &str,
    host: &str,
    given: &[(String, String)],
    sa: Option<String>,
) -> Attempt {
    let provider = provider_for(role_arn, host);
    let mut c = Context::new(Family::WebIdentity);
    if let Some(sub) = sa {
        c.set(&format!("{host}:sub"), &sub);
        c.set(&format!("{host}:aud"), IRSA_AUDIENCE);
    }
    c.set("aws:FederatedProvider", &provider);
    c.give(given, &format!("{host}:"));
    Attempt {
        caller: Caller::Federated(provider),
        actions: &[WEB_IDENTITY],
        context: c,
    }
}

fn pod_identity(gate: &Gate, namespace: &str, name: &str, given: &[(String, String)]) -> Attempt {
    let mut c = Context::new(Family::PodIdentity);
    c.set(NAMESPACE_TAG, namespace);
    c.set(SERVICE_ACCOUNT_TAG, name);
    // The cluster of the path, unless the subject names another.
    let named = given.iter().find(|(k, _)| {
        k.eq_ignore_ascii_case("eks-cluster-name") || k.eq_ignore_ascii_case(CLUSTER_NAME_TAG)
    });
    let cluster = gate
        .cluster
        .as_ref()
        .filter(|cl| named.is_none_or(|(_, v)| *v == cl.name));
    if let Some(cl) = cluster {
        c.set(CLUSTER_NAME_TAG, &cl.name);
        if let Some(arn) = &cl.arn {
            c.set("aws:RequestTag/eks-cluster-arn", arn);
            if let Some(a) = account_of(arn) {
                c.set("aws:SourceAccount", a);
            }
        }
    }
    c.give(given, "aws:RequestTag/");
    Attempt {
        caller: Caller::Service(POD_IDENTITY_SERVICE.to_string()),
        actions: &[ASSUME_ROLE, TAG_SESSION],
        context: c,
    }
}

/// The principal ARN IAM sees for an IAM caller: a session's role, or the ARN itself.
fn principal_arn(arn: &str) -> String {
    match arn.split_once(":assumed-role/") {
        Some((head, rest)) => format!(
            "{}:role/{}",
            head.replacen(":sts:", ":iam:", 1),
            rest.split('/').next().unwrap_or(rest)
        ),
        None => arn.to_string(),
    }
}

/// The ways a subject may come through a path's gate.
fn attempts(s: &Subject, gate: &Gate) -> Vec<Attempt> {
    let role = gate.role_arn.as_str();
    let mut out = vec![];
    let any = gate.via == Via::Any;
    match &s.who {
        Who::ServiceAccount { namespace, name } => {
            let sub = format!("system:serviceaccount:{namespace}:{name}");
            let hosts: Vec<String> = match &gate.via {
                Via::WebIdentity { host, .. } if is_eks_issuer(host, gate) => vec![host.clone()],
                Via::Any => gate
                    .clusters
                    .iter()
                    .filter_map(|c| c.issuer.clone())
                    .collect(),
                _ => vec![],
            };
            for h in hosts {
                out.push(web_identity(role, &h, &s.given, Some(sub.clone())));
            }
            if any || matches!(gate.via, Via::PodIdentity { .. }) {
                out.extend(pod_attempt(gate, namespace, name, &s.given));
            }
        }
        Who::PodIdentity { namespace, name } => {
            if any || matches!(gate.via, Via::PodIdentity { .. }) {
                out.extend(pod_attempt(gate, namespace, name, &s.given));
            }
        }
        Who::Oidc { host } => {
            let ok = match &gate.via {
                Via::WebIdentity { host: h, .. } => h.eq_ignore_ascii_case(host),
                Via::Any => true,
                _ => false,
            };
            if ok {
                out.push(web_identity(role, host, &s.given, None));
            }
        }
        Who::Saml { provider } => {
            // AssumeRoleWithSAML takes a provider of the role's own account.
            if (any || matches!(gate.via, Via::Saml { .. }))
                && account_of(provider) == account_of(role)
            {
                let mut c = Context::new(Family::Saml);
                c.set("SAML:aud", SAML_AUDIENCE);
                c.set("aws:FederatedProvider", provider);
                c.give(&s.given, "SAML:");
                out.push(Attempt {
                    caller: Caller::Federated(provider.clone()),
                    actions: &[SAML],
                    context: c,
                });
            }
        }
        Who::Aws { arn } => {
            if any || matches!(gate.via, Via::Aws(_)) {
                let mut c = Context::new(Family::Aws);
                c.set("aws:PrincipalArn", &principal_arn(arn));
                if let Some(a) = account_of(arn) {
                    c.set("aws:PrincipalAccount", a);
                }
                c.give(&s.given, "");
                out.push(Attempt {
                    caller: Caller::Aws(arn.clone()),
                    actions: &[ASSUME_ROLE],
                    context: c,
                });
            }
        }
        Who::Service { name } => {
            if any || matches!(gate.via, Via::Service(_)) {
                let mut c = Context::new(Family::Service);
                c.give(&s.given, "");
                out.push(Attempt {
                    caller: Caller::Service(name.clone()),
                    actions: &[ASSUME_ROLE],
                    context: c,
                });
            }
        }
    }
    out
}

fn pod_attempt(
    gate: &Gate,
    namespace: &str,
    name: &str,
    given: &[(String, String)],
) -> Option<Attempt> {
    match &gate.via {
        // A path of one association admits that association's service account only.
        Via::PodIdentity {
            association: Some((ns, sa)),
        } if (ns.as_str(), sa.as_str()) != (namespace, name) => None,
        _ => Some(pod_identity(gate, namespace, name, given)),
    }
}

/// Whether a path's gate admits the subject: for some way it may come, the path's own
/// statement matches one of its requests and the whole trust policy allows every one.
pub fn admits(gate: &Gate, s: &Subject) -> Verdict {
    let mut best = Verdict::no();
    if gate.via == Via::Any
        && matches!(s.who, Who::ServiceAccount { .. })
        && !gate.clusters.iter().any(|c| c.issuer.is_some())
    {
        best = Verdict::maybe("the issuer of the service account's cluster is not known");
    }
    for a in attempts(s, gate) {
        let fact = |k: &str| a.context.fact(k);
        let reqs: Vec<Request<'_>> = a
            .actions
            .iter()
            .map(|action| Request {
                caller: a.caller.clone(),
                action,
                role_arn: &gate.role_arn,
                fact: &fact,
            })
            .collect();
        let own = Verdict::any(
            reqs.iter()
                .map(|r| policy::statement_matches(&gate.statement, r)),
        );
        let all = Verdict::all(reqs.iter().map(|r| policy::allows(&gate.policy, r)));
        best = best.or(own.and(all));
        if best.answer == Answer::Yes {
            break;
        }
    }
    best
}
