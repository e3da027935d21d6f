mock_provider "aws" {}

run "activates_every_mandatory_cost_tag" {
  command = plan

  assert {
    condition     = toset(keys(aws_ce_cost_allocation_tag.this)) == toset(["project", "env", "owner"]) && alltrue([for t in aws_ce_cost_allocation_tag.this : t.status == "Active"])
    error_message = "project, env and owner must be activated."
  }
}

run "rejects_an_empty_key_list" {
  command = plan

  variables {
    tag_keys = []
  }

  expect_failures = [var.tag_keys]
}
