# Runs in each environment root (envs/<env>/tests links here) with that root's
# terraform.tfvars, so every environment is checked against its own sizes.

mock_provider "aws" {
  # Relative to the environment root (envs/<env>), where the suite runs.
  source = "../../tests/mocks"
}

run "every_resource_carries_the_mandatory_cost_tags" {
  command = plan

  assert {
    condition = output.cost_tags == {
      project      = var.project
      env          = var.environment
      owner        = var.owner
      "managed-by" = "terraform"
    }
    error_message = "project, env, owner and managed-by must be the provider's default tags."
  }
  assert {
    condition = alltrue(flatten([
      for pool, kinds in output.node_resource_tags : [
        for kind, tags in kinds : tags == tomap(merge(output.cost_tags, { Name = "${var.project}-${var.environment}-${pool}" }))
      ]
    ])) && length(output.node_resource_tags) == 2
    error_message = "The nodes' instances, volumes and network interfaces carry the cost tags, so the budget counts them."
  }
}

run "the_autoscaler_and_external_secrets_get_roles" {
  command = plan

  assert {
    condition = output.pod_identity_associations == {
      cluster-autoscaler = "kube-system/cluster-autoscaler"
      external-secrets   = "external-secrets/external-secrets"
    }
    error_message = "Every environment binds the autoscaler's and External Secrets' service accounts to IAM roles."
  }
}

run "a_deploy_path_into_every_environment" {
  command = plan

  assert {
    condition = jsonencode(output.access_policies) == jsonencode({
      break-glass = { namespaces = ["*"], policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" }
      deployer    = { namespaces = [var.namespace], policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy" }
    })
    error_message = "The deploy role administers the platform's namespace only; cluster-admin is the break-glass role's alone."
  }
  assert {
    # A private endpoint (prod) is reached through the SSM bastion; a public one directly.
    condition     = output.api_route == (var.environment == "prod" ? "ssm-port-forward" : "public-endpoint")
    error_message = "Exactly the environments with a private API endpoint get a bastion."
  }
}

run "sizes_follow_the_environment" {
  command = plan

  assert {
    condition     = var.environment != "dev" || (output.nat_gateway_count == 0 && output.node_group_scaling["spot"].min_size == 0 && output.node_group_scaling["system"].max_size <= 2)
    error_message = "dev is the smallest: no NAT, a spot pool that scales to zero, at most two on-demand nodes."
  }
  assert {
    condition     = var.environment != "staging" || output.nat_gateway_count == 1
    error_message = "staging has one NAT gateway."
  }
  assert {
    condition     = var.environment != "prod" || (output.nat_gateway_count == 3 && output.node_group_scaling["system"].min_size >= 3)
    error_message = "prod has a NAT per AZ and at least three on-demand nodes."
  }
  assert {
    condition     = output.node_group_scaling["spot"].min_size == 0
    error_message = "Every environment's spot pool can scale to zero."
  }
}

run "rejects_an_unknown_environment" {
  command = plan

  variables {
    environment = "qa"
  }

  expect_failures = [var.environment]
}

run "rejects_an_owner_that_is_not_an_address" {
  command = plan

  variables {
    owner = "nobody"
  }

  expect_failures = [var.owner]
}

run "rejects_overriding_a_mandatory_tag" {
  command = plan

  variables {
    extra_tags = { env = "prod" }
  }

  expect_failures = [var.extra_tags]
}

run "the_longest_allowed_project_name_fits_every_module" {
  command = plan

  variables {
    project = "abcdefghijklmnopqrstuvw" # 23 characters, the root's limit
  }

  assert {
    condition     = output.cluster_name == "abcdefghijklmnopqrstuvw-${var.environment}"
    error_message = "The environment's resources are named <project>-<environment>."
  }
}

run "rejects_a_project_name_one_character_longer" {
  command = plan

  variables {
    project = "abcdefghijklmnopqrstuvwx"
  }

  expect_failures = [var.project]
}

run "rejects_zones_outside_the_region" {
  command = plan

  variables {
    region = "us-east-1"
  }

  expect_failures = [var.network]
}
