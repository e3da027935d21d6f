output "trail_arn" {
  description = "The account's multi-region trail."
  value       = aws_cloudtrail.this.arn
}

output "log_bucket" {
  description = "Where the trail's log files go."
  value       = module.logs.id
}

output "guardduty_detector_id" {
  description = "The region's GuardDuty detector (null when off)."
  value       = one(aws_guardduty_detector.this[*].id)
}
