mock_provider "aws" {
  # Policy documents are rendered by the provider; a mock must still be valid JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }

  # Not "aws": ARNs must follow the partition (China, GovCloud), not assume it.
  mock_data "aws_partition" {
    defaults = {
      partition = "aws-cn"
    }
  }
}

variables {
  name              = "mlops-dev-monthly"
  monthly_limit_usd = 150
  alert_emails      = ["team@example.com"]
  cost_filter_tags  = { env = "dev" }
}

run "alerts_at_50_80_100_actual_and_100_forecast" {
  command = plan

  assert {
    condition     = aws_budgets_budget.monthly.limit_amount == "150.00" && aws_budgets_budget.monthly.time_unit == "MONTHLY" && aws_budgets_budget.monthly.budget_type == "COST"
    error_message = "A monthly cost budget of 150 USD is expected."
  }
  assert {
    condition = toset([for n in aws_budgets_budget.monthly.notification : "${n.notification_type}:${n.threshold}"]) == toset([
      "ACTUAL:50", "ACTUAL:80", "ACTUAL:100", "FORECASTED:100",
    ])
    error_message = "Notifications at 50/80/100% actual and 100% forecast are expected."
  }
  assert {
    condition     = alltrue([for n in aws_budgets_budget.monthly.notification : n.subscriber_email_addresses == toset(["team@example.com"]) && length(n.subscriber_sns_topic_arns) == 1])
    error_message = "Each notification goes to the e-mails and the SNS topic."
  }
  assert {
    condition     = one(aws_budgets_budget.monthly.cost_filter).values == tolist(["user:env$dev"])
    error_message = "The budget must count only the environment's tagged costs."
  }
  assert {
    condition     = aws_kms_key.sns[0].enable_key_rotation
    error_message = "The alert topic is encrypted with a rotating key."
  }
}

run "rejects_a_budget_without_recipients" {
  command = plan

  variables {
    alert_emails = []
  }

  expect_failures = [var.alert_emails]
}

run "rejects_a_zero_limit" {
  command = plan

  variables {
    monthly_limit_usd = 0
  }

  expect_failures = [var.monthly_limit_usd]
}

run "refuses_two_tags_whose_filter_would_be_an_or" {
  command = plan

  variables {
    cost_filter_tags = { project = "mlops", env = "dev" }
  }

  expect_failures = [var.cost_filter_tags]
}

run "arns_follow_the_partition" {
  command = plan

  assert {
    condition     = one(data.aws_iam_policy_document.sns_key[0].statement[0].principals).identifiers == toset(["arn:aws-cn:iam::111122223333:root"])
    error_message = "The key policy must name the account root in the provider's partition."
  }
}
