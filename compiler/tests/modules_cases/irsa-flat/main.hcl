# examples/modules written out flat: the same objects, under other addresses.
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

policy "external_dns" {
  name        = "prod-external-dns-external-dns"
  description = "external-dns's published policy, for prod-external-dns"
  document    = well_known_policy("external-dns")
}

role "external_dns" {
  name = "prod-external-dns"
  trust_service_account {
    cluster   = cluster.prod
    namespace = "external-dns"
    names     = ["external-dns"]
  }
  policies = [policy.external_dns.arn]
}

policy "cert_manager" {
  name        = "prod-cert-manager-cert-manager"
  description = "cert-manager's published policy, for prod-cert-manager"
  document    = well_known_policy("cert-manager")
}

role "cert_manager" {
  name = "prod-cert-manager"
  trust_service_account {
    cluster   = cluster.prod
    namespace = "cert-manager"
    names     = ["cert-manager"]
  }
  policies = [policy.cert_manager.arn]
}

role "ebs_csi" {
  name                 = "prod-ebs-csi-driver"
  permissions_boundary = "arn:aws:iam::123456789012:policy/eks-workload-boundary"
  tags                 = { team = "platform" }
  trust_service_account {
    cluster   = cluster.prod
    namespace = "kube-system"
    names     = ["ebs-csi-controller-sa"]
  }
  policies = ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
}

service_account "external_dns" {
  cluster   = cluster.prod
  namespace = "external-dns"
  name      = "external-dns"
  role      = role.external_dns
}
