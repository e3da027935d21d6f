variable "region" {
  description = "Region of the state bucket."
  type        = string
  default     = "eu-west-1"
}

variable "state_bucket_name" {
  description = "Name of the Terraform state bucket (globally unique), e.g. <project>-terraform-state-<account id>."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name != null
    error_message = "state_bucket_name is required."
  }
}

variable "project" {
  description = "Cost tag `project`."
  type        = string
  # BEGIN GENERATED services: project (make generate)
  default = "mlops"
  # END GENERATED services: project
}

variable "owner" {
  description = "Cost tag `owner` (an e-mail address)."
  type        = string
  default     = null

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", coalesce(var.owner, "unset")))
    error_message = "owner is mandatory and must be an e-mail address."
  }
}

variable "kms_key_arn" {
  description = "KMS key for state encryption; null uses SSE-S3."
  type        = string
  default     = null
}

variable "github_actions_oidc" {
  description = "Create GitHub Actions' OIDC provider, which the environments' deploy roles trust (off if the account already has one)."
  type        = bool
  default     = true
}

variable "audit" {
  description = "The account's trail and threat detection (modules/audit): log retention in days, whether the trail also records object-level calls on the state bucket (0.10 USD per 100,000 events), GuardDuty and its EKS Protection; null for none (an account whose organisation trail and GuardDuty already cover it)."
  type = object({
    retention_days           = optional(number, 365)
    state_data_events        = optional(bool, false)
    guardduty                = optional(bool, true)
    guardduty_eks_protection = optional(bool, true)
  })
  default = {}
}
