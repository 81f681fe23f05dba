# A stack that uses the IRSA module (`./irsa-app`) three times: two add-ons with their
# published policies as presets, one with an AWS managed policy and a permissions boundary.
# Each role's live identity is its name and path, so these roles are the same live objects as
# the same roles written out as `role` blocks: moving blocks into a module plans no change.

stack "irsa-apps" {
  account_id = "123456789012"
}

cluster "prod" {
  name            = "prod"
  region          = "eu-west-1"
  oidc_issuer_url = "https://oidc.eks.eu-west-1.amazonaws.com/id/PROD0123456789ABCDEF0123456789AB"
}

oidc_provider "prod" {
  url = cluster.prod.oidc_issuer_url
}

module "external_dns" {
  source              = "./irsa-app"
  cluster             = cluster.prod
  name                = "prod-external-dns"
  namespace           = "external-dns"
  service_accounts    = ["external-dns"]
  well_known_policies = ["external-dns"]
}

module "cert_manager" {
  source              = "./irsa-app"
  cluster             = cluster.prod
  name                = "prod-cert-manager"
  namespace           = "cert-manager"
  service_accounts    = ["cert-manager"]
  well_known_policies = ["cert-manager"]
}

module "ebs_csi" {
  source               = "./irsa-app"
  cluster              = cluster.prod
  name                 = "prod-ebs-csi-driver"
  namespace            = "kube-system"
  service_accounts     = ["ebs-csi-controller-sa"]
  policy_arns          = ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
  permissions_boundary = "arn:aws:iam::123456789012:policy/eks-workload-boundary"
  tags                 = { team = "platform" }
}

service_account "external_dns" {
  cluster   = cluster.prod
  namespace = "external-dns"
  name      = "external-dns"
  role      = module.external_dns.role
}
