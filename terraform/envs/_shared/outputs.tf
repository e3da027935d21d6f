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
