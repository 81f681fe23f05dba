//! Generated stacks of N roles for benchmarks and scale tests: one cluster and OIDC provider,
//! one shared managed policy, and per role an IRSA trust, an inline policy and a service
//! account, all made with `for_each`.

/// The stack's text for `n` roles in `account_id`.
pub fn stack(n: usize, account_id: &str) -> String {
    let mut apps = String::new();
    for i in 0..n {
        apps.push_str(&format!("    app{i:05} = \"team{}\"\n", i % 50));
    }
    format!(
        r#"stack "bench" {{
  account_id = "{account_id}"
}}
locals {{
  apps = {{
{apps}  }}
}}
cluster "main" {{
  name            = "main"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/BENCH0123456789ABCDEF0123456789"
}}
oidc_provider "main" {{
  url = cluster.main.oidc_issuer_url
}}
policy "shared" {{
  statement {{
    actions   = ["ssm:GetParameter"]
    resources = ["arn:aws:ssm:us-east-1:{account_id}:parameter/shared/*"]
  }}
}}
role "app" {{
  for_each = local.apps
  name     = "bench-${{each.key}}"
  tags     = {{ team = each.value }}
  trust_service_account {{
    cluster   = cluster.main
    namespace = each.value
    names     = [each.key]
  }}
  policies = [policy.shared.arn]
  inline_policy "own" {{
    statement {{
      actions   = ["s3:GetObject"]
      resources = ["arn:aws:s3:::bench/${{each.key}}/*"]
    }}
  }}
}}
service_account "app" {{
  for_each  = local.apps
  cluster   = cluster.main
  namespace = each.value
  name      = each.key
  role      = role.app[each.key]

  create_namespace = true
}}
"#
    )
}
