variable "environment" {
  description = "Environment this root manages."
  type        = string
  default     = null

  validation {
    condition     = contains(["dev", "staging", "prod"], coalesce(var.environment, "unset"))
    error_message = "environment must be dev, staging or prod."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "project" {
  description = "Cost tag `project`: lower-case slug shared by everything of the platform."
  type        = string
  # BEGIN GENERATED services: project (make generate)
  default = "mlops"
  # END GENERATED services: project

  validation {
    # "<project>-staging", the longest environment name, must fit the platform module's 31.
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}$", var.project))
    error_message = "project must be a lower-case slug of 2-23 characters."
  }
}

variable "namespace" {
  description = "The platform's Kubernetes namespace ([platform] namespace of services.toml): where the deploy role is admin, and nowhere else."
  type        = string
  # BEGIN GENERATED services: namespace (make generate)
  default = "mlops"
  # END GENERATED services: namespace
}

variable "owner" {
  description = "Cost tag `owner`: the team or person answerable for the spend (an e-mail address)."
  type        = string
  default     = null

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", coalesce(var.owner, "unset")))
    error_message = "owner is mandatory and must be an e-mail address."
  }
}

variable "extra_tags" {
  description = "More tags for every resource; the mandatory cost tags cannot be overridden here."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.extra_tags), ["project", "env", "owner", "managed-by"])) == 0
    error_message = "extra_tags must not set project, env, owner or managed-by; use the variables."
  }
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose deploy workflow may reach this environment (through the role of modules/deploy_access); null: none."
  type        = string
  default     = null
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
  description = "Create the models/MLflow artifact bucket."
  type        = bool
  default     = true
}

variable "create_budget" {
  description = "Create the monthly budget and alerts."
  type        = bool
  default     = true
}

variable "network" {
  description = "VPC layout and NAT choice."
  type = object({
    cidr_block         = optional(string, "10.0.0.0/16")
    availability_zones = list(string)
    nat_gateway_mode   = optional(string, "single")
    enable_flow_logs   = optional(bool, true)
    flow_log_retention = optional(number, 30)
  })
  default = null

  validation {
    # A zone name is its region's name and a letter; the network module also checks them
    # against the zones the region actually offers.
    condition     = var.network == null || alltrue([for z in var.network.availability_zones : can(regex("^${var.region}[a-z]$", z))])
    error_message = "network.availability_zones must be zones of var.region (its name and a letter, e.g. ${var.region}a)."
  }
}

variable "cluster" {
  description = "EKS version, API access and node groups."
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
  description = "Artifact bucket name (null derives one), destroy protection, IA transition."
  type = object({
    name                  = optional(string)
    prevent_destroy       = optional(bool, false)
    transition_to_ia_days = optional(number)
  })
  default = {}
}

variable "budget" {
  description = "Monthly budget in USD and who is alerted."
  type = object({
    monthly_limit_usd = number
    alert_emails      = list(string)
  })
  default = null
}

variable "edge" {
  description = "The public edge: the domain ([platform] domain of services.toml), its Route 53 zone ID, and the client networks the load balancer admits (loadBalancerSourceRanges); null for none."
  type = object({
    domain        = string
    zone_id       = string
    source_ranges = list(string)
  })
  default = null
}
