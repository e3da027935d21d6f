"""The cluster autoscaler add-on agrees with the Terraform that it runs against: the service
account its IAM role trusts, the cluster's Kubernetes version, the node pools' names and
labels, and the Auto Scaling group tags that EKS sets."""

import re

import yaml

from k8s.tests.manifests import REPO, Obj, one, pod_spec, render
from terraform.tests.pins import eks_kubernetes_version

TERRAFORM = REPO / "terraform" / "modules"


def _deployment() -> Obj:
    return one(render("cluster-autoscaler"), "Deployment", "cluster-autoscaler")


def _env() -> dict[str, str]:
    (config,) = [o for o in render("cluster-autoscaler") if o["kind"] == "ConfigMap"
                 and o["metadata"]["name"].startswith("cluster-autoscaler-env")]  # fmt: skip
    return config["data"]  # type: ignore[no-any-return]


def test_it_runs_as_the_service_account_that_its_iam_role_trusts() -> None:
    roles = (TERRAFORM / "addon_roles" / "main.tf").read_text()
    (line,) = re.findall(r"^\s*cluster-autoscaler\s*=\s*\{(.*)\}$", roles, re.M)
    assert 'namespace = "kube-system"' in line and 'service_account = "cluster-autoscaler"' in line
    spec = pod_spec(_deployment())
    assert _deployment()["metadata"]["namespace"] == "kube-system"
    assert spec["serviceAccountName"] == "cluster-autoscaler"


def test_its_minor_version_is_the_clusters() -> None:
    default = eks_kubernetes_version()
    (container,) = pod_spec(_deployment())["containers"]
    tag = container["image"].rsplit(":", 1)[1]
    assert re.fullmatch(rf"v{re.escape(default)}\.\d+", tag), (tag, default)


def test_it_discovers_the_groups_eks_tags_for_this_cluster() -> None:
    (container,) = pod_spec(_deployment())["containers"]
    env = _env()
    discovery = next(
        a for a in container["command"] if a.startswith("--node-group-auto-discovery=")
    )
    assert discovery.endswith(
        "asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/$(CLUSTER_NAME)"
    )
    assert re.fullmatch(r"[a-z][a-z0-9-]{1,38}", env["CLUSTER_NAME"])
    assert re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", env["AWS_REGION"]), "no metadata service to ask"
    # The IAM policy lets it scale only groups carrying the same per-cluster tag.
    roles = (TERRAFORM / "addon_roles" / "main.tf").read_text()
    assert "aws:ResourceTag/k8s.io/cluster-autoscaler/${var.cluster_name}" in roles


def test_scale_out_prefers_the_spot_pool_and_it_stays_off_it() -> None:
    eks = (TERRAFORM / "eks" / "main.tf").read_text()
    pools = dict(
        re.findall(r'^\s*(\w+) = merge\(var\.\w+_node_group, \{ capacity_type = "(\w+)"', eks, re.M)
    )
    assert pools == {"system": "ON_DEMAND", "spot": "SPOT"}
    expander = one(
        render("cluster-autoscaler"), "ConfigMap", "cluster-autoscaler-priority-expander"
    )
    priorities = yaml.safe_load(expander["data"]["priorities"])
    best = priorities[max(priorities)]
    assert best == ["^eks-spot-.*"], "EKS names a node group's Auto Scaling group eks-<name>-<id>"
    (container,) = pod_spec(_deployment())["containers"]
    assert "--expander=priority,least-waste" in container["command"]
    assert pod_spec(_deployment())["nodeSelector"]["node.mlops/pool"] == "system"
    assert '"node.mlops/pool" = "system"' in eks
