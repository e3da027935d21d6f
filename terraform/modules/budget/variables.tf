variable "name" {
  description = "Budget name."
  type        = string
  default     = null

  validation {
    condition     = var.name != null && length(var.name) > 0
    error_message = "name is required."
  }
}

variable "monthly_limit_usd" {
  description = "Monthly cost limit in USD."
  type        = number
  default     = null

  validation {
    condition     = var.monthly_limit_usd != null && var.monthly_limit_usd > 0
    error_message = "monthly_limit_usd must be a positive number."
  }
}

variable "cost_filter_tags" {
  description = "Only costs carrying this tag count (e.g. { env = \"dev\" }); empty counts the whole account."
  type        = map(string)
  default     = {}

  validation {
    # The values of one cost filter are combined with OR ("lists of dimension values are
    # combined with OR when applying the filter": AWS Billing and Cost Management API
    # Reference, Expression), and a budget takes one TagKeyValue filter. Two tags would
    # therefore count spend carrying either of them, not both.
    condition     = length(var.cost_filter_tags) <= 1
    error_message = "Give one tag: AWS Budgets ORs the values of a tag filter, so two tags would count spend that carries either."
  }
}

variable "actual_thresholds_percent" {
  description = "Alert when actual spend passes these percentages of the limit."
  type        = list(number)
  default     = [50, 80, 100]
}

variable "forecast_thresholds_percent" {
  description = "Alert when forecast spend passes these percentages of the limit."
  type        = list(number)
  default     = [100]
}

variable "alert_emails" {
  description = "E-mail addresses that receive budget alerts."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.alert_emails) > 0 && alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Give at least one valid alert e-mail address."
  }
}

variable "create_sns_topic" {
  description = "Also publish alerts to an SNS topic (for chat or paging integrations)."
  type        = bool
  default     = true
}
