# A deploy role for GitHub Actions: only the main branch of acme/deploy may assume it, through
# GitHub's OIDC provider, and it may only update the kubeconfig of one cluster.

stack "ci-deploy" {
  account_id = "123456789012"
}

oidc_provider "github" {
  url        = "https://token.actions.githubusercontent.com"
  client_ids = ["sts.amazonaws.com"]
  tags       = { purpose = "github-actions" }
}

role "deploy" {
  name                 = "github-deploy"
  path                 = "/ci/"
  description          = "Assumed by GitHub Actions on acme/deploy main"
  max_session_duration = 3600
  trust_oidc {
    provider   = oidc_provider.github
    conditions = {
      "token.actions.githubusercontent.com:sub" = ["repo:acme/deploy:ref:refs/heads/main"]
      "token.actions.githubusercontent.com:aud" = ["sts.amazonaws.com"]
    }
  }
  inline_policy "describe-cluster" {
    statement {
      actions   = ["eks:DescribeCluster"]
      resources = ["arn:aws:eks:us-east-1:123456789012:cluster/prod"]
    }
  }
}
