mock_provider "aws" {}

variables {
  repositories = ["mlops-dev/alpha", "mlops-dev/beta", "mlops-dev/gamma"]
}

run "immutable_scanned_repositories_with_lifecycle" {
  command = plan

  assert {
    condition     = length(aws_ecr_repository.this) == 3
    error_message = "One repository per image."
  }
  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : r.image_tag_mutability == "IMMUTABLE" && r.image_scanning_configuration[0].scan_on_push])
    error_message = "Tags must be immutable and images scanned on push."
  }
  assert {
    condition     = alltrue([for p in aws_ecr_lifecycle_policy.this : length(jsondecode(p.policy).rules) == 2])
    error_message = "Each repository needs the untagged-expiry and keep-newest rules."
  }
  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : !r.force_delete])
    error_message = "By default a repository holding images refuses deletion."
  }
}

run "disposable_repositories_are_deleted_with_their_images" {
  command = plan

  variables {
    force_delete = true
  }

  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : r.force_delete])
    error_message = "force_delete must reach every repository."
  }
}

run "rejects_an_empty_list" {
  command = plan

  variables {
    repositories = []
  }

  expect_failures = [var.repositories]
}
