# Add-on roles without copying their policies by hand: `well_known_policy("NAME")` gives the
# IAM policy the add-on's own project publishes, pinned to a release (`eksfed explain
# well-known` lists them with their sources); add-ons whose policy AWS publishes as a managed
# policy are attached with `aws_managed_policy`. (`well_known_policy("aws-load-balancer-controller")`
# works the same way; its published policy creates load balancers on "*", scoped by tag
# conditions, which lint IAM002 reports for review.)

stack "addons" {
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
  name        = "prod-external-dns"
  description = "external-dns v0.22.0's published Route 53 policy"
  document    = well_known_policy("external-dns")
}

policy "cert_manager" {
  name        = "prod-cert-manager"
  description = "cert-manager's published Route 53 DNS01 policy"
  document    = well_known_policy("cert-manager")
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
  name = "prod-ebs-csi-driver"
  trust_service_account {
    cluster   = cluster.prod
    namespace = "kube-system"
    names     = ["ebs-csi-controller-sa"]
  }
  policies = [aws_managed_policy("service-role/AmazonEBSCSIDriverPolicy")]
}

# Karpenter's controller policy is split in parts (together they exceed a managed policy's
# 6,144 characters); `well_known_policy("karpenter", ...)` gives them in one document, which
# fits in an inline policy.
role "karpenter" {
  name = "prod-karpenter"
  trust_service_account {
    cluster   = cluster.prod
    namespace = "kube-system"
    names     = ["karpenter"]
  }
  inline_policy "controller" {
    document = well_known_policy("karpenter", {
      cluster_name = cluster.prod.name
      region       = "eu-west-1"
      account_id   = "123456789012"
    })
  }
}
