variable "cluster_name" {
  description = "EKS cluster whose add-ons assume the roles (and whose node groups the autoscaler may scale)."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_name != null && can(regex("^[a-z][a-z0-9-]{1,38}$", var.cluster_name))
    error_message = "cluster_name must be 2-39 lower-case letters, digits and hyphens."
  }
}

variable "secrets_prefix" {
  description = "Secrets Manager name prefix that External Secrets may read, <project>/<env>/ (k8s/overlays/prod reads <project>/prod/api and <project>/prod/grafana)."
  type        = string
  default     = null

  validation {
    condition     = var.secrets_prefix != null && can(regex("^[A-Za-z0-9/_+=.@-]+/$", var.secrets_prefix))
    error_message = "secrets_prefix must be a Secrets Manager name prefix ending in '/', so it cannot match other environments' secrets."
  }
}
