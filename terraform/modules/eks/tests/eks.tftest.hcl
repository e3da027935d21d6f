mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  cluster_name = "mlops-test"
  subnet_ids   = ["subnet-1", "subnet-2"]
  tags         = { env = "dev", project = "mlops" }
}

run "on_demand_system_pool_and_spot_pool_that_scales_to_zero" {
  command = plan

  assert {
    condition     = aws_eks_node_group.this["system"].capacity_type == "ON_DEMAND" && aws_eks_node_group.this["system"].scaling_config[0].min_size >= 1
    error_message = "The system pool is on-demand with at least one node."
  }
  assert {
    condition     = aws_eks_node_group.this["spot"].capacity_type == "SPOT" && aws_eks_node_group.this["spot"].scaling_config[0].min_size == 0
    error_message = "The spot pool must be able to scale to zero."
  }
  assert {
    condition     = length(aws_eks_node_group.this["spot"].instance_types) >= 2
    error_message = "Spot capacity should span several instance types."
  }
}

run "secrets_encrypted_logs_on_private_api_by_default" {
  command = plan

  assert {
    condition     = one(aws_eks_cluster.this.encryption_config).resources == toset(["secrets"]) && aws_kms_key.secrets.enable_key_rotation
    error_message = "Kubernetes secrets must be envelope-encrypted with a rotating KMS key."
  }
  assert {
    condition     = contains(aws_eks_cluster.this.enabled_cluster_log_types, "audit")
    error_message = "Audit logs must be enabled."
  }
  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access == false
    error_message = "Without allowed CIDRs the API endpoint is private."
  }
}

run "public_endpoint_only_for_the_given_cidrs" {
  command = plan

  variables {
    endpoint_public_access_cidrs = ["203.0.113.0/24"]
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access && aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.0/24"])
    error_message = "The public endpoint must be limited to the given CIDRs."
  }
}

run "spot_pool_can_be_disabled" {
  command = plan

  variables {
    spot_node_group = { enabled = false }
  }

  assert {
    condition     = keys(aws_eks_node_group.this) == ["system"]
    error_message = "Only the system pool remains."
  }
}

run "rejects_a_system_pool_of_zero" {
  command = plan

  variables {
    system_node_group = { min_size = 0 }
  }

  expect_failures = [var.system_node_group]
}

run "rejects_an_unsupported_kubernetes_version" {
  command = plan

  variables {
    kubernetes_version = "1.34" # left standard support on 2026-12-02
  }

  expect_failures = [var.kubernetes_version]
}

run "addons_the_manifests_need_with_a_pod_identity_for_the_csi_driver" {
  command = plan

  assert {
    condition     = alltrue([for a in ["aws-ebs-csi-driver", "metrics-server", "eks-pod-identity-agent", "coredns"] : contains(output.addons, a)])
    error_message = "The EBS CSI driver (gp3 claims), metrics-server (HPAs) and the Pod Identity agent must be installed."
  }
  assert {
    condition     = one(aws_eks_addon.this["aws-ebs-csi-driver"].pod_identity_association).service_account == "ebs-csi-controller-sa"
    error_message = "The CSI controller's service account gets the EBS role through Pod Identity."
  }
  assert {
    condition     = jsondecode(aws_eks_addon.before_nodes["vpc-cni"].configuration_values).enableNetworkPolicy == "true"
    error_message = "The VPC CNI must enforce NetworkPolicies."
  }
  assert {
    condition     = length(aws_eks_addon.this["coredns"].pod_identity_association) == 0 && length(aws_eks_addon.before_nodes["kube-proxy"].pod_identity_association) == 0
    error_message = "Only the CSI driver and the VPC CNI need IAM roles."
  }
  assert {
    condition     = keys(aws_eks_addon.before_nodes) == ["eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    error_message = "What a node needs to become Ready (the CNI, kube-proxy, the Pod Identity agent) is installed before the node groups."
  }
}

run "the_vpc_cni_has_its_own_role_and_the_nodes_do_not" {
  command = plan

  assert {
    condition     = one(aws_eks_addon.before_nodes["vpc-cni"].pod_identity_association).service_account == "aws-node"
    error_message = "aws-node gets the VPC CNI's permissions through Pod Identity."
  }
  assert {
    condition     = aws_iam_role_policy_attachment.addon["vpc-cni"].policy_arn == "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
    error_message = "The CNI policy is on aws-node's own role."
  }
  assert {
    condition     = !anytrue([for a in aws_iam_role_policy_attachment.node : endswith(a.policy_arn, "/AmazonEKS_CNI_Policy")])
    error_message = "The node role must not carry the CNI policy: any pod that reached the node's credentials could change the VPC's interfaces."
  }
}

run "only_this_clusters_pod_identity_agent_for_one_service_account_may_assume_an_add_on_role" {
  command = plan

  assert {
    condition = alltrue([
      for name, doc in data.aws_iam_policy_document.addon_trust : (
        one(doc.statement[0].principals).identifiers == toset(["pods.eks.amazonaws.com"]) &&
        { for c in doc.statement[0].condition : c.variable => join(",", c.values) } == {
          "aws:SourceAccount"                         = "111122223333"
          "aws:SourceArn"                             = "arn:aws:eks:eu-west-1:111122223333:cluster/mlops-test"
          "aws:RequestTag/kubernetes-namespace"       = "kube-system"
          "aws:RequestTag/kubernetes-service-account" = name == "ebs-csi" ? "ebs-csi-controller-sa" : "aws-node"
        }
      )
    ])
    error_message = "Each add-on role trusts Pod Identity for this account, this cluster and its one service account."
  }
}

run "standard_support_only" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.version == "1.35" && one(aws_eks_cluster.this.upgrade_policy).support_type == "STANDARD"
    error_message = "The default version is in standard support, and the cluster must never slide into paid extended support."
  }
}

