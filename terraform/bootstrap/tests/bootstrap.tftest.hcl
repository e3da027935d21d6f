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
