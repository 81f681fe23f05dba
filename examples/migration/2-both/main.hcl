# Migration from the aws-auth ConfigMap to EKS access entries, step 2 of 3: access_mode = "both".
#
# 1-aws-auth:        the admins role is mapped in aws-auth only.
# 2-both:            the same mapping is written as an access entry too (EKS first, so the role
#                    never loses access); both paths authenticate.
# 3-access-entries:  the aws-auth entry is removed; the access entry remains.
# Apply the three folders in order. Node-group entries in aws-auth are never touched.

stack "migration" {
  account_id = "123456789012"
}

cluster "prod" {
  name            = "prod"
  region          = "us-east-1"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB"
  access_mode     = "both"
}

role "platform_admins" {
  name = "platform-admins"
  path = "/people/"
  trust_aws {
    principals = ["arn:aws:iam::123456789012:root"]
  }
}

access "platform_admins" {
  cluster         = cluster.prod
  role            = role.platform_admins
  username        = "admin:{{SessionName}}"
  groups          = ["platform:admins"]
  access_policies = [
    { policy = "AmazonEKSAdminPolicy", scope = "namespace", namespaces = ["apps"] },
  ]
}

rbac_binding "admins" {
  cluster      = cluster.prod
  subjects     = [{ kind = "Group", name = "platform:admins" }]
  cluster_role = "admin"
  namespaces   = ["apps"]
}
