mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }
}

variables {
  state_bucket_name = "mlops-terraform-state-111122223333"
  owner             = "platform-team@example.com"
}

run "a_protected_state_bucket_and_github_oidc" {
  command = plan

  assert {
    condition     = module.state_bucket.protected
    error_message = "The state bucket is protected from destroy."
  }
  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "GitHub Actions' tokens, for STS, are trusted once per account."
  }
}

run "an_account_that_has_the_provider_already" {
  command = plan

  variables {
    github_actions_oidc = false
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "The provider is optional."
  }
}

run "an_audit_trail_and_guardduty_by_default" {
  command = plan

  assert {
    condition     = length(module.audit) == 1
    error_message = "The account gets its trail and GuardDuty unless told otherwise."
  }
}

run "the_state_buckets_object_calls_on_request" {
  command = plan

  variables {
    audit = { state_data_events = true }
  }

  assert {
    condition     = length(module.audit) == 1
    error_message = "The trail is there with the state bucket's data events."
  }
}

run "no_audit_where_the_organisation_has_it" {
  command = plan

  variables {
    audit = null
  }

  assert {
    condition     = length(module.audit) == 0
    error_message = "audit = null leaves the account's trail and GuardDuty to the organisation."
  }
}
