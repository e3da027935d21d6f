# IAM roles of the cluster's add-ons that call AWS, each assumed through EKS Pod Identity
# by one service account: the cluster autoscaler (grows and shrinks the node groups) and
# the External Secrets Operator (reads this environment's secrets). The eks module binds
# each role to its service account with a pod identity association.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name
  cluster   = "arn:${local.partition}:eks:${local.region}:${local.account}:cluster/${var.cluster_name}"

  roles = {
    cluster-autoscaler = { namespace = "kube-system", service_account = "cluster-autoscaler" }
    external-secrets   = { namespace = "external-secrets", service_account = "external-secrets" }
  }
}

# Only this cluster's pod identity agent, in this account, may hand out the roles (the
# confused-deputy guard that EKS documents for Pod Identity trust policies).
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.cluster]
    }
  }
}

# The cluster autoscaler, as its AWS guide has it: read everything it needs to pick a node
# group, but change only the Auto Scaling groups that EKS tagged as this cluster's own.
data "aws_iam_policy_document" "cluster_autoscaler" {
  # checkov:skip=CKV_AWS_356: the Describe* calls of Auto Scaling and EC2 support no resource-level permissions; the mutating ones are limited to this cluster's groups.
  # checkov:skip=CKV_AWS_111: its only write actions are conditioned on this cluster's ownership tag.
  statement {
    sid = "ScaleOnlyThisClustersGroups"
    actions = [
      "autoscaling:SetDesiredCapacity",
      "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    resources = ["arn:${local.partition}:autoscaling:${local.region}:${local.account}:autoScalingGroup:*:autoScalingGroupName/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/k8s.io/cluster-autoscaler/${var.cluster_name}"
      values   = ["owned"]
    }
  }

  statement {
    sid = "DiscoverGroupsAndInstanceTypes"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }

  statement {
    # Labels and taints of a managed node group at zero nodes: how a pool scales up from 0.
    sid       = "ReadThisClustersNodeGroups"
    actions   = ["eks:DescribeNodegroup"]
    resources = ["arn:${local.partition}:eks:${local.region}:${local.account}:nodegroup/${var.cluster_name}/*/*"]
  }
}

# External Secrets reads the environment's secrets, and nothing else.
data "aws_iam_policy_document" "external_secrets" {
  statement {
    sid = "ReadThisEnvironmentsSecrets"
    actions = [
      "secretsmanager:GetSecretValue",
      "secretsmanager:DescribeSecret",
      "secretsmanager:ListSecretVersionIds",
    ]
    resources = ["arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:${var.secrets_prefix}*"]
  }
}

locals {
  policies = {
    cluster-autoscaler = data.aws_iam_policy_document.cluster_autoscaler.json
    external-secrets   = data.aws_iam_policy_document.external_secrets.json
  }
}

resource "aws_iam_role" "this" {
  for_each           = local.roles
  name               = "${var.cluster_name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "this" {
  for_each = local.roles
  name     = each.key
  role     = aws_iam_role.this[each.key].id
  policy   = local.policies[each.key]
}
