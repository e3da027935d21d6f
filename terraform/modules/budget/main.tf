data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  notifications = concat(
    [for p in var.actual_thresholds_percent : { type = "ACTUAL", threshold = p }],
    [for p in var.forecast_thresholds_percent : { type = "FORECASTED", threshold = p }],
  )
}

# SNS topic for alerts, encrypted with a key the Budgets service may use.
data "aws_iam_policy_document" "sns_key" {
  # checkov:skip=CKV_AWS_109: this is a KMS key policy; its resource "*" means the key itself.
  # checkov:skip=CKV_AWS_111: a KMS key policy grants only on the key it is attached to, never beyond it.
  # checkov:skip=CKV_AWS_356: a KMS key policy must name "*" as resource; it denotes the key itself.
  count = var.create_sns_topic ? 1 : 0

  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "BudgetsEncrypts"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "sns" {
  count                   = var.create_sns_topic ? 1 : 0
  description             = "${var.name} budget alerts"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.sns_key[0].json
}

resource "aws_sns_topic" "alerts" {
  count             = var.create_sns_topic ? 1 : 0
  name              = "${var.name}-budget-alerts"
  kms_master_key_id = aws_kms_key.sns[0].arn
}

data "aws_iam_policy_document" "sns_publish" {
  count = var.create_sns_topic ? 1 : 0

  statement {
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.alerts[0].arn]

    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  count  = var.create_sns_topic ? 1 : 0
  arn    = aws_sns_topic.alerts[0].arn
  policy = data.aws_iam_policy_document.sns_publish[0].json
}

resource "aws_budgets_budget" "monthly" {
  name         = var.name
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "cost_filter" {
    for_each = length(var.cost_filter_tags) == 0 ? [] : [1]

    content {
      name = "TagKeyValue"
      # Cost Explorer's tag filter syntax is user:<key>$<value>; one value (see the variable).
      values = [for k, v in var.cost_filter_tags : format("user:%s$%s", k, v)]
    }
  }

  dynamic "notification" {
    for_each = local.notifications

    content {
      comparison_operator        = "GREATER_THAN"
      notification_type          = notification.value.type
      threshold                  = notification.value.threshold
      threshold_type             = "PERCENTAGE"
      subscriber_email_addresses = var.alert_emails
      subscriber_sns_topic_arns  = var.create_sns_topic ? [aws_sns_topic.alerts[0].arn] : []
    }
  }
}
