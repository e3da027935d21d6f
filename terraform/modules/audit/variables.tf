variable "name" {
  description = "The trail's name, and the prefix of the log bucket's (<name>-<account>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,40}$", var.name))
    error_message = "name must be 3 to 41 lowercase letters, digits or '-'."
  }
}

variable "retention_days" {
  description = "Days the trail's log files are kept in their bucket."
  type        = number
  default     = 365

  validation {
    condition     = var.retention_days >= 90
    error_message = "Keep audit logs 90 days at least (CloudTrail's own event history covers 90)."
  }
}

variable "data_event_bucket_arns" {
  description = "S3 buckets whose object-level calls (GetObject, PutObject...) the trail also records, such as the state and model buckets. Each event costs (0.10 USD per 100,000 in 2026); empty: management events only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.data_event_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", a))])
    error_message = "data_event_bucket_arns must be bucket ARNs (arn:aws:s3:::<bucket>)."
  }
}

variable "guardduty" {
  description = "Turn on GuardDuty in the region (threat detection from CloudTrail, VPC flow and DNS logs; billed by volume after a 30-day trial)."
  type        = bool
  default     = true
}

variable "guardduty_eks_protection" {
  description = "GuardDuty also reads the EKS clusters' audit logs (EKS Protection; billed per audit log event)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `terraform destroy` empty the log bucket (tests; never for an account's real trail)."
  type        = bool
  default     = false
}
