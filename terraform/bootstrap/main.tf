provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project    = var.project
      env        = "shared"
      owner      = var.owner
      managed-by = "terraform"
    }
  }
}

module "state_bucket" {
  source = "../modules/s3_bucket"

  name            = var.state_bucket_name
  prevent_destroy = true
  kms_key_arn     = var.kms_key_arn
  # Every state version is kept for a year: the way back from a bad apply.
  noncurrent_version_expiration_days = 365
}

# GitHub Actions' OIDC issuer, once per account: the deploy roles of the environments
# (modules/deploy_access) trust its tokens, so CI holds no AWS keys. IAM verifies this
# issuer against its own trusted certificate authorities, so no thumbprint is pinned.
resource "aws_iam_openid_connect_provider" "github" {
  count          = var.github_actions_oidc ? 1 : 0
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

# Who did what in the account (every environment, every region), and GuardDuty watching it.
module "audit" {
  source = "../modules/audit"
  count  = var.audit == null ? 0 : 1

  name                     = "${var.project}-audit"
  retention_days           = var.audit.retention_days
  data_event_bucket_arns   = var.audit.state_data_events ? [module.state_bucket.arn] : []
  guardduty                = var.audit.guardduty
  guardduty_eks_protection = var.audit.guardduty_eks_protection
}
