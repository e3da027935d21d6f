output "pod_identities" {
  description = "Per add-on: the namespace and service account that assume the role, and its ARN (the eks module's pod_identities input)."
  value = {
    for name, role in local.roles :
    name => merge(role, { role_arn = aws_iam_role.this[name].arn })
  }
}
