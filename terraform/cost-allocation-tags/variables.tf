variable "tag_keys" {
  description = "Tag keys to activate: the mandatory cost tags that every environment sets (envs/_shared)."
  type        = list(string)
  default     = ["project", "env", "owner"]

  validation {
    condition     = length(var.tag_keys) > 0 && alltrue([for k in var.tag_keys : length(k) > 0 && length(k) <= 128])
    error_message = "Give at least one tag key of 1-128 characters."
  }
}
