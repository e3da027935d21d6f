"""The deploy role's rights on a live API server: what prod's deployer holds (EKS's namespaced
admin policy, emulated by a RoleBinding of Kubernetes' own `admin` role in the platform's
namespace, plus the group of k8s/addons/deployer-access) applies the whole platform, and is
refused everything cluster-wide and in other namespaces."""

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.cluster import NAMESPACE, REPO, Target, kubectl

USER, GROUP = "e2e-deployer", "platform-deployers"
ADMIN_BINDING = "e2e-deployer-admin"


def _run(target: Target, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*kubectl(target), *args], input=stdin, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def _as_deployer(
    target: Target, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return _run(target, *args, "--as", USER, "--as-group", GROUP, stdin=stdin)


@pytest.fixture
def deployer(target: Target) -> Iterator[None]:
    """The deployer's rights in the cluster for the test, removed after it."""
    addon = str(REPO / "k8s" / "addons" / "deployer-access")
    done = _run(target, "apply", "-k", addon)
    assert done.returncode == 0, done.stderr
    binding = _run(
        target, "-n", NAMESPACE, "create", "rolebinding", ADMIN_BINDING, "--clusterrole=admin",
        f"--user={USER}",
    )  # fmt: skip
    assert binding.returncode == 0, binding.stderr
    try:
        yield
    finally:
        _run(target, "-n", NAMESPACE, "delete", "rolebinding", ADMIN_BINDING, "--ignore-not-found")
        _run(target, "delete", "-k", addon, "--ignore-not-found")


def test_the_deployer_applies_the_platform_and_nothing_beyond_it(
    target: Target, deployer: None, report: dict[str, Any]
) -> None:
    overlay = REPO / "k8s" / "overlays" / "kind"
    rendered = _run(target, "kustomize", str(overlay))
    assert rendered.returncode == 0, rendered.stderr
    applied = _as_deployer(target, "apply", "--dry-run=server", "-f", "-", stdin=rendered.stdout)
    assert applied.returncode == 0, applied.stderr[-3000:]
    objects = [line for line in applied.stdout.splitlines() if line.strip()]
    # What it may not do: anything cluster-wide but its Namespace, other namespaces' Secrets.
    refused = {
        "create clusterrolebindings": ["create", "clusterrolebindings"],
        "create clusterroles": ["create", "clusterroles"],
        "create namespaces": ["create", "namespaces"],
        f"delete namespace {NAMESPACE}": ["delete", f"namespace/{NAMESPACE}"],
        "patch namespace kube-system": ["patch", "namespace/kube-system"],
        "create customresourcedefinitions": ["create", "customresourcedefinitions"],
        "get secrets in kube-system": ["get", "secrets", "-n", "kube-system"],
        "get secrets in traefik": ["get", "secrets", "-n", "traefik"],
        "create deployments in traefik": ["create", "deployments", "-n", "traefik"],
        "patch storageclass standard": ["patch", "storageclass/standard"],
    }
    allowed = {
        name: _as_deployer(target, "auth", "can-i", *args).stdout.strip()
        for name, args in refused.items()
    }
    assert {name: answer for name, answer in allowed.items() if answer != "no"} == {}
    own = _as_deployer(
        target, "auth", "can-i", "create", "deployments", "-n", NAMESPACE
    ).stdout.strip()
    assert own == "yes"
    report["deployer_access"] = {
        "objects_applied_server_dry_run": len(objects),
        "refused_checks": len(refused),
        "failures": 0,
    }
