output "cluster_name" {
  description = "EKS cluster name."
  value       = module.platform.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.platform.cluster_endpoint
}

output "repository_urls" {
  description = "ECR repository URLs by name."
  value       = module.platform.repository_urls
}

output "artifact_bucket" {
  description = "Models/MLflow artifact bucket."
  value       = module.platform.artifact_bucket
}

output "budget_alert_topic_arn" {
  description = "SNS topic receiving budget alerts."
  value       = module.platform.budget_alert_topic_arn
}

output "cost_tags" {
  description = "The mandatory tags every resource carries."
  value       = local.cost_tags
}

output "nat_gateway_count" {
  description = "NAT gateways (each ~32 USD/month plus traffic)."
  value       = module.platform.nat_gateway_count
}

output "node_group_scaling" {
  description = "min/max/desired size of each node pool."
  value       = module.platform.node_group_scaling
}

output "node_resource_tags" {
  description = "Tags on the nodes' instances, volumes and network interfaces, by pool."
  value       = module.platform.node_resource_tags
}

output "pod_identity_associations" {
  description = "Service accounts that assume an IAM role through Pod Identity, by add-on."
  value       = module.platform.pod_identity_associations
}

output "deployer_role_arn" {
  description = "Role the deploy workflow assumes: the AWS_DEPLOY_ROLE_ARN variable of the GitHub environment."
  value       = module.platform.deployer_role_arn
}

output "bastion_instance_id" {
  description = "SSM target for the port forward to the private API endpoint: the BASTION_ID variable of the GitHub environment."
  value       = module.platform.bastion_instance_id
}

output "access_policies" {
  description = "Each Kubernetes API access entry's EKS policy and the namespaces it holds in (\"*\": the cluster), by name."
  value       = module.platform.access_policies
}

output "break_glass_role_arn" {
  description = "The role to assume, with MFA, for cluster-admin in an emergency."
  value       = module.platform.break_glass_role_arn
}

output "api_route" {
  description = "How the deploy workflow reaches the Kubernetes API: ssm-port-forward or public-endpoint."
  value       = module.platform.api_route
}

output "edge_certificate_arn" {
  description = "The edge's validated ACM certificate (null without var.edge)."
  value       = module.platform.edge_certificate_arn
}

output "traefik_service_patch" {
  description = "Traefik's Service patch: terraform output -raw traefik_service_patch > k8s/overlays/prod/cluster-addons/edge-service.yaml"
  value       = module.platform.traefik_service_patch
}
