# One team: a role trusting exactly its service accounts, with the shared policies and an
# inline policy for the team's own parameters, and one service account per application.

role "this" {
  name = "${var.env}-${var.team}"
  path = "/teams/"
  tags = { team = var.team, env = var.env }
  trust_service_account {
    cluster   = var.cluster
    namespace = var.namespace
    names     = var.apps
  }
  policies = var.policy_arns
  inline_policy "own-parameters" {
    statement {
      actions   = ["ssm:GetParameter"]
      resources = ["arn:aws:ssm:us-east-1:${var.account_id}:parameter/${var.env}/${var.team}/*"]
    }
  }
}

service_account "app" {
  for_each  = toset(var.apps)
  cluster   = var.cluster
  namespace = var.namespace
  name      = each.key
  role      = role.this
  labels    = { team = var.team }
}

output "role" {
  value = role.this
}
