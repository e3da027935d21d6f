# One environment of the platform: network + EKS, ECR, artifact bucket, budget.

data "aws_caller_identity" "current" {}

module "network" {
  source = "../network"
  count  = var.create_cluster ? 1 : 0

  name                    = var.name
  cidr_block              = var.network.cidr_block
  availability_zones      = var.network.availability_zones
  nat_gateway_mode        = var.network.nat_gateway_mode
  cluster_name            = var.name
  enable_flow_logs        = var.network.enable_flow_logs
  flow_log_retention_days = var.network.flow_log_retention
}

module "addon_roles" {
  source = "../addon_roles"
  count  = var.create_cluster ? 1 : 0

  cluster_name   = var.name
  secrets_prefix = var.secrets_prefix
}

module "eks" {
  source = "../eks"
  count  = var.create_cluster ? 1 : 0

  cluster_name                 = var.name
  kubernetes_version           = var.cluster.kubernetes_version
  subnet_ids                   = module.network[0].node_subnet_ids
  endpoint_public_access_cidrs = var.cluster.endpoint_public_access_cidrs
  system_node_group            = var.cluster.system_node_group
  spot_node_group              = var.cluster.spot_node_group
  log_retention_days           = var.cluster.log_retention_days
  tags                         = var.tags
  pod_identities               = module.addon_roles[0].pod_identities
  # The deployer administers the platform's namespace and nothing cluster-wide: the objects
  # beyond EKS's namespaced admin policy (routes, its quota, its namespace and StorageClass)
  # come from k8s/addons/deployer-access, bound to its Kubernetes group.
  access_entries = var.deploy == null ? {} : {
    deployer = {
      principal_arn     = module.deploy_access[0].deployer_role_arn
      policy            = "AmazonEKSAdminPolicy"
      namespaces        = [var.deploy.namespace]
      kubernetes_groups = ["platform-deployers"]
    }
  }
}

module "deploy_access" {
  source = "../deploy_access"
  count  = var.create_cluster && var.deploy != null ? 1 : 0

  cluster_name      = var.name
  environment       = var.deploy.environment
  github_repository = var.deploy.github_repository
  repository_arns   = var.create_registry ? values(module.registry[0].repository_arns) : []
  # A private API endpoint is reached through an SSM bastion in a node subnet (private,
  # with NAT, whenever the endpoint is private); a public one directly.
  create_bastion            = length(var.cluster.endpoint_public_access_cidrs) == 0
  bastion_subnet_id         = module.network[0].node_subnet_ids[0]
  vpc_id                    = module.network[0].vpc_id
  cluster_security_group_id = module.eks[0].cluster_security_group_id
}

module "registry" {
  source = "../ecr"
  count  = var.create_registry ? 1 : 0

  repositories = [for s in var.services : "${var.name}/${s}"]
  force_delete = var.disposable
}

module "artifacts" {
  source = "../s3_bucket"
  count  = var.create_artifact_bucket ? 1 : 0

  name                  = coalesce(var.artifact_bucket.name, "${var.name}-artifacts-${data.aws_caller_identity.current.account_id}")
  prevent_destroy       = var.artifact_bucket.prevent_destroy
  force_destroy         = var.disposable && !var.artifact_bucket.prevent_destroy
  transition_to_ia_days = var.artifact_bucket.transition_to_ia_days
}

module "budget" {
  source = "../budget"
  count  = var.create_budget ? 1 : 0

  name              = "${var.name}-monthly"
  monthly_limit_usd = var.budget.monthly_limit_usd
  alert_emails      = var.budget.alert_emails
  cost_filter_tags  = var.budget.cost_filter_tags
}

# The certificate and the admitted networks are for the cluster's load balancer: no cluster, no edge.
module "edge" {
  source = "../edge"
  count  = var.create_cluster && var.edge != null ? 1 : 0

  domain        = var.edge.domain
  zone_id       = var.edge.zone_id
  source_ranges = var.edge.source_ranges
}