run "nodes_instances_and_volumes_carry_the_cost_tags" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for pool, template in aws_launch_template.node : [
        for spec in template.tag_specifications :
        spec.tags == tomap({ env = "dev", project = "mlops", Name = "mlops-test-${pool}" })
      ]
    ]))
    error_message = "Every pool tags its instances, volumes and network interfaces with the given tags."
  }
  assert {
    condition     = alltrue([for t in aws_launch_template.node : toset([for s in t.tag_specifications : s.resource_type]) == toset(["instance", "volume", "network-interface"])])
    error_message = "Instances, volumes and network interfaces must all be tagged."
  }
  assert {
    condition     = alltrue([for p, g in aws_eks_node_group.this : one(g.launch_template).name == "mlops-test-${p}"])
    error_message = "Every node group must launch from its pool's template."
  }
  assert {
    condition     = alltrue([for t in aws_launch_template.node : one(t.metadata_options).http_tokens == "required" && one(one(t.block_device_mappings).ebs).encrypted == "true"])
    error_message = "Nodes require IMDSv2 and encrypt their root volume."
  }
}

run "add_ons_get_their_roles_through_pod_identity" {
  command = plan

  variables {
    pod_identities = {
      cluster-autoscaler = { namespace = "kube-system", service_account = "cluster-autoscaler", role_arn = "arn:aws:iam::111122223333:role/ca" }
    }
  }

  assert {
    condition     = aws_eks_pod_identity_association.this["cluster-autoscaler"].service_account == "cluster-autoscaler" && aws_eks_pod_identity_association.this["cluster-autoscaler"].role_arn == "arn:aws:iam::111122223333:role/ca"
    error_message = "Each given service account is bound to its role."
  }
}

run "the_creator_keeps_no_access_and_cluster_admin_needs_mfa" {
  command = plan

  variables {
    access_entries = {
      deployer = { principal_arn = "arn:aws:iam::111122223333:role/deployer", policy = "AmazonEKSAdminPolicy", namespaces = ["mlops"], kubernetes_groups = ["platform-deployers"] }
    }
  }

  assert {
    condition     = one(aws_eks_cluster.this.access_config).bootstrap_cluster_creator_admin_permissions == false
    error_message = "Whoever creates the cluster must not stay cluster-admin."
  }
  assert {
    condition = (
      one(aws_eks_access_policy_association.this["deployer"].access_scope).type == "namespace" &&
      one(aws_eks_access_policy_association.this["deployer"].access_scope).namespaces == toset(["mlops"]) &&
      aws_eks_access_entry.this["deployer"].kubernetes_groups == toset(["platform-deployers"])
    )
    error_message = "A namespaced entry holds in its namespaces only, with its Kubernetes groups."
  }
  assert {
    condition     = aws_eks_access_policy_association.this["break-glass"].policy_arn == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" && one(aws_eks_access_policy_association.this["break-glass"].access_scope).type == "cluster"
    error_message = "The break-glass role is cluster-admin."
  }
  assert {
    condition = { for c in data.aws_iam_policy_document.break_glass_trust.statement[0].condition : c.variable => join(",", c.values) } == {
      "aws:MultiFactorAuthPresent" = "true"
      "aws:MultiFactorAuthAge"     = "3600"
    } && aws_iam_role.break_glass.max_session_duration == 3600
    error_message = "The break-glass role is assumed with MFA only, signed in within the hour, for an hour at most."
  }
}

run "only_the_break_glass_role_is_cluster_admin" {
  command = plan

  variables {
    access_entries = {
      ci = { principal_arn = "arn:aws:iam::111122223333:role/ci", policy = "AmazonEKSClusterAdminPolicy" }
    }
  }

  expect_failures = [var.access_entries]
}
