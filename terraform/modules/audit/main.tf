# The account's audit trail and threat detection: a multi-region CloudTrail of every
# management event (and, optionally, the object-level calls on named buckets) into a bucket
# of its own, with log file validation; and GuardDuty, optionally reading the EKS audit logs.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  trail_arn = "arn:${local.partition}:cloudtrail:${data.aws_region.current.name}:${local.account}:trail/${var.name}"
  bucket    = "${var.name}-${local.account}"
}

# CloudTrail may write this trail's files, and only this trail's (the confused-deputy guard).
data "aws_iam_policy_document" "trail_writes" {
  statement {
    sid       = "CloudTrailReadsTheAcl"
    actions   = ["s3:GetBucketAcl"]
    resources = ["arn:${local.partition}:s3:::${local.bucket}"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "CloudTrailWritesThisTrail"
    actions   = ["s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.bucket}/AWSLogs/${local.account}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
  }
}

module "logs" {
  source = "../s3_bucket"

  name            = local.bucket
  prevent_destroy = !var.force_destroy
  force_destroy   = var.force_destroy
  expiration_days = var.retention_days
  # Log files are written once: a non-current version is an overwrite or a delete, kept as
  # long as the logs themselves.
  noncurrent_version_expiration_days = var.retention_days
  policy_json                        = data.aws_iam_policy_document.trail_writes.json
}

resource "aws_cloudtrail" "this" {
  # checkov:skip=CKV_AWS_35: the bucket encrypts with SSE-S3; a customer key adds a key policy for CloudTrail and 1 USD a month, and log file validation already proves integrity.
  # checkov:skip=CKV_AWS_252: no SNS notification per log file: nothing here consumes one.
  # checkov:skip=CKV2_AWS_10: GuardDuty reads the trail's events; a CloudWatch Logs copy would bill ingestion for every event again.
  name                          = var.name
  s3_bucket_name                = module.logs.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true

  advanced_event_selector {
    name = "Every management event"

    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }

  dynamic "advanced_event_selector" {
    for_each = length(var.data_event_bucket_arns) > 0 ? [var.data_event_bucket_arns] : []

    content {
      name = "Object-level calls on the named buckets"

      field_selector {
        field  = "eventCategory"
        equals = ["Data"]
      }

      field_selector {
        field  = "resources.type"
        equals = ["AWS::S3::Object"]
      }

      field_selector {
        field       = "resources.ARN"
        starts_with = [for a in advanced_event_selector.value : "${a}/"]
      }
    }
  }

  depends_on = [module.logs]
}

resource "aws_guardduty_detector" "this" {
  # checkov:skip=CKV2_AWS_3: a single account's detector; an organisation enables GuardDuty for its members from the delegated administrator account instead (audit = null here).
  count                        = var.guardduty ? 1 : 0
  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"
}

resource "aws_guardduty_detector_feature" "eks_audit_logs" {
  count       = var.guardduty ? 1 : 0
  detector_id = aws_guardduty_detector.this[0].id
  name        = "EKS_AUDIT_LOGS"
  status      = var.guardduty_eks_protection ? "ENABLED" : "DISABLED"
}
