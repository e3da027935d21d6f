"""The deployed platform: workloads healthy, routes right, monitoring wired."""

import subprocess
from typing import Any

import pytest
from kubernetes import client

from registry import names
from registry.services import platform
from servicekit.definition import load_definition
from tests.e2e.cluster import (
    METRICS_PORT,
    NAMESPACE,
    Target,
    absent_components,
    http,
    kubectl,
    port_forward,
    wait_for,
)
from tests.e2e.conftest import secret_value

SERVICES = names()
DEPLOYMENTS = (*SERVICES, "prometheus", "grafana")
SETTLE_SECONDS = 180


def test_every_deployment_is_available(apps: client.AppsV1Api) -> None:
    absent = absent_components()
    present = {d.metadata.name for d in apps.list_namespaced_deployment(NAMESPACE).items}
    for name in absent & set(DEPLOYMENTS):
        assert name not in present, f"{name} is declared absent (E2E_ABSENT) but deployed"
    for name in (d for d in DEPLOYMENTS if d not in absent):
        # An earlier test's load may have just scaled a service out: its new pod gets the time
        # a pod needs to start (SETTLE_SECONDS); one that never becomes available fails here.
        def settled(name: str = name) -> bool:
            d = apps.read_namespaced_deployment(name, NAMESPACE)
            return (d.status.available_replicas or 0) == (d.spec.replicas or 0) and (
                d.status.observed_generation == d.metadata.generation
            )

        wait_for(settled, SETTLE_SECONDS, f"{name} to have every replica available")
        assert (apps.read_namespaced_deployment(name, NAMESPACE).spec.replicas or 0) >= 1, name


def test_every_pod_is_ready_without_restarts(
    core: client.CoreV1Api, report: dict[str, Any]
) -> None:
    def staying() -> list[Any]:  # pods leaving after a scale-down are not part of the set
        return [
            p
            for p in core.list_namespaced_pod(NAMESPACE).items
            if not p.metadata.deletion_timestamp
        ]

    def all_ready() -> bool:
        return all(
            next(c for c in p.status.conditions or [] if c.type == "Ready").status == "True"
            for p in staying()
            if p.status.conditions
        )

    # As above: a pod an earlier load added may still be starting.
    wait_for(all_ready, SETTLE_SECONDS, "every pod to be ready")
    pods = staying()
    assert pods
    time_to_ready: dict[str, float] = {}
    for pod in pods:
        name = pod.metadata.name
        ready = next(c for c in pod.status.conditions if c.type == "Ready")
        assert ready.status == "True", f"{name} not ready: {ready.message}"
        for status in pod.status.container_statuses:
            assert status.restart_count == 0, (
                f"{name}/{status.name} restarted {status.restart_count}x"
            )
        app = pod.metadata.labels.get("app.kubernetes.io/name", name)
        seconds = (ready.last_transition_time - pod.metadata.creation_timestamp).total_seconds()
        time_to_ready[app] = max(time_to_ready.get(app, 0.0), seconds)
    report["time_to_ready_seconds"] = time_to_ready


def _routes(target: Target) -> list[tuple[str, str]]:
    routes = [("ingress", target.ingress_url)]
    if target.gateway_url:
        routes.append(("gateway", target.gateway_url))
    return routes


@pytest.mark.parametrize("service", SERVICES)
def test_each_prefix_reaches_its_service(
    target: Target, service: str, api_headers: dict[str, str]
) -> None:
    definition = load_definition(service)
    with http() as web:
        for via, base in _routes(target):
            url = f"{base}/{service}"
            assert web.get(f"{url}/health").json() == {"status": "ok"}, via
            assert web.get(f"{url}/ready").json()["status"] == "ready", via
            schema = web.get(f"{url}/openapi.json").json()
            assert schema["info"]["title"] == definition.title, via
            model = web.get(f"{url}/model", headers=api_headers).json()
            body = dict(definition.examples[0])
            predicted = web.post(f"{url}/predict", json=body, headers=api_headers)
            assert predicted.status_code == 200, f"{via}: {predicted.text}"
            assert predicted.json()["model_version"] == model["model_version"], via
            # The keys file reached the pods: without its key, no prediction and no model.
            assert web.post(f"{url}/predict", json=body).status_code == 401, via
            assert web.get(f"{url}/model").status_code == 401, via
            # The metrics are on the pods' METRICS_PORT, which no route reaches, key or not.
            assert web.get(f"{url}/metrics", headers=api_headers).status_code == 404, via


