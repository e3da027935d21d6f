# The edge's public certificate (ACM, validated by DNS in the domain's Route 53 zone, renewed by
# ACM for as long as the record stays) and the patch that puts it, and the admitted networks,
# on Traefik's Service in k8s/overlays/prod/cluster-addons.

resource "aws_acm_certificate" "edge" {
  domain_name       = var.domain
  validation_method = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  # A replacement (another domain) is issued before the one in use goes.
  lifecycle {
    create_before_destroy = true
  }
}

locals {
  # One domain, so one validation record; indexing (not for_each) keeps it plannable.
  validation = one(aws_acm_certificate.edge.domain_validation_options)
}

resource "aws_route53_record" "validation" {
  zone_id         = var.zone_id
  name            = local.validation.resource_record_name
  type            = local.validation.resource_record_type
  records         = [local.validation.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

# Waits (up to 75 minutes, ACM's default) until ACM has issued the certificate.
resource "aws_acm_certificate_validation" "edge" {
  certificate_arn         = aws_acm_certificate.edge.arn
  validation_record_fqdns = [aws_route53_record.validation.fqdn]
}

locals {
  # Annotations of the AWS cloud provider's service controller (EKS runs it): a Network Load
  # Balancer whose TLS listeners (the two HTTPS ports) present the ACM certificate and
  # re-encrypt to Traefik, which serves its own edge-tls certificate on them; the plain-HTTP
  # ports pass through as TCP, to Traefik's redirects.
  traefik_service_patch = {
    apiVersion = "v1"
    kind       = "Service"
    metadata = {
      name      = "traefik"
      namespace = "traefik"
      annotations = {
        "service.beta.kubernetes.io/aws-load-balancer-type"                   = "nlb"
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"               = aws_acm_certificate_validation.edge.certificate_arn
        "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"              = "websecure,gatewaysecure"
        "service.beta.kubernetes.io/aws-load-balancer-backend-protocol"       = "ssl"
        "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy" = "ELBSecurityPolicy-TLS13-1-2-2021-06"
      }
    }
    spec = {
      loadBalancerSourceRanges = var.source_ranges
    }
  }
}
