mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name           = "mlops-test"
  secrets_prefix = "mlops/test/"
  network        = { availability_zones = ["eu-west-1a", "eu-west-1b"], nat_gateway_mode = "single" }
  budget         = { monthly_limit_usd = 100, alert_emails = ["team@example.com"] }
}

run "a_disposable_environment_gives_up_its_data_on_destroy" {
  command = plan

  variables {
    disposable = true
  }

  assert {
    condition     = !module.artifacts[0].protected && module.artifacts[0].force_destroy
    error_message = "A disposable environment's bucket is emptied on destroy and not guarded."
  }
}

run "a_kept_environment_guards_its_bucket" {
  command = plan

  variables {
    artifact_bucket = { prevent_destroy = true }
  }

  assert {
    condition     = module.artifacts[0].protected && !module.artifacts[0].force_destroy
    error_message = "prevent_destroy guards the bucket and never empties it."
  }
}

run "no_deploy_role_unless_asked_and_a_bastion_only_for_a_private_api" {
  command = plan

  assert {
    condition = output.deployer_role_arn == null && jsonencode(output.access_policies) == jsonencode({
      break-glass = { namespaces = ["*"], policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" }
    })
    error_message = "Without var.deploy there is no deploy role; the break-glass role is the only access entry."
  }
}

run "a_private_api_is_reached_through_the_bastion" {
  command = plan

  variables {
    deploy = { github_repository = "your-org/mlops-platform", environment = "test", namespace = "mlops" }
  }

  assert {
    condition     = output.api_route == "ssm-port-forward" && jsonencode(output.access_policies["deployer"]) == jsonencode({ namespaces = ["mlops"], policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy" })
    error_message = "With a private endpoint the deployer tunnels through the bastion, and administers the platform's namespace only."
  }
}

run "the_name_fits_every_module_it_feeds" {
  command = plan

  variables {
    name = "abcdefghijklmnopqrstuvwxyz01234" # 31 characters, the network module's limit
  }

  assert {
    condition     = output.cluster_name == var.name
    error_message = "The longest name passes every module's validation."
  }
}

run "no_edge_certificate_unless_asked" {
  command = plan

  assert {
    condition     = length(module.edge) == 0 && output.traefik_service_patch == null
    error_message = "Without var.edge there is no certificate and no Service patch."
  }
}

run "the_edge_comes_with_the_cluster" {
  command = plan

  variables {
    edge = { domain = "ml.example.com", zone_id = "Z0123456789ABCDEFGHIJ", source_ranges = ["0.0.0.0/0"] }
  }

  assert {
    condition     = length(module.edge) == 1
    error_message = "With var.edge and a cluster, the edge module issues the domain's certificate."
  }
}

run "no_cluster_no_edge" {
  command = plan

  variables {
    create_cluster = false
    edge           = { domain = "ml.example.com", zone_id = "Z0123456789ABCDEFGHIJ", source_ranges = ["0.0.0.0/0"] }
  }

  assert {
    condition     = length(module.edge) == 0
    error_message = "The certificate is for the cluster's load balancer: without a cluster there is none."
  }
}
