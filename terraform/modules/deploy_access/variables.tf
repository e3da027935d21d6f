variable "cluster_name" {
  description = "EKS cluster the deployer reaches."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_name != null && can(regex("^[a-z][a-z0-9-]{1,38}$", var.cluster_name))
    error_message = "cluster_name must be 2-39 lower-case letters, digits and hyphens."
  }
}

variable "environment" {
  description = "GitHub environment whose jobs may assume the role (its protection rules gate the deploy)."
  type        = string
  default     = null

  validation {
    condition     = var.environment != null && can(regex("^[A-Za-z0-9_.-]+$", var.environment))
    error_message = "environment must name a GitHub environment."
  }
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflows deploy."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository != null && can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "repository_arns" {
  description = "ECR repositories the deployer may push to (the environment's own)."
  type        = list(string)
  default     = []
}

variable "create_bastion" {
  description = "Create the SSM bastion: for a private API endpoint, which CI cannot reach directly."
  type        = bool
  default     = false
}

variable "bastion_subnet_id" {
  description = "Private subnet, with NAT egress (SSM's endpoints), for the bastion."
  type        = string
  default     = null

  validation {
    condition     = !var.create_bastion || var.bastion_subnet_id != null
    error_message = "create_bastion needs bastion_subnet_id: a private subnet with NAT egress."
  }
}

variable "vpc_id" {
  description = "VPC of the bastion's security group."
  type        = string
  default     = null
}

variable "cluster_security_group_id" {
  description = "The cluster security group that EKS created, which guards the private API endpoint."
  type        = string
  default     = null
}

variable "bastion_instance_type" {
  description = "The bastion only forwards a TCP stream: the smallest Graviton instance is enough."
  type        = string
  default     = "t4g.nano"
}
