"""Every kustomization renders, and every object is valid for a pinned Kubernetes version."""

from collections import Counter

import kubernetes_validate
import pytest

from hostcluster.tests.pins import versions
from k8s.tests.manifests import KUSTOMIZATIONS, render
from terraform.tests.pins import eks_kubernetes_version

# The cluster version the manifests target (kind's node image in k8s/kind/kind-config.yaml).
KUBERNETES_VERSION = "1.37.0"


# What else runs them: EKS at the default of terraform/modules/eks, and the host cluster.
EKS_VERSION = f"{eks_kubernetes_version()}.0"
HOSTCLUSTER_VERSION = "{}.{}.0".format(*versions()["K8S_VERSION"].lstrip("v").split(".")[:2])
# Each kustomization with the clusters it is applied to, beyond kind's.
ALSO_RUNS_ON = {
    "prod": EKS_VERSION,
    "cluster-autoscaler": EKS_VERSION,
    "traefik": EKS_VERSION,
    "hostcluster": HOSTCLUSTER_VERSION,
    "coredns": HOSTCLUSTER_VERSION,
    "metrics-server": HOSTCLUSTER_VERSION,
}

# Custom resources have no schema in kubernetes-validate: their CRDs come from the Gateway API
# release and the External Secrets Operator at apply time. test_consistency checks their
# references; these are the only kinds allowed to skip the strict schema.
CUSTOM_KINDS = {
    ("gateway.networking.k8s.io/v1", "GatewayClass"),
    ("gateway.networking.k8s.io/v1", "Gateway"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("external-secrets.io/v1", "ExternalSecret"),
    ("external-secrets.io/v1", "SecretStore"),
}


def test_kind_config_pins_the_same_kubernetes_version() -> None:
    config = (KUSTOMIZATIONS["kind"].parents[1] / "kind" / "kind-config.yaml").read_text()
    assert f"kindest/node:v{KUBERNETES_VERSION}@sha256:" in config


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_renders_without_duplicates(name: str) -> None:
    objs = render(name)
    assert objs, f"{name} renders nothing"
    keys = Counter(
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objs
    )
    assert [k for k, n in keys.items() if n > 1] == []


@pytest.mark.parametrize(
    ("name", "version"),
    [(n, KUBERNETES_VERSION) for n in sorted(KUSTOMIZATIONS)] + sorted(ALSO_RUNS_ON.items()),
)
def test_every_object_is_valid_against_the_strict_schema(name: str, version: str) -> None:
    errors = []
    for obj in render(name):
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{obj['kind']}/{obj['metadata']['name']} {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(exc.message)
    assert errors == []


def test_the_strict_schema_catches_a_typo() -> None:
    # Guards the test above: strict mode must reject a field the API does not know.
    deployment = next(o for o in render("kind") if o["kind"] == "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
