mock_provider "aws" {}

variables {
  name = "mlops-test-artifacts"
}

run "private_versioned_encrypted_tls_only" {
  command = plan

  assert {
    condition     = length(terraform_data.destroy_guard) == 0
    error_message = "A bucket is unprotected by default."
  }
  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be enabled."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "SSE-S3 is the default encryption."
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "All public access must be blocked."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }
  assert {
    condition = (
      data.aws_iam_policy_document.tls_only.statement[0].effect == "Deny" &&
      one(data.aws_iam_policy_document.tls_only.statement[0].condition).variable == "aws:SecureTransport" &&
      one(data.aws_iam_policy_document.tls_only.statement[0].condition).values == tolist(["false"])
    )
    error_message = "The bucket policy must deny requests without TLS."
  }
}

run "kms_encryption_and_destroy_protection" {
  command = plan

  variables {
    kms_key_arn     = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    prevent_destroy = true
  }

  assert {
    condition     = length(terraform_data.destroy_guard) == 1 && aws_s3_bucket.this.bucket == var.name
    error_message = "prevent_destroy must add the destroy guard beside the same bucket resource."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "A KMS key switches encryption to aws:kms."
  }
}

run "rejects_an_invalid_bucket_name" {
  command = plan

  variables {
    name = "Not_A_Bucket"
  }

  expect_failures = [var.name]
}

run "a_disposable_bucket_is_emptied_on_destroy" {
  command = plan

  variables {
    force_destroy = true
  }

  assert {
    condition     = aws_s3_bucket.this.force_destroy
    error_message = "force_destroy must reach the bucket, or destroy stops at its first object."
  }
}

run "a_bucket_is_never_both_protected_and_disposable" {
  command = plan

  variables {
    force_destroy   = true
    prevent_destroy = true
  }

  expect_failures = [var.force_destroy]
}
