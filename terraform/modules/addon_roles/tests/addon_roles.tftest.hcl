mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  cluster_name   = "mlops-prod"
  secrets_prefix = "mlops/prod/"
}

run "one_role_per_addon_service_account" {
  command = plan

  assert {
    condition = {
      for k, v in output.pod_identities : k => [v.namespace, v.service_account]
      } == {
      cluster-autoscaler = ["kube-system", "cluster-autoscaler"]
      external-secrets   = ["external-secrets", "external-secrets"]
    }
    error_message = "The autoscaler and External Secrets each get a role for their service account."
  }
  assert {
    condition     = aws_iam_role.this["cluster-autoscaler"].name == "mlops-prod-cluster-autoscaler"
    error_message = "Roles are named after the cluster."
  }
}

run "only_this_clusters_pod_identity_agent_may_assume_them" {
  command = plan

  assert {
    condition = (
      one(data.aws_iam_policy_document.trust.statement[0].principals).identifiers == toset(["pods.eks.amazonaws.com"]) &&
      contains([for c in data.aws_iam_policy_document.trust.statement[0].condition : c.values[0]], "arn:aws:eks:eu-west-1:111122223333:cluster/mlops-prod")
    )
    error_message = "The trust policy names the Pod Identity service and this cluster."
  }
}

run "the_autoscaler_changes_only_this_clusters_groups" {
  command = plan

  assert {
    condition = (
      one(data.aws_iam_policy_document.cluster_autoscaler.statement[0].condition).variable == "aws:ResourceTag/k8s.io/cluster-autoscaler/mlops-prod" &&
      one(data.aws_iam_policy_document.cluster_autoscaler.statement[0].condition).values == tolist(["owned"]) &&
      contains(data.aws_iam_policy_document.cluster_autoscaler.statement[0].actions, "autoscaling:SetDesiredCapacity")
    )
    error_message = "Scaling actions are limited to the groups tagged as this cluster's own."
  }
}

run "external_secrets_reads_only_this_environments_secrets" {
  command = plan

  assert {
    condition     = data.aws_iam_policy_document.external_secrets.statement[0].resources == toset(["arn:aws:secretsmanager:eu-west-1:111122223333:secret:mlops/prod/*"])
    error_message = "External Secrets reads the secrets under the environment's prefix only."
  }
}

run "rejects_a_prefix_that_would_match_other_environments" {
  command = plan

  variables {
    secrets_prefix = "mlops/prod"
  }

  expect_failures = [var.secrets_prefix]
}
