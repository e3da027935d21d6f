# How a deploy reaches the cluster: a role that CI assumes through GitHub's OIDC tokens
# (no stored keys), allowed to push the environment's images to ECR, describe the cluster,
# and (where the API endpoint is private) open an SSM port forward through a bastion that
# has no inbound port at all. The eks module makes the role admin of the platform's namespace
# only (an access entry with EKS's namespaced admin policy, and the Kubernetes group of
# k8s/addons/deployer-access); docs: terraform/README.md, "Deploying to a private cluster".

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name
  account   = data.aws_caller_identity.current.account_id
  cluster   = "arn:${local.partition}:eks:${local.region}:${local.account}:cluster/${var.cluster_name}"
  bastion   = var.create_bastion
  # The OIDC provider that terraform/bootstrap creates once per account.
  github_oidc = "arn:${local.partition}:iam::${local.account}:oidc-provider/token.actions.githubusercontent.com"
}

# --- the CI role -----------------------------------------------------------------------

# Only workflow jobs of this repository that run in this GitHub environment (which can
# require reviewers and limit branches) get the role.
data "aws_iam_policy_document" "deployer_trust" {
  # checkov:skip=CKV_AWS_358: sub is exactly repo:<owner>/<name>:environment:<env>, from variables validated as such; checkov cannot resolve them through the module chain.
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.github_repository}:environment:${var.environment}"]
    }
  }
}

resource "aws_iam_role" "deployer" {
  name                 = "${var.cluster_name}-deployer"
  assume_role_policy   = data.aws_iam_policy_document.deployer_trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "deployer" {
  # checkov:skip=CKV_AWS_356: ecr:GetAuthorizationToken supports no resource-level permission; every other action is scoped.
  # checkov:skip=CKV_AWS_111: the write actions are limited to the environment's own repositories.
  statement {
    sid       = "FindTheCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [local.cluster]
  }

  statement {
    sid       = "LogInToECR"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = length(var.repository_arns) > 0 ? [var.repository_arns] : []

    content {
      sid = "PushTheEnvironmentsImages"
      actions = [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:DescribeImages",
        "ecr:GetDownloadUrlForLayer",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
      ]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = local.bastion ? [aws_instance.bastion[0].arn] : []

    content {
      sid     = "TunnelThroughTheBastion"
      actions = ["ssm:StartSession"]
      resources = [
        statement.value,
        "arn:${local.partition}:ssm:${local.region}::document/AWS-StartPortForwardingSessionToRemoteHost",
      ]
    }
  }

  dynamic "statement" {
    for_each = local.bastion ? [1] : []

    content {
      sid       = "EndItsOwnSessions"
      actions   = ["ssm:TerminateSession", "ssm:ResumeSession"]
      resources = ["arn:${local.partition}:ssm:${local.region}:${local.account}:session/$${aws:userid}-*"]
    }
  }
}

resource "aws_iam_role_policy" "deployer" {
  name   = "deploy"
  role   = aws_iam_role.deployer.id
  policy = data.aws_iam_policy_document.deployer.json
}

# --- the bastion (private API endpoints only) -------------------------------------------

# Amazon Linux 2023 comes with the SSM agent; the public parameter names its latest AMI.
data "aws_ssm_parameter" "al2023" {
  count = local.bastion ? 1 : 0
  name  = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
}

data "aws_iam_policy_document" "bastion_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "bastion" {
  count              = local.bastion ? 1 : 0
  name               = "${var.cluster_name}-bastion"
  assume_role_policy = data.aws_iam_policy_document.bastion_trust.json
}

resource "aws_iam_role_policy_attachment" "bastion" {
  count      = local.bastion ? 1 : 0
  role       = aws_iam_role.bastion[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "bastion" {
  count = local.bastion ? 1 : 0
  name  = "${var.cluster_name}-bastion"
  role  = aws_iam_role.bastion[0].name
}

resource "aws_security_group" "bastion" {
  count       = local.bastion ? 1 : 0
  name        = "${var.cluster_name}-bastion"
  description = "SSM bastion: no inbound; HTTPS out to SSM and the cluster API"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "bastion_https" {
  # checkov:skip=CKV_AWS_382: SSM's endpoints are public AWS addresses reached through the NAT; only 443 is open.
  count             = local.bastion ? 1 : 0
  security_group_id = aws_security_group.bastion[0].id
  description       = "HTTPS to SSM and the EKS API"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

# The private endpoint answers only security groups that the cluster's admits.
resource "aws_vpc_security_group_ingress_rule" "api_from_bastion" {
  count                        = local.bastion ? 1 : 0
  security_group_id            = var.cluster_security_group_id
  description                  = "Kubernetes API from the deploy bastion"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.bastion[0].id
}

resource "aws_instance" "bastion" {
  # checkov:skip=CKV_AWS_126: it only carries a port forward; 1-minute metrics would cost more than they tell (basic monitoring stays on).
  count                       = local.bastion ? 1 : 0
  ami                         = data.aws_ssm_parameter.al2023[0].value
  instance_type               = var.bastion_instance_type
  subnet_id                   = var.bastion_subnet_id
  vpc_security_group_ids      = [aws_security_group.bastion[0].id]
  iam_instance_profile        = aws_iam_instance_profile.bastion[0].name
  associate_public_ip_address = false
  ebs_optimized               = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 8
    encrypted   = true
  }

  tags = { Name = "${var.cluster_name}-bastion" }

  # A newer AMI is taken when the instance is replaced on purpose, not on every plan.
  lifecycle {
    ignore_changes = [ami]
  }
}
