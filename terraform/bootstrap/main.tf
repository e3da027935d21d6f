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
