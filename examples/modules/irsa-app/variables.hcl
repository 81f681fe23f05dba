# The inputs of the IRSA module: the eksfed counterpart of terraform-aws-modules'
# `iam-role-for-service-accounts-eks`.

variable "cluster" {
  description = "the cluster whose service accounts assume the role (cluster = cluster.prod)"
}

variable "name" {
  type        = string
  description = "the role's name: its identity, so renaming the module block changes nothing live"
}

variable "namespace" {
  type        = string
  description = "the Kubernetes namespace of the service accounts"
}

variable "service_accounts" {
  type        = list(string)
  description = "the service accounts (in the namespace) that may assume the role"
}

variable "well_known_policies" {
  type        = list(string)
  default     = []
  description = "add-on policy presets (`eksfed explain well-known`), one customer managed policy each"
}

variable "policy_arns" {
  type        = list(string)
  default     = []
  description = "managed policy ARNs to attach (AWS managed or the stack's own)"
}

variable "permissions_boundary" {
  type        = string
  default     = null
  description = "the ARN of the role's permissions boundary, if any"
}

variable "path" {
  type    = string
  default = "/"
}

variable "tags" {
  type    = map(string)
  default = {}
}
