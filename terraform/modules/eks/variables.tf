variable "cluster_name" {
  description = "EKS cluster name."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_name != null && can(regex("^[a-z][a-z0-9-]{1,38}$", var.cluster_name))
    error_message = "cluster_name must be 2-39 lower-case letters, digits and hyphens."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and node groups."
  type        = string
  default     = "1.35"

  validation {
    # Versions in EKS standard support on 2026-12-02 (AWS's release calendar: 1.34's ended
    # that day, 1.35's ends 2027-03-27); older ones bill extended support per cluster hour.
    # Add a version when EKS releases it, and drop it when its standard support ends.
    condition     = contains(["1.35", "1.36"], var.kubernetes_version)
    error_message = "kubernetes_version must be an EKS version in standard support (1.35 or 1.36)."
  }
}

variable "subnet_ids" {
  description = "Subnets for the control plane network interfaces and the nodes."
  type        = list(string)
  default     = []
}

variable "endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint; empty makes the endpoint private only."
  type        = list(string)
  default     = []
}

variable "system_node_group" {
  description = "On-demand node group for cluster add-ons and the platform's baseline replicas."
  type = object({
    instance_types = optional(list(string), ["t3.medium"])
    min_size       = optional(number, 1)
    max_size       = optional(number, 3)
    desired_size   = optional(number, 1)
    disk_size_gb   = optional(number, 30)
  })
  default = {}

  validation {
    condition     = var.system_node_group.min_size >= 1 && var.system_node_group.min_size <= var.system_node_group.max_size
    error_message = "system_node_group needs min_size >= 1 and min_size <= max_size."
  }
}

variable "spot_node_group" {
  description = "Spot node group for scale-out replicas; min_size 0 lets it scale to zero."
  type = object({
    enabled        = optional(bool, true)
    instance_types = optional(list(string), ["t3.large", "t3a.large", "m5.large"])
    min_size       = optional(number, 0)
    max_size       = optional(number, 5)
    desired_size   = optional(number, 0)
    disk_size_gb   = optional(number, 30)
  })
  default = {}

  validation {
    condition     = var.spot_node_group.min_size >= 0 && var.spot_node_group.min_size <= var.spot_node_group.max_size
    error_message = "spot_node_group needs 0 <= min_size <= max_size."
  }
}

variable "tags" {
  description = "Tags for the nodes' instances, volumes and network interfaces (the provider's default_tags do not reach them): the environment's cost tags."
  type        = map(string)
  default     = {}
}

variable "access_entries" {
  description = "Who may use the Kubernetes API, by a name known at plan time: an IAM principal, the EKS access policy it gets, the namespaces it holds in (none: the whole cluster), and Kubernetes groups for RBAC bindings of the cluster's own (e.g. deployer = the role of modules/deploy_access, admin in the platform's namespaces). The break-glass role is always added."
  type = map(object({
    principal_arn     = string
    policy            = string
    namespaces        = optional(list(string), [])
    kubernetes_groups = optional(list(string), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for e in values(var.access_entries) : contains(["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"], e.policy)])
    error_message = "policy must be one of AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy, AmazonEKSEditPolicy, AmazonEKSViewPolicy."
  }

  validation {
    condition     = alltrue([for e in values(var.access_entries) : e.policy != "AmazonEKSClusterAdminPolicy"])
    error_message = "Cluster-admin is the break-glass role's alone (MFA required); give other entries a namespaced policy."
  }

  validation {
    condition     = !contains(keys(var.access_entries), "break-glass")
    error_message = "break-glass is the name of the module's own entry."
  }
}

variable "break_glass_principals" {
  description = "IAM principals (ARNs) that may assume the break-glass role, with MFA; empty: anyone of this account whose own policies allow sts:AssumeRole on it."
  type        = list(string)
  default     = []
}

variable "pod_identities" {
  description = "Service accounts that assume an IAM role through EKS Pod Identity, by name (modules/addon_roles)."
  type = map(object({
    namespace       = string
    service_account = string
    role_arn        = string
  }))
  default = {}
}

variable "log_retention_days" {
  description = "Retention of the control plane log group."
  type        = number
  default     = 30
}

variable "addon_versions" {
  description = "Optional exact versions of EKS add-ons by name (e.g. aws-ebs-csi-driver = \"v1.x.y-eksbuild.1\"); unset add-ons get the default build for kubernetes_version."
  type        = map(string)
  default     = {}
}
