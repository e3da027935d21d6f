mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name               = "mlops-test"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  cluster_name       = "mlops-test"
}

run "no_nat_puts_nodes_in_public_subnets" {
  command = plan

  variables {
    nat_gateway_mode = "none"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_eip.nat) == 0
    error_message = "nat_gateway_mode none must create no NAT gateway."
  }
  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch])
    error_message = "Without NAT, public subnets must give nodes public IPs."
  }
}

run "single_nat_serves_every_az" {
  command = plan

  variables {
    nat_gateway_mode = "single"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1
    error_message = "single must create one NAT gateway."
  }
  assert {
    condition     = alltrue([for rt in aws_route_table.private : length(rt.route) == 1])
    error_message = "Every private route table needs a default route through the NAT."
  }
  assert {
    condition     = alltrue([for s in aws_subnet.public : !s.map_public_ip_on_launch])
    error_message = "With NAT, nothing gets a public IP by default."
  }
}

run "one_nat_per_az" {
  command = plan

  variables {
    nat_gateway_mode = "per_az"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "per_az must create a NAT gateway in each of the three AZs."
  }
}

run "subnets_are_tagged_for_eks_and_flow_logs_record_rejects" {
  command = plan

  assert {
    condition = alltrue([for s in aws_subnet.public : s.tags["kubernetes.io/role/elb"] == "1"]) && alltrue([
      for s in aws_subnet.private : s.tags["kubernetes.io/role/internal-elb"] == "1"
    ])
    error_message = "Subnets need the EKS load balancer role tags."
  }
  assert {
    condition     = length(aws_flow_log.this) == 1 && aws_flow_log.this[0].traffic_type == "REJECT"
    error_message = "Flow logs must record rejected traffic by default."
  }
}

run "rejects_an_unknown_nat_mode" {
  command = plan

  variables {
    nat_gateway_mode = "two"
  }

  expect_failures = [var.nat_gateway_mode]
}

run "rejects_a_single_az" {
  command = plan

  variables {
    availability_zones = ["eu-west-1a"]
  }

  expect_failures = [var.availability_zones]
}

run "rejects_zones_of_another_region" {
  command = plan

  variables {
    availability_zones = ["us-east-1a", "us-east-1b"]
  }

  expect_failures = [aws_vpc.this]
}

run "only_this_accounts_flow_logs_may_assume_the_flow_logs_role" {
  command = plan

  variables {
    enable_flow_logs = true
  }

  assert {
    condition = { for c in data.aws_iam_policy_document.flow_logs_assume.statement[0].condition : c.variable => join(",", c.values) } == {
      "aws:SourceAccount" = "111122223333"
      "aws:SourceArn"     = "arn:aws:ec2:eu-west-1:111122223333:vpc-flow-log/*"
    }
    error_message = "The flow-logs role trusts the service only for this account's flow logs in this region."
  }
}
