output "cluster_name" {
  description = "EKS cluster name (null without a cluster)."
  value       = one(module.eks[*].cluster_name)
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = one(module.eks[*].cluster_endpoint)
}

output "nat_gateway_count" {
  description = "NAT gateways in the VPC."
  value       = one(module.network[*].nat_gateway_count)
}

output "repository_urls" {
  description = "ECR repository URLs by name."
  value       = one(module.registry[*].repository_urls)
}

output "artifact_bucket" {
  description = "Models/MLflow artifact bucket."
  value       = one(module.artifacts[*].id)
}

output "budget_alert_topic_arn" {
  description = "SNS topic receiving budget alerts."
  value       = one(module.budget[*].alert_topic_arn)
}

output "node_group_scaling" {
  description = "min/max/desired size of each node pool."
  value       = one(module.eks[*].node_group_scaling)
}

output "node_resource_tags" {
  description = "Tags on the nodes' instances, volumes and network interfaces, by pool."
  value       = one(module.eks[*].node_resource_tags)
}

output "pod_identity_associations" {
  description = "Service accounts that assume an IAM role through Pod Identity, by add-on."
  value       = one(module.eks[*].pod_identity_associations)
}

output "deployer_role_arn" {
  description = "Role the deploy workflow assumes (null without var.deploy)."
  value       = one(module.deploy_access[*].deployer_role_arn)
}

output "bastion_instance_id" {
  description = "SSM target for the port forward to a private API endpoint (null when the endpoint is public)."
  value       = one(module.deploy_access[*].bastion_instance_id)
}

output "access_policies" {
  description = "Each Kubernetes API access entry's EKS policy and the namespaces it holds in (\"*\": the cluster), by name."
  value       = one(module.eks[*].access_policies)
}

output "break_glass_role_arn" {
  description = "The role to assume, with MFA, for cluster-admin in an emergency (null without a cluster)."
  value       = one(module.eks[*].break_glass_role_arn)
}

output "api_route" {
  description = "How a deploy reaches the Kubernetes API (null without var.deploy)."
  value       = one(module.deploy_access[*].api_route)
}

output "edge_certificate_arn" {
  description = "The edge's validated ACM certificate (null without var.edge)."
  value       = one(module.edge[*].certificate_arn)
}

output "traefik_service_patch" {
  description = "The patch of Traefik's Service for k8s/overlays/prod/cluster-addons/edge-service.yaml (null without var.edge)."
  value       = one(module.edge[*].traefik_service_patch)
}
