variable "name" {
  description = "Name prefix of every network resource."
  type        = string
  default     = null

  validation {
    condition     = var.name != null && can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lower-case letters, digits and hyphens."
  }
}

variable "cidr_block" {
  description = "VPC CIDR; subnets are carved from it (/20s in a /16)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr_block))
    error_message = "cidr_block must be a valid IPv4 CIDR."
  }
}

variable "availability_zones" {
  description = "AZs to spread subnets over (one public and one private subnet in each)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 4
    error_message = "Give 2 to 4 availability zones (EKS needs subnets in at least two)."
  }
}

variable "nat_gateway_mode" {
  description = "Egress for private subnets: none (cheapest; nodes in public subnets), single (one NAT), per_az (one NAT per AZ, no cross-AZ single point of failure)."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["none", "single", "per_az"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be none, single or per_az."
  }
}

variable "cluster_name" {
  description = "EKS cluster that uses these subnets (for the load-balancer discovery tags)."
  type        = string
  default     = null
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs (rejected traffic) to CloudWatch Logs."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "Retention of the flow log group."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "KMS key for the flow log group; null uses CloudWatch's default encryption."
  type        = string
  default     = null
}
