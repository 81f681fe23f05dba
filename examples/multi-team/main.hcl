# Many teams, one pattern: each team's workloads get a role that trusts exactly their service
# accounts, a shared read policy, a team-scoped inline policy and the service accounts. The
# pattern is the module `./team`, called once per team. Written out as `role` and
# `service_account` blocks with `for_each` (as this example once was), it is the same live
# objects: eksfed finds them by name and path, namespace and name, so moving the blocks into
# the module plans no change (tests/cli_workspace.rs applies the flat form, then plans this).

locals {
  account_id = "123456789012"
  teams      = {
    payments = { namespace = "payments", apps = ["api", "worker"] }
    search   = { namespace = "search", apps = ["indexer"] }
    reports  = { namespace = "reports", apps = ["reader", "exporter"] }
  }
}

stack "teams" {
  account_id = local.account_id
}

variable "env" {
  type    = string
  default = "prod"
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
    resources = ["arn:aws:ssm:us-east-1:${local.account_id}:parameter/${var.env}/shared/*"]
  }
}

module "team" {
  source      = "./team"
  for_each    = local.teams
  cluster     = cluster.main
  account_id  = local.account_id
  env         = var.env
  team        = each.key
  namespace   = each.value.namespace
  apps        = each.value.apps
  policy_arns = [policy.config_read.arn]
}