def test_unknown_paths_get_404_from_the_gateway(target: Target) -> None:
    """Every API response carries X-Request-ID; a 404 without it came from Traefik, so a
    prefix that merely starts like a service's (its name and a letter, or a suffix after a
    dash) never reaches that service."""
    first, last = SERVICES[0], SERVICES[-1]
    with http() as web:
        for via, base in _routes(target):
            assert "x-request-id" in web.get(f"{base}/{first}/health").headers, via
            for path in ("/", "/nope", f"/{first}x/health", f"/{last}-v2/ready"):
                response = web.get(f"{base}{path}")
                assert response.status_code == 404, f"{via} {path}"
                assert "x-request-id" not in response.headers, f"{via} {path} reached an API"


def _running_pod(core: client.CoreV1Api, app: str) -> Any:
    return next(
        p
        for p in core.list_namespaced_pod(
            NAMESPACE, label_selector=f"app.kubernetes.io/name={app}"
        ).items
        if p.status.phase == "Running" and not p.metadata.deletion_timestamp
    )


def _python_in(target: Target, pod: Any, code: str) -> subprocess.CompletedProcess[str]:
    """Run Python in an API pod (its image has nothing else): what the pod itself can do."""
    return subprocess.run(
        [*kubectl(target), "-n", NAMESPACE, "exec", pod.metadata.name, "-c", "api", "--",
         "python", "-c", code],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_cluster_dns_resolves_a_service_from_an_api_pod(
    target: Target, core: client.CoreV1Api
) -> None:
    """kube-dns answers inside the namespace, through the allow-dns NetworkPolicy."""
    service = core.read_namespaced_service("prometheus", NAMESPACE)
    name = f"prometheus.{NAMESPACE}.svc.cluster.local"
    done = _python_in(
        target,
        _running_pod(core, SERVICES[0]),
        f"import socket; print(socket.gethostbyname({name!r}))",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == service.spec.cluster_ip


def test_network_policies_are_enforced(target: Target, core: client.CoreV1Api) -> None:
    """default-deny-all: an API pod can open no connection to another API, neither to its API
    port nor to its metrics port, while the ingress controller reaches the first (the routing
    tests) and Prometheus the second (the scrape test)."""
    other = _running_pod(core, SERVICES[-1])
    for port in (8000, METRICS_PORT):
        code = (
            "import socket, sys\n"
            "try:\n"
            f"    socket.create_connection(({other.status.pod_ip!r}, {port}), timeout=5)\n"
            "except OSError as exc:\n"
            "    sys.exit(f'blocked: {exc}')\n"
            "print('connected')"
        )
        done = _python_in(target, _running_pod(core, SERVICES[0]), code)
        assert done.returncode == 1 and "blocked" in done.stderr, (port, done.stdout + done.stderr)


@pytest.mark.parametrize(
    ("namespace", "policy"), [(NAMESPACE, "prometheus-egress"), ("traefik", "traefik-egress")]
)
def test_prometheus_and_traefik_may_reach_the_api_server_at_its_own_addresses_only(
    core: client.CoreV1Api, api_client: client.ApiClient, namespace: str, policy: str
) -> None:
    """The overlays' egress rules for the API server name exactly the `kubernetes` Service's
    cluster IP and its endpoints (scripts/kind/apiserver-addresses.sh), no wider block, and
    discovery and routing work through them (the scrape and routing tests). On the host
    cluster the rule is not what lets them through: kube-router does not filter a pod's
    traffic to its own node, where the API server runs as a host process (with Prometheus'
    rule set to match nothing, discovery still worked); it binds where the engine filters
    traffic to nodes."""
    service = core.read_namespaced_service("kubernetes", "default").spec.cluster_ip
    slices = client.DiscoveryV1Api(api_client).list_namespaced_endpoint_slice(
        "default", label_selector="kubernetes.io/service-name=kubernetes"
    )
    endpoints = {
        e.addresses[0] for s in slices.items if s.address_type == "IPv4" for e in s.endpoints
    }
    applied = client.NetworkingV1Api(api_client).read_namespaced_network_policy(policy, namespace)
    blocks = {peer.ip_block.cidr for rule in applied.spec.egress for peer in rule.to or []
              if peer.ip_block}  # fmt: skip
    assert blocks == {f"{address}/32" for address in {service, *endpoints}}


def test_httproute_is_accepted_by_the_gateway(
    target: Target, custom: client.CustomObjectsApi
) -> None:
    if not target.gateway_url:
        pytest.skip("GATEWAY_URL not set: no Gateway API route to check")
    route = custom.get_namespaced_custom_object(
        "gateway.networking.k8s.io", "v1", NAMESPACE, "httproutes", platform().project
    )
    (parent,) = route["status"]["parents"]
    conditions = {c["type"]: c["status"] for c in parent["conditions"]}
    assert conditions.get("Accepted") == "True", parent
    assert conditions.get("ResolvedRefs") == "True", parent


def test_prometheus_scrapes_every_replica_and_every_rule_is_healthy(
    target: Target, core: client.CoreV1Api
) -> None:
    """Every ready API pod is a target and up (not one per service), and every rule of every
    group has been evaluated without error."""
    with port_forward(target, "prometheus", 9090) as url, http() as web:
        state: dict[str, object] = {}

        def every_replica_up() -> bool:
            pods = {
                p.status.pod_ip: (s, p.metadata.name)
                for s in SERVICES
                for p in core.list_namespaced_pod(
                    NAMESPACE, label_selector=f"app.kubernetes.io/name={s}"
                ).items
                if p.status.pod_ip
                and not p.metadata.deletion_timestamp
                and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions)
            }
            targets = web.get(f"{url}/api/v1/targets", params={"state": "active"}).json()
            scraped = {
                t["labels"]["instance"].rsplit(":", 1)[0]: t
                for t in targets["data"]["activeTargets"]
                if t["labels"].get("job") == "mlops-services"
            }
            # Each ready pod up, under its own service and pod name (what the rules group by).
            # Pods on their way out may linger as down targets until discovery drops them.
            wrong = [
                (ip, t["health"], t["labels"].get("service"), t["labels"].get("pod"))
                for ip, t in scraped.items()
                if ip in pods and (t["health"] != "up" or (
                    t["labels"].get("service"), t["labels"].get("pod")) != pods[ip])
            ]  # fmt: skip
            state.update(pods=sorted(pods), scraped=sorted(scraped), wrong=wrong)
            return bool(pods) and pods.keys() <= scraped.keys() and not wrong

        try:
            wait_for(every_replica_up, 120, "Prometheus to scrape every ready API pod")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {state}") from None

        def every_rule_ok() -> bool:
            groups = web.get(f"{url}/api/v1/rules").json()["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            state.update(groups=len(groups), bad=[
                (r["name"], r["health"], r.get("lastError")) for r in rules if r["health"] != "ok"
            ])  # fmt: skip
            return bool(groups) and all(g["rules"] for g in groups) and not state["bad"]

        try:
            wait_for(every_rule_ok, 120, "every rule to be evaluated without error")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {state}") from None


