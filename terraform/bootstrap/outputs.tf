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

output "audit_trail_arn" {
  description = "The account's multi-region CloudTrail (null without var.audit)."
  value       = one(module.audit[*].trail_arn)
}

output "guardduty_detector_id" {
  description = "The region's GuardDuty detector (null when off)."
  value       = one(module.audit[*].guardduty_detector_id)
}
