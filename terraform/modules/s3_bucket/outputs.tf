output "id" {
  description = "Bucket name."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "Bucket ARN."
  value       = aws_s3_bucket.this.arn
}

output "protected" {
  description = "Whether the destroy guard refuses destroy and replacement of the bucket."
  value       = length(terraform_data.destroy_guard) == 1
}

output "force_destroy" {
  description = "Whether destroy empties the bucket first (every version)."
  value       = aws_s3_bucket.this.force_destroy
}
