mock_provider "aws" {
  source = "../../tests/mocks"

  mock_resource "aws_instance" {
    defaults = {
      arn = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0"
    }
  }
}

variables {
  cluster_name      = "mlops-prod"
  environment       = "prod"
  github_repository = "your-org/mlops-platform"
  repository_arns   = ["arn:aws:ecr:eu-west-1:111122223333:repository/mlops-prod/bankchurn"]
}

run "only_this_repositorys_environment_gets_the_role" {
  command = plan

  assert {
    condition = (
      one(data.aws_iam_policy_document.deployer_trust.statement[0].principals).identifiers == toset(["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"]) &&
      { for c in data.aws_iam_policy_document.deployer_trust.statement[0].condition : c.variable => c.values } == {
        "token.actions.githubusercontent.com:aud" = tolist(["sts.amazonaws.com"])
        "token.actions.githubusercontent.com:sub" = tolist(["repo:your-org/mlops-platform:environment:prod"])
      }
    )
    error_message = "The role trusts GitHub's OIDC tokens of this repository's prod environment only."
  }
}

run "pushes_only_the_environments_images_and_has_no_bastion_by_default" {
  command = plan

  assert {
    condition     = [for s in data.aws_iam_policy_document.deployer.statement : s.resources if s.sid == "PushTheEnvironmentsImages"] == [toset(var.repository_arns)]
    error_message = "Image pushes are limited to the environment's repositories."
  }
  assert {
    condition     = length(aws_instance.bastion) == 0 && length([for s in data.aws_iam_policy_document.deployer.statement : s if s.sid == "TunnelThroughTheBastion"]) == 0
    error_message = "Without a private endpoint there is no bastion, and no SSM permission."
  }
}

run "a_private_endpoint_gets_a_closed_ssm_bastion" {
  command = plan

  variables {
    create_bastion            = true
    bastion_subnet_id         = "subnet-0123"
    vpc_id                    = "vpc-0123"
    cluster_security_group_id = "sg-cluster"
  }

  assert {
    condition     = aws_instance.bastion[0].associate_public_ip_address == false && one(aws_instance.bastion[0].metadata_options).http_tokens == "required" && one(aws_instance.bastion[0].root_block_device).encrypted
    error_message = "The bastion has no public address, requires IMDSv2 and encrypts its disk."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.api_from_bastion[0].security_group_id == "sg-cluster" && aws_vpc_security_group_ingress_rule.api_from_bastion[0].from_port == 443
    error_message = "The cluster security group admits the bastion on 443."
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.bastion_https[0].from_port == 443 && aws_vpc_security_group_egress_rule.bastion_https[0].to_port == 443
    error_message = "The bastion may only speak HTTPS out."
  }
  assert {
    condition     = contains([for s in data.aws_iam_policy_document.deployer.statement : s.sid], "TunnelThroughTheBastion")
    error_message = "The deployer may open a port forward through the bastion."
  }
}

run "rejects_a_bastion_without_a_subnet" {
  command = plan

  variables {
    create_bastion            = true
    vpc_id                    = "vpc-0123"
    cluster_security_group_id = "sg-cluster"
  }

  expect_failures = [var.bastion_subnet_id]
}