@pytest.mark.component("grafana")
def test_grafana_is_healthy_and_its_datasource_works(
    target: Target, core: client.CoreV1Api
) -> None:
    user = secret_value(core, "grafana-admin", "admin-user")
    password = secret_value(core, "grafana-admin", "admin-password")
    with port_forward(target, "grafana", 3000) as url, http() as web:
        health = web.get(f"{url}/api/health").json()
        assert health["database"] == "ok"
        checked = web.get(f"{url}/api/datasources/uid/prometheus/health", auth=(user, password))
        assert checked.status_code == 200, checked.text
        assert checked.json()["status"] == "OK"
        found = web.get(f"{url}/api/search", params={"type": "dash-db"}, auth=(user, password))
        assert len(found.json()) >= 4, "the four provisioned dashboards"


def _traefik_may(
    api_client: client.ApiClient, verb: str, resource: str, namespace: str | None, group: str = ""
) -> bool:
    """What the API server's authorizer answers for Traefik's service account (no namespace:
    across the whole cluster). `resource` may name a subresource: ingresses/status."""
    name, _, subresource = resource.partition("/")
    attributes = client.V1ResourceAttributes(
        verb=verb, resource=name, subresource=subresource or None, group=group, namespace=namespace
    )
    review = client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(
            user="system:serviceaccount:traefik:traefik",
            groups=["system:serviceaccounts", "system:serviceaccounts:traefik"],
            resource_attributes=attributes,
        )
    )
    done = client.AuthorizationV1Api(api_client).create_subject_access_review(review)
    return bool(done.status.allowed)


def test_the_ingress_controller_runs_two_replicas_within_its_namespaced_rights(
    apps: client.AppsV1Api, api_client: client.ApiClient
) -> None:
    """Both Traefik replicas are available (the routing tests pass through them), and the
    cluster's authorizer lets Traefik read Secrets and routes in its own namespace and the
    platform's, and nowhere else."""
    deployment = apps.read_namespaced_deployment("traefik", "traefik")
    assert deployment.spec.replicas >= 2
    assert deployment.status.available_replicas == deployment.spec.replicas
    gateway_api = "gateway.networking.k8s.io"
    for namespace in (NAMESPACE, "traefik"):
        assert _traefik_may(api_client, "list", "secrets", namespace), namespace
        assert _traefik_may(api_client, "watch", "httproutes", namespace, gateway_api)
        assert _traefik_may(
            api_client, "update", "ingresses/status", namespace, "networking.k8s.io"
        )
    for namespace in ("kube-system", "default", None):
        assert not _traefik_may(api_client, "list", "secrets", namespace), namespace
        assert not _traefik_may(api_client, "list", "services", namespace), namespace
        assert not _traefik_may(api_client, "list", "httproutes", namespace, gateway_api)
    assert _traefik_may(api_client, "list", "gatewayclasses", None, gateway_api)
