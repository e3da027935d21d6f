output "deployer_role_arn" {
  description = "Role the deploy workflow assumes (aws-actions/configure-aws-credentials role-to-assume)."
  value       = aws_iam_role.deployer.arn
}

output "bastion_instance_id" {
  description = "SSM target of the port forward to the private API endpoint (null without a bastion)."
  value       = one(aws_instance.bastion[*].id)
}

output "api_route" {
  description = "How the deploy reaches the Kubernetes API: ssm-port-forward (through the bastion) or public-endpoint."
  value       = var.create_bastion ? "ssm-port-forward" : "public-endpoint"
}
