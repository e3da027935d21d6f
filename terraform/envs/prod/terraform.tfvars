# prod: three AZs, a NAT gateway per AZ, three on-demand nodes plus spot burst capacity,
# protected artifacts.
environment = "prod"
owner       = "platform-team@example.com"
# The repository whose deploy workflow (GitHub environment "prod") may deploy here.
github_repository = "your-org/mlops-platform"

network = {
  cidr_block         = "10.20.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  nat_gateway_mode   = "per_az"
  flow_log_retention = 90
}

cluster = {
  endpoint_public_access_cidrs = []
  system_node_group            = { instance_types = ["m5.large"], min_size = 3, max_size = 6, desired_size = 3 }
  spot_node_group              = { instance_types = ["m5.large", "m5a.large", "m6i.large"], min_size = 0, max_size = 10, desired_size = 0 }
  log_retention_days           = 90
}

artifact_bucket = {
  prevent_destroy       = true
  transition_to_ia_days = 30
}

budget = {
  monthly_limit_usd = 1500
  alert_emails      = ["platform-team@example.com", "finops@example.com"]
}

# The public edge (terraform/modules/edge): an ACM certificate for the domain, validated in its
# Route 53 zone (replace the zone ID with yours), and the networks that may connect. Then:
# terraform output -raw traefik_service_patch > k8s/overlays/prod/cluster-addons/edge-service.yaml
edge = {
  # BEGIN GENERATED services: edge-domain (make generate)
  domain = "ml.example.com"
  # END GENERATED services: edge-domain
  zone_id       = "Z0123456789CHANGEME"
  source_ranges = ["0.0.0.0/0"]
}
