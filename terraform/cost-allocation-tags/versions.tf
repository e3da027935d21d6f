terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Local state: one account-wide setting, applied once, that no environment depends on.
  # Lost state costs nothing: a new apply activates the same keys again.
}
