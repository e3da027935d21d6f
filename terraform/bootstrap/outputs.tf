output "state_bucket" {
  description = "State bucket: put it in each environment's backend.hcl."
  value       = module.state_bucket.id
}

output "state_bucket_arn" {
  description = "State bucket ARN, for IAM policies of the CI role."
  value       = module.state_bucket.arn
}

output "github_oidc_provider_arn" {
  description = "GitHub Actions' OIDC provider (null when github_actions_oidc is off)."
  value       = one(aws_iam_openid_connect_provider.github[*].arn)
}
