output "id" {
  description = "Bucket name."
  value       = local.bucket.id
}

output "arn" {
  description = "Bucket ARN."
  value       = local.bucket.arn
}
