# An environment root. Every file here is shared by envs/dev, envs/staging and envs/prod
# (symlinks); what differs per environment lives in its terraform.tfvars and backend.hcl.

locals {
  # Mandatory cost-allocation tags on every resource, through the provider's default_tags.
  cost_tags = {
    project    = var.project
    env        = var.environment
    owner      = var.owner
    managed-by = "terraform"
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.extra_tags, local.cost_tags)
  }
}

module "platform" {
  source = "../../modules/platform"

  name                   = "${var.project}-${var.environment}"
  create_cluster         = var.create_cluster
  create_registry        = var.create_registry
  create_artifact_bucket = var.create_artifact_bucket
  create_budget          = var.create_budget
  network                = var.network
  cluster                = var.cluster
  artifact_bucket        = var.artifact_bucket
  budget = var.budget == null ? null : merge(var.budget, {
    # The budget counts only this environment's tagged spend.
    cost_filter_tags = { project = var.project, env = var.environment }
  })
}
