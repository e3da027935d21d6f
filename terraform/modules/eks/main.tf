data "aws_partition" "current" {}

# --- control plane ---------------------------------------------------------------------

# The trust policy of the role EKS itself (the control plane) assumes, as the EKS user guide
# gives it: EKS documents no source condition keys for it (terraform/tests/test_trust.py
# lists it with that reason).
data "aws_iam_policy_document" "cluster_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${var.cluster_name}-cluster"
  assume_role_policy = data.aws_iam_policy_document.cluster_assume.json
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

data "aws_caller_identity" "current" {}

# Envelope encryption of Kubernetes Secrets: the account administers the key, the cluster
# role uses it through the grant EKS creates.
data "aws_iam_policy_document" "secrets_key" {
  # checkov:skip=CKV_AWS_109: a KMS key policy; its resource "*" means the key itself.
  # checkov:skip=CKV_AWS_111: a KMS key policy grants only on the key it is attached to, never beyond it.
  # checkov:skip=CKV_AWS_356: a KMS key policy must name "*" as resource; it denotes the key itself.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"] # a key policy's resource is always the key itself

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "secrets" {
  description             = "${var.cluster_name} Kubernetes secrets"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.secrets_key.json
}

resource "aws_cloudwatch_log_group" "cluster" {
  # checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts at rest; a customer key adds cost and a key policy for logs.
  # checkov:skip=CKV_AWS_338: retention is chosen per environment (log_retention_days), 90 days in prod.
  # EKS writes to this exact name; creating it first sets the retention.
  name              = "/aws/eks/${var.cluster_name}/cluster"
  retention_in_days = var.log_retention_days
}

resource "aws_eks_cluster" "this" {
  # checkov:skip=CKV_AWS_339: the version comes through var.kubernetes_version, whose validation admits only supported versions.
  name                      = var.cluster_name
  version                   = var.kubernetes_version
  role_arn                  = aws_iam_role.cluster.arn
  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  vpc_config {
    subnet_ids              = var.subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = length(var.endpoint_public_access_cidrs) > 0
    public_access_cidrs     = length(var.endpoint_public_access_cidrs) > 0 ? var.endpoint_public_access_cidrs : null
  }

  # Whoever runs the first apply does not stay cluster-admin: access comes from the entries
  # below only (a deployer scoped to namespaces, a break-glass role behind MFA).
  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }

  # At the end of standard support EKS upgrades the control plane, instead of moving it to
  # extended support, which bills six times the hourly cluster fee.
  upgrade_policy {
    support_type = "STANDARD"
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = aws_kms_key.secrets.arn
    }
  }

  depends_on = [aws_iam_role_policy_attachment.cluster, aws_cloudwatch_log_group.cluster]

  # A create-time setting: a cluster made with the creator's admin entry is not replaced for
  # it (delete that entry instead: `aws eks delete-access-entry`, README).
  lifecycle {
    ignore_changes = [access_config[0].bootstrap_cluster_creator_admin_permissions]
  }
}

# IRSA: pods assume IAM roles through the cluster's OIDC issuer (AWS validates EKS issuers
# itself, so no thumbprint is needed).
resource "aws_iam_openid_connect_provider" "this" {
  url            = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
}

# --- nodes ----------------------------------------------------------------------------

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "${var.cluster_name}-node"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json
}

# No AmazonEKS_CNI_Policy here: the VPC CNI (aws-node) has a role of its own (below), so a
# pod that reached the node's credentials could still not change the VPC's interfaces.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
  ])
  role       = aws_iam_role.node.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/${each.value}"
}

locals {
  node_groups = merge(
    {
      system = merge(var.system_node_group, { capacity_type = "ON_DEMAND", labels = { "node.mlops/pool" = "system" } })
    },
    var.spot_node_group.enabled ? {
      spot = merge(var.spot_node_group, { capacity_type = "SPOT", labels = { "node.mlops/pool" = "spot" } })
    } : {},
  )
}

