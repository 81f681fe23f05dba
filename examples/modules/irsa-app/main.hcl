# One IAM role for service accounts (IRSA), and a customer managed policy per add-on preset.

policy "preset" {
  for_each    = toset(var.well_known_policies)
  name        = "${var.name}-${each.key}"
  description = "${each.key}'s published policy, for ${var.name}"
  document    = well_known_policy(each.key)
  tags        = var.tags
}

role "this" {
  name                 = var.name
  path                 = var.path
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
  trust_service_account {
    cluster   = var.cluster
    namespace = var.namespace
    names     = var.service_accounts
  }
  policies = concat(var.policy_arns, [for p in policy.preset : p.arn])
}

output "role" {
  value       = role.this
  description = "the role itself (for `role = module.NAME.role` in a service_account block)"
}

output "role_arn" {
  value = role.this.arn
}
