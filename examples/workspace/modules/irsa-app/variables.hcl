# The inputs of one application's IAM role for service accounts (IRSA).

variable "cluster" {
  description = "the cluster whose service account assumes the role (cluster = var.cluster)"
}

variable "name" {
  type        = string
  description = "the role's name: its identity, so renaming the module block changes nothing live"
}

variable "namespace" {
  type = string
}

variable "service_account" {
  type        = string
  description = "the service account that assumes the role; created in the cluster"
}

variable "policy_arns" {
  type    = list(string)
  default = []
}

variable "tags" {
  type    = map(string)
  default = {}
}
