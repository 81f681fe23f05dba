# A team: a policy for its own parameters (from the workspace's shared template, found
# through `path.module`: the module's directory, relative to the calling stack), an IRSA
# application per app (the irsa-app module), a role for its people, their group in the
# cluster and the RBAC binding that makes the group edit the team's namespace.

policy "config" {
  name     = "${var.env}-${var.team}-config-read"
  document = templatefile("${path.module}/../../policies/config-read.json.tftpl", {
    region  = var.cluster.region
    account = var.account_id
    env     = var.env
    team    = var.team
  })
}

module "app" {
  source          = "../irsa-app"
  for_each        = toset(var.apps)
  cluster         = var.cluster
  name            = "${var.env}-${var.team}-${each.key}"
  namespace       = var.namespace
  service_account = each.key
  policy_arns     = [policy.config.arn]
  tags            = { team = var.team, env = var.env }
}

role "people" {
  name        = "${var.team}-engineers"
  path        = "/people/"
  description = "The ${var.team} team, signed in through the company IdP"
  trust_saml {
    provider = var.saml_provider
  }
  policies = [aws_managed_policy("ReadOnlyAccess")]
}

access "people" {
  cluster  = var.cluster
  role     = role.people
  username = "${var.team}:{{SessionName}}"
  groups   = ["team:${var.team}"]
}

rbac_binding "people" {
  cluster      = var.cluster
  subjects     = [{ kind = "Group", name = "team:${var.team}" }]
  cluster_role = "edit"
  namespaces   = [var.namespace]
}

output "app_roles" {
  value = { for k, m in module.app : k => m.role.arn }
}
