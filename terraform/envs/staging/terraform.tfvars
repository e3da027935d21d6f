# staging: production-shaped at a smaller size. One NAT gateway, two on-demand nodes.
environment = "staging"
owner       = "platform-team@example.com"
# The repository whose deploy workflow (GitHub environment "staging") may deploy here.
github_repository = "your-org/mlops-platform"

network = {
  availability_zones = ["eu-west-1a", "eu-west-1b"]
  nat_gateway_mode   = "single"
  flow_log_retention = 30
}

cluster = {
  endpoint_public_access_cidrs = ["203.0.113.0/24"]
  system_node_group            = { instance_types = ["t3.large"], min_size = 2, max_size = 3, desired_size = 2 }
  spot_node_group              = { instance_types = ["t3.large", "t3a.large", "m5.large"], min_size = 0, max_size = 5, desired_size = 0 }
  log_retention_days           = 30
}

artifact_bucket = {
  transition_to_ia_days = 60
}

budget = {
  monthly_limit_usd = 400
  alert_emails      = ["platform-team@example.com"]
}
