output "budget_name" {
  description = "Budget name."
  value       = aws_budgets_budget.monthly.name
}

output "alert_topic_arn" {
  description = "SNS topic of budget alerts (null without one)."
  value       = var.create_sns_topic ? aws_sns_topic.alerts[0].arn : null
}
