# One application: its role, trusted by exactly its service account, and that service account.

role "this" {
  name     = var.name
  path     = "/apps/"
  tags     = var.tags
  policies = var.policy_arns
  trust_service_account {
    cluster   = var.cluster
    namespace = var.namespace
    names     = [var.service_account]
  }
}

service_account "this" {
  cluster          = var.cluster
  namespace        = var.namespace
  name             = var.service_account
  role             = role.this
  create_namespace = true
}

output "role" {
  value = role.this
}
