//! Readable, stable labels for generated blocks: `role.payments_api`, not
//! `role.eksctl_prod_addon_iamserviceaccount_…_1a2b3c`. The IAM or Kubernetes name stays in
//! `name`; labels depend only on names, so every run over the same objects gives the same ones.

use std::collections::BTreeSet;

/// An HCL identifier from a name: lower case, `_` for anything else, no leading digit.
pub fn ident(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    match out.chars().next() {
        None => "x".into(),
        Some(c) if c.is_ascii_digit() => format!("x{out}"),
        _ => out,
    }
}

/// A generated suffix: CloudFormation's `-Role1-1A2B3C4D5E6F`, Terraform's 26-digit
/// `name_prefix` timestamp, or a trailing random-looking token of upper case and digits.
fn strip_generated_suffix(name: &str) -> &str {
    let mut n = name;
    if let Some(i) = n.rfind("-Role1-") {
        n = &n[..i];
    }
    if let Some((head, tail)) = n.rsplit_once('-') {
        let digits = tail.chars().all(|c| c.is_ascii_digit());
        let token = tail.len() >= 8
            && tail
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && tail.chars().any(|c| c.is_ascii_digit());
        if (digits && tail.len() >= 20) || token {
            n = head;
        }
    } else if n.len() > 26 && n[n.len() - 26..].chars().all(|c| c.is_ascii_digit()) {
        n = &n[..n.len() - 26];
    }
    n
}

/// A role's label from its name: eksctl's and Terraform's generated parts removed.
pub fn role_label(name: &str, cluster: &str) -> String {
    let mut n = strip_generated_suffix(name);
    for prefix in [
        "eksctl-",
        cluster,
        "-",
        "addon-",
        "iamserviceaccount-",
        "podidentityrole-",
    ] {
        if !prefix.is_empty() && n.len() > prefix.len() && n.starts_with(prefix) {
            n = &n[prefix.len()..];
        }
    }
    let n = n
        .strip_prefix("AWSReservedSSO_")
        .map(|s| s.rsplit_once('_').map(|x| x.0).unwrap_or(s))
        .map(|s| format!("sso_{s}"))
        .unwrap_or_else(|| n.to_string());
    ident(&n)
}

/// Hands out labels per block type, unique, in the order asked (callers ask in name order).
#[derive(Default)]
pub struct Labels {
    used: BTreeSet<(String, String)>,
}

impl Labels {
    pub fn take(&mut self, kind: &str, wanted: &str) -> String {
        let base = ident(wanted);
        let mut label = base.clone();
        let mut n = 2;
        while !self.used.insert((kind.to_string(), label.clone())) {
            label = format!("{base}_{n}");
            n += 1;
        }
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_labels() {
        assert_eq!(
            role_label(
                "eksctl-prod-addon-iamserviceaccount-kube-system-aws-load-balancer-controller-Role1-1A2B3C4D5E6F",
                "prod"
            ),
            "kube_system_aws_load_balancer_controller"
        );
        assert_eq!(
            role_label("payments-api-20240101120000123400000001", "prod"),
            "payments_api"
        );
        assert_eq!(
            role_label(
                "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
                "prod"
            ),
            "sso_administratoraccess"
        );
        assert_eq!(role_label("ci/deployer", "prod"), "ci_deployer");
        assert_eq!(ident("9lives"), "x9lives");
        let mut l = Labels::default();
        assert_eq!(l.take("role", "a-b"), "a_b");
        assert_eq!(l.take("role", "a_b"), "a_b_2");
        assert_eq!(l.take("policy", "a_b"), "a_b");
    }
}
