# Quickstart: one cluster, IRSA for one app.
#
# The `reports` app in namespace `reports` runs as service account `reader`, which assumes the
# role `reports-reader` through the cluster's OIDC issuer and may read one S3 bucket.

stack "quickstart" {
  account_id = "123456789012"
}

variable "bucket" {
  type    = string
  default = "acme-reports"
}

cluster "demo" {
  name            = "demo"
  region          = "us-east-1"
  oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/DEMO0123456789ABCDEF0123456789AB"
}

# IAM must know the cluster's issuer before a role can trust its tokens.
oidc_provider "demo" {
  url = cluster.demo.oidc_issuer_url
}

policy "reports_read" {
  name        = "reports-read"
  description = "Read the reports bucket"
  statement {
    sid       = "List"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${var.bucket}"]
  }
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${var.bucket}/*"]
  }
}

role "reports_reader" {
  name        = "reports-reader"
  description = "Pods of reports/reader read the reports bucket"
  trust_service_account {
    cluster   = cluster.demo
    namespace = "reports"
    names     = ["reader"]
  }
  policies = [policy.reports_read.arn]
}

service_account "reader" {
  cluster   = cluster.demo
  namespace = "reports"
  name      = "reader"
  role      = role.reports_reader

  create_namespace = true
}
