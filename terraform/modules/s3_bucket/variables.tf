variable "name" {
  description = "Globally unique bucket name."
  type        = string
  default     = null

  validation {
    condition     = var.name != null && can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be a valid S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens."
  }
}

variable "prevent_destroy" {
  description = "Refuse `terraform destroy` of the bucket (set for state and other irreplaceable data)."
  type        = bool
  default     = false
}

variable "force_destroy" {
  description = "Let `terraform destroy` empty the bucket first, every object version included (disposable environments only)."
  type        = bool
  default     = false

  validation {
    condition     = !(var.force_destroy && var.prevent_destroy)
    error_message = "force_destroy and prevent_destroy contradict each other; set one."
  }
}

variable "kms_key_arn" {
  description = "KMS key for server-side encryption; null uses SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which non-current object versions are deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "transition_to_ia_days" {
  description = "Days after which current objects move to STANDARD_IA; null keeps them in STANDARD."
  type        = number
  default     = null
}

variable "tags" {
  description = "Tags for the bucket, merged over the provider's default tags."
  type        = map(string)
  default     = {}
}

variable "expiration_days" {
  description = "Days after which current objects expire (a log bucket's retention); null keeps them."
  type        = number
  default     = null

  validation {
    condition     = var.expiration_days == null || try(var.expiration_days >= 1, false)
    error_message = "expiration_days must be at least 1 (or null)."
  }
}

variable "policy_json" {
  description = "More bucket policy statements (a JSON policy document), merged with the module's TLS-only statement."
  type        = string
  default     = null
}
