variable "name" {
  description = "Name prefix of the environment's resources (<project>-<env>, e.g. <project>-dev)."
  type        = string
  default     = null

  validation {
    # The tightest limit of the modules it names: network's 31 characters (the others allow
    # more: eks 39, the artifact bucket's 63 less "-artifacts-<account>").
    condition     = var.name != null && can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lower-case letters, digits and hyphens."
  }
}

variable "tags" {
  description = "The environment's tags (the provider's default_tags), for what default_tags cannot reach: the nodes' instances and volumes."
  type        = map(string)
  default     = {}
}

variable "secrets_prefix" {
  description = "Secrets Manager prefix of this environment's secrets, which External Secrets may read (<project>/<env>/, e.g. <project>/prod/)."
  type        = string
  default     = null
}

variable "deploy" {
  description = "Deploys from GitHub Actions: the repository, the GitHub environment whose jobs may deploy here, and the Kubernetes namespace they deploy into (null: no deploy role)."
  type = object({
    github_repository = string
    environment       = string
    namespace         = string
  })
  default = null

  validation {
    condition     = var.deploy == null || can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.deploy.namespace))
    error_message = "deploy.namespace must be a Kubernetes namespace name (lowercase letters, digits and '-')."
  }
}

variable "services" {
  description = "Service images that get an ECR repository."
  type        = list(string)
  default = [
    # BEGIN GENERATED services: services (make generate)
    "bankchurn",
    "carvision",
    "telecom",
    # END GENERATED services: services
  ]
}

variable "disposable" {
  description = "destroy removes the data too: empties the artifact bucket and deletes repositories holding images. For dev and staging; never prod."
  type        = bool
  default     = false
}

variable "create_cluster" {
  description = "Create the network and the EKS cluster."
  type        = bool
  default     = true
}

variable "create_registry" {
  description = "Create the ECR repositories."
  type        = bool
  default     = true
}

variable "create_artifact_bucket" {
  description = "Create the S3 bucket for models and MLflow artifacts."
  type        = bool
  default     = true
}

variable "create_budget" {
  description = "Create the monthly budget and its alerts."
  type        = bool
  default     = true
}

variable "network" {
  description = "VPC layout and NAT choice (see modules/network)."
  type = object({
    cidr_block         = optional(string, "10.0.0.0/16")
    availability_zones = list(string)
    nat_gateway_mode   = optional(string, "single")
    enable_flow_logs   = optional(bool, true)
    flow_log_retention = optional(number, 30)
  })
  default = null
}

variable "cluster" {
  description = "EKS version, API access and node groups (see modules/eks)."
  type = object({
    kubernetes_version           = optional(string, "1.35")
    endpoint_public_access_cidrs = optional(list(string), [])
    system_node_group            = optional(any, {})
    spot_node_group              = optional(any, {})
    log_retention_days           = optional(number, 30)
  })
  default = {}
}

variable "artifact_bucket" {
  description = "Models/MLflow artifact bucket: name (null derives one from name and account), destroy protection, IA transition."
  type = object({
    name                  = optional(string)
    prevent_destroy       = optional(bool, false)
    transition_to_ia_days = optional(number)
  })
  default = {}
}

variable "budget" {
  description = "Monthly budget in USD and alert e-mails (see modules/budget)."
  type = object({
    monthly_limit_usd = number
    alert_emails      = list(string)
    cost_filter_tags  = optional(map(string), {})
  })
  default = null
}

variable "edge" {
  description = "The public edge (see modules/edge): the domain's ACM certificate, its Route 53 zone, and the networks the load balancer admits; null for none."
  type = object({
    domain        = string
    zone_id       = string
    source_ranges = list(string)
  })
  default = null
}
