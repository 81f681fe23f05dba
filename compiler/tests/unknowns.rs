//! A cluster's issuer not known offline is carried as a fact of evaluation
//! (`Compiled::unknown_issuers`), never found by searching the output for the placeholder.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs, language::value::Address,
};

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("cannot read {path}"))
    }
}

fn compiled_with(text: &str, facts: Facts) -> Compiled {
    let c = compile(CompileInput {
        files: vec![("main.hcl".into(), text.into())],
        reader: &NoFiles,
        vars: VarInputs::default(),
        facts,
    });
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| c.sources.render(d))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(c.desired.is_some());
    c
}

fn compiled(text: &str) -> Compiled {
    compiled_with(text, Facts::default())
}

/// (cluster, readers) as strings.
fn unknown(c: &Compiled) -> Vec<(String, Vec<String>)> {
    c.unknown_issuers
        .iter()
        .map(|u| {
            (
                u.cluster.to_string(),
                u.readers.iter().map(Address::to_string).collect(),
            )
        })
        .collect()
}

const HEAD: &str = r#"
stack "s" { account_id = "111122223333" }
cluster "prod" {
  name   = "prod"
  region = "eu-west-1"
}
"#;

const TRUST: &str = r#"
  trust_aws { principals = ["arn:aws:iam::111122223333:root"] }
"#;

#[test]
fn a_literal_that_looks_like_the_placeholder_is_not_an_unknown_issuer() {
    let text = format!(
        r#"{HEAD}
policy "p" {{
  name        = "p"
  description = "see https://oidc.eks.eu-west-1.amazonaws.com/id/UNKNOWN-prod"
  document    = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }}] }})
}}
role "r" {{
  name = "r"
  description = "UNKNOWN-prod"
{TRUST}
  policies = [policy.p.arn]
}}
access "a" {{
  cluster = cluster.prod
  role    = role.r
  groups  = ["UNKNOWN-group"]
}}
"#
    );
    let c = compiled(&text);
    assert_eq!(unknown(&c), vec![]);
}

#[test]
fn a_role_reading_the_issuer_through_a_local_is_flagged() {
    let text = format!(
        r#"{HEAD}
locals {{
  issuer = trimprefix(cluster.prod.oidc_issuer_url, "https://")
  sub    = "${{local.issuer}}:sub"
}}
role "r" {{
  name = "r"
{TRUST}
  inline_policy "read" {{
    statement {{
      actions   = ["s3:GetObject"]
      resources = ["arn:aws:s3:::b/${{local.sub}}"]
    }}
  }}
}}
role "other" {{
  name = "other"
  description = "reads the cluster name only: ${{cluster.prod.name}}"
{TRUST}
}}
"#
    );
    let c = compiled(&text);
    assert_eq!(
        unknown(&c),
        vec![("cluster.prod".to_string(), vec!["role.r".to_string()])]
    );
}

#[test]
fn provider_arn_read_by_a_for_each_instance_through_a_local_resource_is_flagged() {
    // The local holds the cluster itself; the attribute is read in the resource, per instance.
    let text = format!(
        r#"{HEAD}
locals {{
  c = cluster.prod
}}
oidc_provider "p" {{
  url = local.c.oidc_issuer_url
}}
role "r" {{
  for_each = toset(["a", "b"])
  name     = "r-${{each.key}}"
{TRUST}
  inline_policy "read" {{
    statement {{
      actions   = ["iam:GetOpenIDConnectProvider"]
      resources = [local.c.oidc_provider_arn]
    }}
  }}
}}
"#
    );
    let c = compiled(&text);
    assert_eq!(
        unknown(&c),
        vec![(
            "cluster.prod".to_string(),
            vec![
                "oidc_provider.p".to_string(),
                "role.r[\"a\"]".to_string(),
                "role.r[\"b\"]".to_string()
            ]
        )]
    );
}

#[test]
fn a_service_account_trust_on_the_cluster_is_flagged_and_a_known_issuer_is_not() {
    let text = format!(
        r#"{HEAD}
role "irsa" {{
  name = "irsa"
  trust_service_account {{
    cluster   = cluster.prod
    namespace = "ns"
    names     = ["sa"]
  }}
}}
"#
    );
    let c = compiled(&text);
    assert_eq!(
        unknown(&c),
        vec![("cluster.prod".to_string(), vec!["role.irsa".to_string()])]
    );
    // The issuer read from EKS (plan) is known: nothing is flagged.
    let facts = Facts {
        cluster_issuers: [(
            "cluster.prod".to_string(),
            "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC".to_string(),
        )]
        .into(),
        ..Default::default()
    };
    assert_eq!(unknown(&compiled_with(&text, facts)), vec![]);
}

#[test]
fn issuer_read_in_a_for_each_expression_flags_every_instance() {
    let text = format!(
        r#"{HEAD}
role "r" {{
  for_each = {{ issuer = cluster.prod.oidc_issuer_url }}
  name     = "r-${{each.key}}"
{TRUST}
}}
"#
    );
    let c = compiled(&text);
    assert_eq!(
        unknown(&c),
        vec![(
            "cluster.prod".to_string(),
            vec!["role.r[\"issuer\"]".to_string()]
        )]
    );
}
