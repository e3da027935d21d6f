mock_provider "aws" {
  source = "../../tests/mocks"

  # What ACM answers for a DNS-validated certificate: one CNAME record to publish.
  mock_resource "aws_acm_certificate" {
    defaults = {
      arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
      domain_validation_options = [{
        domain_name           = "ml.example.com"
        resource_record_name  = "_3b2a1c.ml.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_9f8e7d.acm-validations.aws."
      }]
    }
  }

  mock_resource "aws_acm_certificate_validation" {
    defaults = {
      certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
    }
  }

  mock_resource "aws_route53_record" {
    defaults = {
      fqdn = "_3b2a1c.ml.example.com"
    }
  }
}

variables {
  domain        = "ml.example.com"
  zone_id       = "Z0123456789ABCDEFGHIJ"
  source_ranges = ["203.0.113.0/24", "198.51.100.0/25"]
}

run "the_certificate_is_validated_by_dns_in_the_zone" {
  command = apply

  assert {
    condition     = aws_acm_certificate.edge.validation_method == "DNS" && aws_acm_certificate.edge.domain_name == var.domain
    error_message = "The certificate names the domain and is validated through DNS (renewed by ACM while the record stays)."
  }
  assert {
    condition = (
      aws_route53_record.validation.zone_id == var.zone_id
      && aws_route53_record.validation.name == "_3b2a1c.ml.example.com."
      && aws_route53_record.validation.type == "CNAME"
      && aws_route53_record.validation.records == toset(["_9f8e7d.acm-validations.aws."])
    )
    error_message = "ACM's validation record is published in the domain's zone."
  }
  assert {
    condition     = aws_acm_certificate_validation.edge.validation_record_fqdns == toset(["_3b2a1c.ml.example.com"])
    error_message = "The output waits for the validation of that record."
  }
}

run "the_service_patch_puts_the_certificate_on_the_tls_ports_and_admits_only_the_ranges" {
  command = apply

  assert {
    condition = yamldecode(output.traefik_service_patch).metadata.annotations == {
      "service.beta.kubernetes.io/aws-load-balancer-type"                   = "nlb"
      "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"               = output.certificate_arn
      "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"              = "websecure,gatewaysecure"
      "service.beta.kubernetes.io/aws-load-balancer-backend-protocol"       = "ssl"
      "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy" = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    }
    error_message = "An NLB presents the validated certificate on the two HTTPS ports only and re-encrypts to Traefik."
  }
  assert {
    condition     = tolist(yamldecode(output.traefik_service_patch).spec.loadBalancerSourceRanges) == var.source_ranges
    error_message = "loadBalancerSourceRanges is the source_ranges variable."
  }
  assert {
    condition     = yamldecode(output.traefik_service_patch).metadata.name == "traefik" && yamldecode(output.traefik_service_patch).metadata.namespace == "traefik"
    error_message = "The patch targets Traefik's Service."
  }
}

run "a_range_with_host_bits_is_refused" {
  command = plan

  variables {
    source_ranges = ["10.1.2.3/8"]
  }

  expect_failures = [var.source_ranges]
}

run "no_ranges_is_refused" {
  command = plan

  variables {
    source_ranges = []
  }

  expect_failures = [var.source_ranges]
}

run "a_domain_that_is_not_a_dns_name_is_refused" {
  command = plan

  variables {
    domain = "ML.example.com"
  }

  expect_failures = [var.domain]
}

run "a_zone_id_that_is_not_route53s_is_refused" {
  command = plan

  variables {
    zone_id = "example.com"
  }

  expect_failures = [var.zone_id]
}
