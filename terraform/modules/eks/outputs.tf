output "cluster_name" {
  description = "EKS cluster name."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_ca_data" {
  description = "Base64 certificate authority data of the API endpoint."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "oidc_provider_arn" {
  description = "IAM OIDC provider ARN, for IRSA role trust policies."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "node_group_names" {
  description = "Node groups by pool (system, spot)."
  value       = { for k, v in aws_eks_node_group.this : k => v.node_group_name }
}

output "node_group_scaling" {
  description = "min/max/desired size of each node pool."
  value       = { for k, v in aws_eks_node_group.this : k => v.scaling_config[0] }
}

output "addons" {
  description = "Names of the EKS add-ons installed on the cluster."
  value       = sort(concat(keys(aws_eks_addon.before_nodes), keys(aws_eks_addon.this)))
}

output "node_resource_tags" {
  description = "Tags each pool's launch template gives its instances, volumes and network interfaces."
  value = {
    for pool, template in aws_launch_template.node :
    pool => { for spec in template.tag_specifications : spec.resource_type => spec.tags }
  }
}

output "pod_identity_associations" {
  description = "namespace/service-account of each pod identity association, by name."
  value       = { for k, a in aws_eks_pod_identity_association.this : k => "${a.namespace}/${a.service_account}" }
}

output "cluster_security_group_id" {
  description = "Security group that EKS created for the control plane and nodes; it guards the private endpoint."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "access_policies" {
  description = "Each access entry's EKS access policy and where it holds (cluster, or the namespaces), by name."
  value = {
    for k, a in aws_eks_access_policy_association.this : k => {
      policy     = a.policy_arn
      namespaces = one(a.access_scope).type == "cluster" ? ["*"] : tolist(one(a.access_scope).namespaces)
    }
  }
}

output "break_glass_role_arn" {
  description = "The role to assume, with MFA, for cluster-admin in an emergency."
  value       = aws_iam_role.break_glass.arn
}