# A launch template per pool, because managed node groups do not pass their tags on: only
# tag_specifications put the cost tags on the instances and volumes, the largest spend.
resource "aws_launch_template" "node" {
  for_each               = local.node_groups
  name                   = "${var.cluster_name}-${each.key}"
  update_default_version = true

  block_device_mappings {
    device_name = "/dev/xvda" # the root volume of EKS's Amazon Linux 2023 AMIs

    ebs {
      volume_size           = each.value.disk_size_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  # IMDSv2 only, and a hop limit of 1, so that pods (one network hop further) cannot take
  # the node role's credentials: they get their own roles through Pod Identity, and the EBS
  # CSI driver reads its zone from the node's topology labels instead.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  dynamic "tag_specifications" {
    for_each = toset(["instance", "volume", "network-interface"])

    content {
      resource_type = tag_specifications.value
      tags          = merge(var.tags, { Name = "${var.cluster_name}-${each.key}" })
    }
  }
}

resource "aws_eks_node_group" "this" {
  for_each        = local.node_groups
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = each.key
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  capacity_type   = each.value.capacity_type
  instance_types  = each.value.instance_types
  version         = var.kubernetes_version
  labels          = each.value.labels

  launch_template {
    name    = aws_launch_template.node[each.key].name
    version = aws_launch_template.node[each.key].latest_version
  }

  scaling_config {
    min_size     = each.value.min_size
    max_size     = each.value.max_size
    desired_size = each.value.desired_size
  }

  update_config {
    max_unavailable = 1
  }

  # The cluster autoscaler owns desired_size after creation.
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }

  # aws-node gets its credentials from the Pod Identity agent: both run before nodes join.
  depends_on = [aws_iam_role_policy_attachment.node, aws_eks_addon.before_nodes]
}

# --- add-ons ----------------------------------------------------------------------------
# What the platform's manifests need from the cluster: the EBS CSI driver for the gp3
# StorageClass of k8s/overlays/prod, metrics-server for the HPAs, and the Pod Identity agent
# that gives the CSI driver its IAM role. Without an entry in addon_versions, EKS installs
# the default build for the cluster's Kubernetes version (itself pinned).

data "aws_region" "current" {}

locals {
  # DaemonSets that a node needs to become Ready (its network, its service routing, and the
  # agent that hands aws-node its credentials) go in before the node groups; Deployments after.
  addons_before_nodes = toset(["vpc-cni", "kube-proxy", "eks-pod-identity-agent"])
  addons_after_nodes  = toset(["coredns", "aws-ebs-csi-driver", "metrics-server"])
  cluster_arn         = "arn:${data.aws_partition.current.partition}:eks:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:cluster/${var.cluster_name}"
  # The add-ons that call AWS, each with a role of its own for one service account in
  # kube-system, assumed through Pod Identity.
  addon_roles = {
    ebs-csi = { addon = "aws-ebs-csi-driver", service_account = "ebs-csi-controller-sa", policy = "service-role/AmazonEBSCSIDriverPolicy" }
    vpc-cni = { addon = "vpc-cni", service_account = "aws-node", policy = "AmazonEKS_CNI_Policy" }
  }
  addon_role_of = { for name, r in local.addon_roles : r.addon => { arn = aws_iam_role.addon[name].arn, service_account = r.service_account } }
}

# Only this cluster's Pod Identity agent, in this account, for the one service account the
# role is for (the confused-deputy guard and the session tags EKS documents for Pod Identity).
data "aws_iam_policy_document" "addon_trust" {
  for_each = local.addon_roles

  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.cluster_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/kubernetes-namespace"
      values   = ["kube-system"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/kubernetes-service-account"
      values   = [each.value.service_account]
    }
  }
}

resource "aws_iam_role" "addon" {
  for_each           = local.addon_roles
  name               = "${var.cluster_name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.addon_trust[each.key].json
}

resource "aws_iam_role_policy_attachment" "addon" {
  for_each   = local.addon_roles
  role       = aws_iam_role.addon[each.key].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/${each.value.policy}"
}

resource "aws_eks_addon" "before_nodes" {
  for_each                    = local.addons_before_nodes
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = lookup(var.addon_versions, each.key, null)
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "PRESERVE"
  # The VPC CNI enforces the NetworkPolicies of k8s/base only with its policy agent on.
  configuration_values = each.key == "vpc-cni" ? jsonencode({ enableNetworkPolicy = "true" }) : null

  dynamic "pod_identity_association" {
    for_each = contains(keys(local.addon_role_of), each.key) ? [local.addon_role_of[each.key]] : []
    content {
      role_arn        = pod_identity_association.value.arn
      service_account = pod_identity_association.value.service_account
    }
  }

  depends_on = [aws_iam_role_policy_attachment.addon]
}

