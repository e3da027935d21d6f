"""The e2e suite runs against any conformant cluster: the kubeconfig context KUBE_CONTEXT
(default: the current one) with the platform deployed, reached through INGRESS_URL (and
GATEWAY_URL for the Gateway API route). `make kind-up` and `make hostcluster-up` provide them;
without a reachable cluster every test here skips with one reason.

E2E_REQUIRED=1 (set by hostcluster-up, and by CI once a cluster is up) turns every skip into a
failure, except for the components a cluster declares absent in E2E_ABSENT (comma-separated,
e.g. `grafana` on the host cluster): a test of one of those skips, saying why."""

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from registry import names
from tests.e2e.cluster import NAMESPACE, REPO, Target, absent_components


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "component(name): the test needs that platform component")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    absent = absent_components()
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)
        for marker in item.iter_markers("component"):
            (name,) = marker.args
            if name in absent:
                item.add_marker(
                    pytest.mark.skip(reason=f"E2E_ABSENT: this cluster is deployed without {name}")
                )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under E2E_REQUIRED, a skip that the cluster did not declare is a failure."""
    report = yield
    if report.skipped and os.environ.get("E2E_REQUIRED") == "1" and not _declared_absent(item):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"E2E_REQUIRED=1, but the test skipped: {reason}"
    return report


def _declared_absent(item: pytest.Item) -> bool:
    absent = absent_components()
    return any(m.args[0] in absent for m in item.iter_markers("component"))


@pytest.fixture(scope="session")
def target() -> Target:
    return Target.from_env()


@pytest.fixture(scope="session")
def api_client(target: Target) -> client.ApiClient:
    try:
        config.load_kube_config(context=target.context)
    except (config.ConfigException, FileNotFoundError) as exc:
        pytest.skip(f"no Kubernetes cluster: {exc} (run `make kind-up`, or set KUBE_CONTEXT)")
    api = client.ApiClient()
    try:
        client.CoreV1Api(api).read_namespace(NAMESPACE, _request_timeout=5)
    except ApiException as exc:
        if exc.status == 404:
            pytest.skip(
                f"namespace {NAMESPACE} not found: the platform is not deployed (make kind-up)"
            )
        raise
    except (HTTPError, OSError) as exc:
        pytest.skip(f"no Kubernetes cluster reachable ({type(exc).__name__}); run `make kind-up`")
    return api


@pytest.fixture(autouse=True)
def _needs_cluster(api_client: client.ApiClient) -> None:
    """Every e2e test, even one that only speaks HTTP, skips without the deployed platform."""


@pytest.fixture(scope="session")
def core(api_client: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="session")
def apps(api_client: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api_client)


@pytest.fixture(scope="session")
def autoscaling(api_client: client.ApiClient) -> client.AutoscalingV2Api:
    return client.AutoscalingV2Api(api_client)


@pytest.fixture(scope="session")
def custom(api_client: client.ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api_client)


TEST_CLIENT_SECRET = "mlops-test-client"


def secret_value(core: client.CoreV1Api, name: str, key: str) -> str:
    data = core.read_namespaced_secret(name, NAMESPACE).data or {}
    return base64.b64decode(data.get(key, "")).decode()


@pytest.fixture(scope="session")
def api_headers(core: client.CoreV1Api) -> dict[str, str]:
    """The X-API-Key of the client `e2e` that scripts/cluster-keys.sh gave the cluster."""
    return {"X-API-Key": secret_value(core, TEST_CLIENT_SECRET, "API_KEY")}


@pytest.fixture(scope="session")
def report() -> Iterator[dict[str, Any]]:
    """Figures the tests record; written as JSON when the session ends (E2E_REPORT)."""
    figures: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "services": list(names()),
    }
    yield figures
    path = Path(os.environ.get("E2E_REPORT", REPO / ".kind" / "e2e-report.json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"\ne2e report: {path}")
