terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Local state on purpose: this root creates the bucket every other root keeps state in.
  # Keep terraform.tfstate of this directory safe (or import the bucket again if lost).
}
