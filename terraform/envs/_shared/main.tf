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
  tags = merge(var.extra_tags, local.cost_tags)
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

module "platform" {
  source = "../../modules/platform"

  name = "${var.project}-${var.environment}"
  # dev and staging must tear down with data in them (a versioned bucket or a repository
  # with images otherwise blocks destroy); prod keeps its data and its protection.
  disposable = var.environment != "prod"
  tags       = local.tags
  deploy = var.github_repository == null ? null : {
    github_repository = var.github_repository
    environment       = var.environment # the GitHub environment of the same name gates it
    namespace         = var.namespace
  }
  # k8s/overlays/<env> reads <project>/<env>/api and <project>/<env>/grafana.
  secrets_prefix         = "${var.project}/${var.environment}/"
  create_cluster         = var.create_cluster
  create_registry        = var.create_registry
  create_artifact_bucket = var.create_artifact_bucket
  create_budget          = var.create_budget
  network                = var.network
  cluster                = var.cluster
  artifact_bucket        = var.artifact_bucket
  edge                   = var.edge
  budget = var.budget == null ? null : merge(var.budget, {
    # The budget counts the spend tagged with this environment. A tag filter cannot AND two
    # tags (see modules/budget), so this assumes one platform per AWS account, as AWS's
    # multi-account guidance has it; an account shared by projects needs a cost category.
    cost_filter_tags = { env = var.environment }
  })
}
