output "certificate_arn" {
  description = "The issued (validated) ACM certificate."
  value       = aws_acm_certificate_validation.edge.certificate_arn
}

output "traefik_service_patch" {
  description = "The strategic-merge patch of Traefik's Service for k8s/overlays/prod/cluster-addons/edge-service.yaml."
  value       = "# Written by `terraform output -raw traefik_service_patch` (terraform/modules/edge); do not edit.\n${yamlencode(local.traefik_service_patch)}"
}
