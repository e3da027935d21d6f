mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "mlops-audit"
}

run "a_validated_multi_region_trail_of_every_management_event" {
  command = plan

  assert {
    condition = (
      aws_cloudtrail.this.is_multi_region_trail && aws_cloudtrail.this.include_global_service_events &&
      aws_cloudtrail.this.enable_log_file_validation && length(aws_cloudtrail.this.advanced_event_selector) == 1
    )
    error_message = "One trail for every region and global service, validated, management events only by default."
  }
  assert {
    condition     = module.logs.protected && !module.logs.force_destroy
    error_message = "The audit log bucket is guarded against destroy."
  }
}

run "only_this_trail_may_write_its_bucket" {
  command = plan

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.trail_writes.statement : contains(
        [for c in s.condition : "${c.variable}=${join(",", c.values)}"],
        "aws:SourceArn=arn:aws:cloudtrail:eu-west-1:111122223333:trail/mlops-audit"
      )
    ])
    error_message = "CloudTrail may read the ACL and write files for this trail only."
  }
}

run "data_events_for_the_named_buckets_only_when_asked" {
  command = plan

  variables {
    data_event_bucket_arns = ["arn:aws:s3:::mlops-terraform-state"]
  }

  assert {
    condition = anytrue([
      for s in aws_cloudtrail.this.advanced_event_selector : anytrue([
        for f in s.field_selector : f.field == "resources.ARN" && tolist(f.starts_with) == tolist(["arn:aws:s3:::mlops-terraform-state/"])
      ])
    ])
    error_message = "Object-level calls are recorded for the named buckets' objects."
  }
}

run "guardduty_with_eks_protection_by_default_and_each_a_toggle" {
  command = plan

  assert {
    condition     = length(aws_guardduty_detector.this) == 1 && aws_guardduty_detector_feature.eks_audit_logs[0].status == "ENABLED"
    error_message = "GuardDuty reads the EKS audit logs by default."
  }
}

run "eks_protection_off" {
  command = plan

  variables {
    guardduty_eks_protection = false
  }

  assert {
    condition     = aws_guardduty_detector_feature.eks_audit_logs[0].status == "DISABLED"
    error_message = "EKS Protection is a toggle."
  }
}

run "guardduty_off" {
  command = plan

  variables {
    guardduty = false
  }

  assert {
    condition     = length(aws_guardduty_detector.this) == 0 && length(aws_guardduty_detector_feature.eks_audit_logs) == 0
    error_message = "GuardDuty is a toggle."
  }
}

run "a_retention_shorter_than_the_event_history_is_refused" {
  command = plan

  variables {
    retention_days = 30
  }

  expect_failures = [var.retention_days]
}
