terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: `terraform init -backend-config=backend.hcl` supplies bucket, key
  # and region. S3-native locking (a .tflock object written with a conditional put) replaces
  # the DynamoDB table, which Terraform 1.11 deprecated.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
