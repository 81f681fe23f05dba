# Dynamic blocks: one statement per bucket, one trust per cluster, written the Terraform way.
#
# Adding a bucket or a cluster is one line in `locals`; `eksfed render` shows the same
# statements and trusts as if each were written out.

stack "dynamic-buckets" {
  account_id = "123456789012"
}

locals {
  # bucket => the teams whose pods may read it (an empty list: every pod of the role)
  buckets = {
    "acme-reports" = ["data", "finance"]
    "acme-exports" = []
  }
  clusters = {
    blue  = "https://oidc.eks.us-east-1.amazonaws.com/id/BLUE0123456789ABCDEF0123456789AB"
    green = "https://oidc.eks.us-east-1.amazonaws.com/id/GREEN123456789ABCDEF0123456789AB"
  }
}

cluster "blue" {
  name            = "blue"
  region          = "us-east-1"
  oidc_issuer_url = local.clusters.blue
}

cluster "green" {
  name            = "green"
  region          = "us-east-1"
  oidc_issuer_url = local.clusters.green
}

oidc_provider "blue" {
  url = cluster.blue.oidc_issuer_url
}

oidc_provider "green" {
  url = cluster.green.oidc_issuer_url
}

policy "buckets_read" {
  name        = "buckets-read"
  description = "Read the report buckets"
  dynamic "statement" {
    for_each = local.buckets
    iterator = bucket
    content {
      sid       = "Read${upper(replace(trimprefix(bucket.key, "acme-"), "-", ""))}"
      actions   = ["s3:GetObject"]
      resources = ["arn:aws:s3:::${bucket.key}/*"]
      dynamic "condition" {
        for_each = length(bucket.value) > 0 ? [bucket.value] : []
        iterator = teams
        content {
          test     = "StringEquals"
          variable = "aws:PrincipalTag/team"
          values   = teams.value
        }
      }
    }
  }
}

role "reports_reader" {
  name        = "reports-reader"
  description = "Pods of reports/reader on both clusters read the report buckets"
  dynamic "trust_service_account" {
    for_each = ["blue", "green"]
    iterator = c
    content {
      cluster   = c.value == "blue" ? cluster.blue : cluster.green
      namespace = "reports"
      names     = ["reader"]
    }
  }
  policies = [policy.buckets_read.arn]
}
