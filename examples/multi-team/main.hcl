# Many teams, one pattern: each team's workloads get a role that trusts exactly their service
# accounts, a shared read policy, a team-scoped inline policy and the service accounts.

stack "teams" {
  account_id = "123456789012"
}

variable "env" {
  type    = string
  default = "prod"
}

locals {
  teams = {
    payments = { namespace = "payments", apps = ["api", "worker"] }
    search   = { namespace = "search", apps = ["indexer"] }
    reports  = { namespace = "reports", apps = ["reader", "exporter"] }
  }
  # one entry per (team, app) for the service accounts
  service_accounts = merge([
    for team, t in local.teams : {
      for app in t.apps : "${team}-${app}" => { team = team, namespace = t.namespace, app = app }
    }
  ]...)
}

cluster "main" {
  name            = "main-${var.env}"
  region          = "us-east-1"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/MAIN0123456789ABCDEF0123456789AB"
}

oidc_provider "main" {
  url = cluster.main.oidc_issuer_url
}

policy "config_read" {
  name = "${var.env}-config-read"
  statement {
    actions   = ["ssm:GetParameter", "ssm:GetParametersByPath"]
    resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/${var.env}/shared/*"]
  }
}

role "team" {
  for_each = local.teams
  name     = "${var.env}-${each.key}"
  path     = "/teams/"
  tags     = { team = each.key, env = var.env }
  trust_service_account {
    cluster   = cluster.main
    namespace = each.value.namespace
    names     = each.value.apps
  }
  policies = [policy.config_read.arn]
  inline_policy "own-parameters" {
    statement {
      actions   = ["ssm:GetParameter"]
      resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/${var.env}/${each.key}/*"]
    }
  }
}

service_account "app" {
  for_each  = local.service_accounts
  cluster   = cluster.main
  namespace = each.value.namespace
  name      = each.value.app
  role      = role.team[each.value.team]
  labels    = { team = each.value.team }
}
