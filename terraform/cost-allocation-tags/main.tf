# Activates the platform's tag keys for cost allocation, account-wide: Cost Explorer and
# the budgets' tag filters count only spend whose tag keys are active.
#
# Apart from the environments on purpose. AWS can activate a key only once it has appeared
# in billing data (about a day after the first tagged resource exists), and only in the
# management account of an AWS Organization. In an environment's apply it would fail the
# first apply on a fresh account, or every apply in a member account.

provider "aws" {
  # Cost Explorer is a global service served from us-east-1.
  region = "us-east-1"
}

resource "aws_ce_cost_allocation_tag" "this" {
  for_each = toset(var.tag_keys)
  tag_key  = each.value
  status   = "Active"
}