resource "aws_eks_addon" "this" {
  for_each                    = local.addons_after_nodes
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = lookup(var.addon_versions, each.key, null)
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "PRESERVE"

  dynamic "pod_identity_association" {
    for_each = contains(keys(local.addon_role_of), each.key) ? [local.addon_role_of[each.key]] : []
    content {
      role_arn        = pod_identity_association.value.arn
      service_account = pod_identity_association.value.service_account
    }
  }

  # coredns, metrics-server and the CSI controller are Deployments: they need nodes.
  depends_on = [aws_eks_node_group.this, aws_iam_role_policy_attachment.addon]
}

# Where earlier versions of this module kept these (no destroy and re-create on upgrade).
moved {
  from = aws_iam_role_policy_attachment.ebs_csi
  to   = aws_iam_role_policy_attachment.addon["ebs-csi"]
}

moved {
  from = aws_iam_role.ebs_csi
  to   = aws_iam_role.addon["ebs-csi"]
}

moved {
  from = aws_eks_addon.this["vpc-cni"]
  to   = aws_eks_addon.before_nodes["vpc-cni"]
}

moved {
  from = aws_eks_addon.this["kube-proxy"]
  to   = aws_eks_addon.before_nodes["kube-proxy"]
}

moved {
  from = aws_eks_addon.this["eks-pod-identity-agent"]
  to   = aws_eks_addon.before_nodes["eks-pod-identity-agent"]
}

# The add-ons installed from k8s/addons (cluster autoscaler) or by the operator (External
# Secrets) get their roles the same way as the CSI driver above.
resource "aws_eks_pod_identity_association" "this" {
  for_each        = var.pod_identities
  cluster_name    = aws_eks_cluster.this.name
  namespace       = each.value.namespace
  service_account = each.value.service_account
  role_arn        = each.value.role_arn
}

# Who may use the Kubernetes API: access entries (the cluster runs in API authentication
# mode, so the aws-auth ConfigMap plays no part). Each names an EKS access policy and where
# it holds: the whole cluster, or only the given namespaces.
resource "aws_eks_access_entry" "this" {
  for_each          = local.access_entries
  cluster_name      = aws_eks_cluster.this.name
  principal_arn     = each.value.principal_arn
  kubernetes_groups = each.value.kubernetes_groups
}

resource "aws_eks_access_policy_association" "this" {
  for_each      = local.access_entries
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.this[each.key].principal_arn
  policy_arn    = "arn:${data.aws_partition.current.partition}:eks::aws:cluster-access-policy/${each.value.policy}"

  access_scope {
    type       = length(each.value.namespaces) > 0 ? "namespace" : "cluster"
    namespaces = length(each.value.namespaces) > 0 ? each.value.namespaces : null
  }
}

# --- break glass ------------------------------------------------------------------------
# Cluster-admin for an emergency, and for nothing else: a role that people of this account
# (or the principals given) may assume only with MFA, signed in within the hour; its
# sessions end after an hour, and CloudTrail records each AssumeRole.

data "aws_iam_policy_document" "break_glass_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = coalescelist(var.break_glass_principals, ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"])
    }

    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "aws:MultiFactorAuthAge"
      values   = ["3600"]
    }
  }
}

resource "aws_iam_role" "break_glass" {
  name                 = "${var.cluster_name}-break-glass"
  assume_role_policy   = data.aws_iam_policy_document.break_glass_trust.json
  max_session_duration = 3600
}

# What it needs from AWS to reach the cluster (a kubeconfig); Kubernetes rights come from
# its access entry.
data "aws_iam_policy_document" "break_glass" {
  statement {
    actions   = ["eks:DescribeCluster"]
    resources = [aws_eks_cluster.this.arn]
  }
}

resource "aws_iam_role_policy" "break_glass" {
  name   = "describe-cluster"
  role   = aws_iam_role.break_glass.id
  policy = data.aws_iam_policy_document.break_glass.json
}

locals {
  access_entries = merge(var.access_entries, {
    break-glass = {
      principal_arn     = aws_iam_role.break_glass.arn
      policy            = "AmazonEKSClusterAdminPolicy"
      namespaces        = []
      kubernetes_groups = []
    }
  })
}

# Where earlier versions of this module kept the deployer's entry.
moved {
  from = aws_eks_access_entry.admin
  to   = aws_eks_access_entry.this
}

moved {
  from = aws_eks_access_policy_association.admin
  to   = aws_eks_access_policy_association.this
}
