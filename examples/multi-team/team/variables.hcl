# A team's inputs: where its workloads run and what they are.

variable "cluster" {
  description = "the cluster the team's service accounts are in (cluster = cluster.main)"
}

variable "account_id" {
  type = string
}

variable "env" {
  type = string
}

variable "team" {
  type        = string
  description = "the team's name: part of its role's name, so its identity"
}

variable "namespace" {
  type = string
}

variable "apps" {
  type        = list(string)
  description = "the team's applications: one service account each, all assuming the team's role"
}

variable "policy_arns" {
  type    = list(string)
  default = []
}
