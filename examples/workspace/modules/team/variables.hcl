# The inputs of a team: who they are, where they run, what their applications are.

variable "cluster" {
  description = "the cluster the team runs in (cluster = cluster.prod)"
}

variable "account_id" {
  type        = string
  description = "the account of the stack (for the ARNs of its parameters)"
}

variable "env" {
  type = string
}

variable "team" {
  type = string
}

variable "namespace" {
  type = string
}

variable "apps" {
  type        = list(string)
  description = "the team's applications: one IRSA role and service account each"
}

variable "saml_provider" {
  description = "the identity provider the team's people sign in through (saml_provider.okta)"
}
