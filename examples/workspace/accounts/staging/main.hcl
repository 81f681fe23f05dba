# The staging account: its cluster, the company IdP and the teams that run there, each one
# `module "team"` block. The same modules serve every account of the workspace.

stack "acme-staging" {
  account_id = "444455556666"
}

cluster "main" {
  name            = "staging"
  region          = "eu-west-1"
  oidc_issuer_url = "https://oidc.eks.eu-west-1.amazonaws.com/id/STAG0123456789ABCDEF0123456789AB"
  access_mode     = "aws_auth"
}

oidc_provider "main" {
  url = cluster.main.oidc_issuer_url
}

saml_provider "okta" {
  name     = "okta"
  metadata = file("../../policies/okta-metadata.xml")
}

module "payments" {
  source        = "../../modules/team"
  cluster       = cluster.main
  saml_provider = saml_provider.okta
  account_id    = "444455556666"
  env           = "staging"
  team          = "payments"
  namespace     = "payments"
  apps          = ["api", "worker"]
}

module "search" {
  source        = "../../modules/team"
  cluster       = cluster.main
  saml_provider = saml_provider.okta
  account_id    = "444455556666"
  env           = "staging"
  team          = "search"
  namespace     = "search"
  apps          = ["indexer"]
}
