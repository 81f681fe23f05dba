# People from the company IdP (SAML): admins and read-only engineers, mapped into the cluster
# through aws-auth, with RBAC for their groups. Node-group entries already in aws-auth are kept.

stack "people-access" {
  account_id = "123456789012"
}

cluster "prod" {
  name            = "prod"
  region          = "eu-west-1"
  oidc_issuer_url = "https://oidc.eks.eu-west-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB"
  access_mode     = "aws_auth"
}

saml_provider "okta" {
  name     = "okta"
  metadata = file("okta-metadata.xml")
}

role "platform_admins" {
  name        = "platform-admins"
  path        = "/people/"
  description = "Platform team, signed in through Okta"
  trust_saml {
    provider = saml_provider.okta
  }
  policies = [aws_managed_policy("ReadOnlyAccess")]
}

role "engineers" {
  name = "engineers"
  path = "/people/"
  trust_saml {
    provider = saml_provider.okta
  }
  policies = [aws_managed_policy("ReadOnlyAccess")]
}

access "platform_admins" {
  cluster  = cluster.prod
  role     = role.platform_admins
  username = "admin:{{SessionName}}"
  groups   = ["platform:admins"]
}

access "engineers" {
  cluster  = cluster.prod
  role     = role.engineers
  username = "engineer:{{SessionName}}"
  groups   = ["platform:viewers"]
}

rbac_binding "admins" {
  cluster      = cluster.prod
  subjects     = [{ kind = "Group", name = "platform:admins" }]
  cluster_role = "admin"
  namespaces   = ["apps", "monitoring"]
}

rbac_binding "viewers" {
  cluster      = cluster.prod
  subjects     = [{ kind = "Group", name = "platform:viewers" }]
  cluster_role = "view"
}
