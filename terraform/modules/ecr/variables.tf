variable "repositories" {
  description = "Repository names to create (one per service image)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.repositories) > 0 && alltrue([for r in var.repositories : can(regex("^[a-z0-9][a-z0-9/_-]*$", r))])
    error_message = "Give at least one repository; names are lower-case letters, digits, '/', '_' and '-'."
  }
}

variable "keep_tagged_images" {
  description = "How many tagged images each repository keeps (older ones expire)."
  type        = number
  default     = 30
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images expire."
  type        = number
  default     = 7
}

variable "force_delete" {
  description = "Let `terraform destroy` delete repositories that still hold images (disposable environments only)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "KMS key for image encryption; null uses AES256."
  type        = string
  default     = null
}
