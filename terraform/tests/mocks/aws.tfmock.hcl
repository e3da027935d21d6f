# What the mock provider answers in every `terraform test` suite that reads this folder: an
# account in eu-west-1 of the standard partition. Policy documents are rendered by the
# provider, so a mock must still return valid JSON.

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "111122223333"
  }
}

mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{}"
  }
}

# What DescribeAvailabilityZones answers in eu-west-1.
mock_data "aws_availability_zones" {
  defaults = {
    names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  }
}

mock_data "aws_ssm_parameter" {
  defaults = {
    value = "ami-0123456789abcdef0"
  }
}
