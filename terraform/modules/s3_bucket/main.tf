# A private, versioned, encrypted bucket reachable only over TLS.

resource "aws_s3_bucket" "this" {
  # checkov:skip=CKV_AWS_18: server access logs need a second bucket per bucket; audit S3 access with CloudTrail data events instead.
  # checkov:skip=CKV_AWS_144: cross-region replication is a disaster-recovery decision per organisation; versioning guards against loss.
  # checkov:skip=CKV2_AWS_62: nothing consumes bucket events in this platform.
  bucket        = var.name
  tags          = var.tags
  force_destroy = var.force_destroy
}

# Destroy protection that leaves the bucket at one address. `prevent_destroy` must be a
# literal, so it sits on this guard, which exists only while the bucket is protected and is
# replaced whenever the bucket would be (its id turns unknown). `destroy`, a replacement of
# the bucket, or dropping the module all plan to destroy the guard, and Terraform refuses
# the whole plan. Turning `prevent_destroy` off is refused too: lifting the protection takes
# a deliberate `terraform state rm` of the guard first (see README).
resource "terraform_data" "destroy_guard" {
  count            = var.prevent_destroy ? 1 : 0
  triggers_replace = aws_s3_bucket.this.id

  lifecycle {
    prevent_destroy = true
  }
}

# State written before the guard kept a protected bucket at a second address.
moved {
  from = aws_s3_bucket.protected[0]
  to   = aws_s3_bucket.this
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = var.expiration_days == null ? [] : [var.expiration_days]

    content {
      id     = "expire-current-objects"
      status = "Enabled"

      filter {}

      expiration {
        days = rule.value
      }
    }
  }

  dynamic "rule" {
    for_each = var.transition_to_ia_days == null ? [] : [var.transition_to_ia_days]

    content {
      id     = "current-to-infrequent-access"
      status = "Enabled"

      filter {}

      transition {
        days          = rule.value
        storage_class = "STANDARD_IA"
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = 7
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  # The caller's statements (a service that writes here, such as CloudTrail) beside this one.
  source_policy_documents = var.policy_json == null ? [] : [var.policy_json]

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
