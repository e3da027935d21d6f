variable "domain" {
  description = "The host the platform serves (the [platform] domain of services.toml): the certificate's name."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain))
    error_message = "domain must be a lowercase DNS name of two or more labels, such as ml.example.com."
  }
}

variable "zone_id" {
  description = "The Route 53 hosted zone of the domain, where the certificate's DNS validation record goes."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]{1,31}$", var.zone_id))
    error_message = "zone_id must be a Route 53 hosted zone ID (Z followed by capital letters and digits)."
  }
}

variable "source_ranges" {
  description = "Client networks (CIDRs) the load balancer admits (Traefik's Service loadBalancerSourceRanges); [\"0.0.0.0/0\"] for a public API."
  type        = list(string)

  validation {
    condition     = length(var.source_ranges) > 0 && alltrue([for r in var.source_ranges : can(cidrhost(r, 0)) && r == cidrsubnet(r, 0, 0)])
    error_message = "source_ranges must list at least one network in CIDR notation with no host bits set, such as 203.0.113.0/24."
  }
}
