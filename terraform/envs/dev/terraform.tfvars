# dev: smallest and cheapest. No NAT (nodes in public subnets behind closed security
# groups), one on-demand node, spot capacity that scales to zero, a small budget.
environment = "dev"
owner       = "platform-team@example.com"
# The repository whose deploy workflow (GitHub environment "dev") may deploy here.
github_repository = "your-org/mlops-platform"

network = {
  availability_zones = ["eu-west-1a", "eu-west-1b"]
  nat_gateway_mode   = "none"
  flow_log_retention = 7
}

cluster = {
  # Replace with your office or VPN range; an empty list makes the API private only.
  endpoint_public_access_cidrs = ["203.0.113.0/24"]
  system_node_group            = { instance_types = ["t3.medium"], min_size = 1, max_size = 2, desired_size = 1 }
  spot_node_group              = { instance_types = ["t3.medium", "t3a.medium"], min_size = 0, max_size = 3, desired_size = 0 }
  log_retention_days           = 7
}

budget = {
  monthly_limit_usd = 150
  alert_emails      = ["platform-team@example.com"]
}
