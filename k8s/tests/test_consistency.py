"""Cross-file checks on the rendered overlays: every name, label, port and path lines up."""

import ipaddress
import os
import re
import shutil
import subprocess
from typing import Any

import hcl2
import pytest
import yaml

from k8s.tests.manifests import (
    APP_OVERLAYS,
    REPO,
    SERVICES,
    Obj,
    containers,
    cpu_cores,
    env_references,
    generated,
    memory_bytes,
    named,
    one,
    pod_environment,
    pod_spec,
    render,
    render_dir,
    selects,
    workloads,
)
from monitoring.grafana import generate as dashboards
from registry import platform
from servicekit.api.app import create_app
from servicekit.definition import load_definition
from servicekit.settings import ServiceSettings

# Secrets that are deliberately not in git, and who creates them per overlay.
EXTERNAL_SECRETS = {
    "kind": {"grafana-admin": REPO / "scripts" / "kind" / "up.sh"},
    "prod": {},  # every prod Secret comes from an ExternalSecret (checked below)
}
COST_LABELS = ("project", "env", "owner")
PLATFORM = platform()


@pytest.fixture(params=APP_OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def objs(overlay: str) -> list[Obj]:
    return render(overlay)


def _pod_labels(obj: Obj) -> dict[str, str]:
    return obj["spec"]["template"]["metadata"]["labels"]  # type: ignore[no-any-return]


def _ports(obj: Obj) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for c in containers(pod_spec(obj)) for p in c["ports"]}


def test_the_manifests_exist() -> None:
    base = REPO / "k8s" / "base"
    for name in ("namespace", "storage"):
        assert (base / f"{name}.yaml").is_file()
    for name in ("prometheus", "grafana"):
        assert (base / f"{name}-deployment.yaml").is_file()
    # One generated file per service of services.toml, plus the routes, all listed.
    listed = yaml.safe_load((base / "services" / "kustomization.yaml").read_text())["resources"]
    assert listed == [*(f"{name}.yaml" for name in SERVICES), "routes.yaml"]
    for name in listed:
        assert (base / "services" / name).is_file(), name


def test_deployment_selectors_match_their_pods(objs: list[Obj]) -> None:
    for d in workloads(objs):
        assert selects(d["spec"]["selector"]["matchLabels"], _pod_labels(d)), d["metadata"]["name"]


def test_services_select_one_workload_and_target_its_ports(objs: list[Obj]) -> None:
    for name, svc in named(objs, "Service").items():
        owners = [d for d in workloads(objs) if selects(svc["spec"]["selector"], _pod_labels(d))]
        assert len(owners) == 1, f"Service {name} selects {len(owners)} workloads"
        ports = _ports(owners[0])
        for port in svc["spec"]["ports"]:
            target = port["targetPort"]
            assert target in ports or target in ports.values(), f"{name}: no port {target}"


def test_probes_use_declared_ports(objs: list[Obj]) -> None:
    for d in workloads(objs):
        for c in containers(pod_spec(d)):
            names = {p["name"] for p in c.get("ports", [])}
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                if kind in c:
                    assert c[kind]["httpGet"]["port"] in names, f"{d['metadata']['name']} {kind}"


@pytest.mark.parametrize("service", SERVICES)
def test_api_probes_exist_in_the_service_openapi(service: str) -> None:
    definition = load_definition(service)
    paths = create_app(definition, ServiceSettings(service_name=service, auth="open")).openapi()[
        "paths"
    ]
    api = one(render("kind"), "Deployment", service)
    (container,) = pod_spec(api)["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[kind]["httpGet"]["path"] in paths


@pytest.mark.parametrize("service", SERVICES)
def test_api_pods_match_the_image(service: str) -> None:
    # docker/Dockerfile: PORT=8000, USER 10001, models copied to /app/models/<service>/.
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    assert "PORT=8000" in dockerfile
    assert "USER 10001:10001" in dockerfile
    assert "/app/models/${SERVICE}/" in dockerfile
    objs = render("kind")
    api = one(objs, "Deployment", service)
    assert _ports(api) == {"http": 8000, "metrics": 9000}
    assert pod_spec(api)["securityContext"]["runAsUser"] == 10001
    env = pod_environment(objs, pod_spec(api))
    assert env["MODEL_PATH"] == f"/app/models/{service}/model.npz"
    assert env["METRICS_PORT"] == "9000"
    settings = set(ServiceSettings.model_fields)
    assert {k.lower() for k in env} <= settings, "a ConfigMap or Secret key no setting reads"


@pytest.mark.parametrize("overlay", ["kind", "prod"])
def test_api_pods_read_their_keys_from_the_mounted_secret(overlay: str) -> None:
    """Keys as a file, not environment: a changed Secret reaches a running pod (rotation
    without restarts), and a pod without the file does not start (AUTH=keys is the default)."""
    objs = render(overlay)
    for service in SERVICES:
        spec = pod_spec(one(objs, "Deployment", service))
        (container,) = spec["containers"]
        env = pod_environment(objs, spec)
        assert env.get("AUTH", "keys") == "keys", f"{overlay}: {service} runs without keys"
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == "api-keys"]
        (volume,) = [v for v in spec["volumes"] if v["name"] == "api-keys"]
        assert mount["readOnly"] is True
        assert env["API_KEYS_FILE"].startswith(mount["mountPath"] + "/")
        assert volume["secret"]["secretName"] == "mlops-secrets"
        assert not any("secretRef" in source for source in container.get("envFrom", []))
    docs = generated(objs, "ConfigMap", "mlops-config")["data"].get("DOCS", "true")
    assert docs == ("false" if overlay == "prod" else "true")


def test_graceful_termination_covers_prestop_and_drain(objs: list[Obj]) -> None:
    for service in SERVICES:
        spec = pod_spec(one(objs, "Deployment", service))
        (container,) = spec["containers"]
        sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        config = generated(objs, "ConfigMap", "mlops-config")["data"]
        drain = int(config["GRACEFUL_SHUTDOWN_SECONDS"])
        assert spec["terminationGracePeriodSeconds"] >= sleep + drain


def _prometheus_config(objs: list[Obj]) -> dict[str, Any]:
    config = generated(objs, "ConfigMap", "prometheus-config")["data"]["prometheus.yml"]
    return yaml.safe_load(config)  # type: ignore[no-any-return]


def test_hpas_own_the_replica_count(objs: list[Obj], overlay: str) -> None:
    hpas = named(objs, "HorizontalPodAutoscaler")
    assert set(hpas) == set(SERVICES)
    for name, hpa in hpas.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        deployment = one(objs, "Deployment", name)
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns replicas"
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        utilization = metric["resource"]["target"]["averageUtilization"]
        assert utilization == round(dashboards.HPA_CPU_TARGET * 100)
        behavior = hpa["spec"]["behavior"]
        assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 0
        window = behavior["scaleDown"]["stabilizationWindowSeconds"]
        assert window == (300 if overlay == "prod" else 30)


def test_each_api_pod_publishes_its_own_cpu_request(objs: list[Obj]) -> None:
    """The dashboards divide CPU use by pod_cpu_request_cores, which servicekit reads from
    CPU_REQUEST_MILLICORES: the downward API must feed it the request of that very container,
    in millicores, so every overlay's own request is what the panels show."""
    for service in SERVICES:
        (container,) = pod_spec(one(objs, "Deployment", service))["containers"]
        env = {e["name"]: e for e in container.get("env", [])}
        source = env["CPU_REQUEST_MILLICORES"]["valueFrom"]["resourceFieldRef"]
        assert source == {
            "containerName": container["name"],
            "resource": "requests.cpu",
            "divisor": "1m",
        }, service


def test_every_container_has_requests_within_limits(objs: list[Obj]) -> None:
    for d in workloads(objs):
        for c in containers(pod_spec(d)):
            res = c["resources"]
            for key, parse in (("cpu", cpu_cores), ("memory", memory_bytes)):
                request, limit = res["requests"][key], res["limits"][key]
                assert parse(request) <= parse(limit), f"{d['metadata']['name']} {key}"


def test_quota_fits_every_hpa_at_its_maximum(objs: list[Obj]) -> None:
    quota = one(objs, "ResourceQuota", "mlops-quota")["spec"]["hard"]
    cpu = memory = 0.0
    pods = 0
    for d in workloads(objs):
        name = d["metadata"]["name"]
        hpa = named(objs, "HorizontalPodAutoscaler").get(name)
        count = hpa["spec"]["maxReplicas"] + 1 if hpa else d["spec"].get("replicas", 1)  # +surge
        pods += count
        for c in containers(pod_spec(d)):
            cpu += count * cpu_cores(c["resources"]["requests"]["cpu"])
            memory += count * memory_bytes(c["resources"]["requests"]["memory"])
    assert pods <= int(quota["pods"])
    assert cpu <= cpu_cores(quota["requests.cpu"])
    assert memory <= memory_bytes(quota["requests.memory"])


def test_every_referenced_config_secret_and_claim_exists(objs: list[Obj], overlay: str) -> None:
    external = {
        es["spec"]["target"]["name"] for es in objs if es["kind"] == "ExternalSecret"
    } | set(EXTERNAL_SECRETS[overlay])
    for creator_name, creator in EXTERNAL_SECRETS[overlay].items():
        assert creator_name in creator.read_text(), f"{creator} does not create {creator_name}"
    for d in workloads(objs):
        for kind, name in env_references(pod_spec(d)):
            exists = name in named(objs, kind) or (kind == "Secret" and name in external)
            assert exists, f"{d['metadata']['name']} uses missing {kind}/{name}"


def test_every_claim_is_mounted_by_a_pod(objs: list[Obj]) -> None:
    used = {
        name
        for d in workloads(objs)
        for kind, name in env_references(pod_spec(d))
        if kind == "PersistentVolumeClaim"
    }
    assert set(named(objs, "PersistentVolumeClaim")) == used


def test_prod_secrets_come_only_from_external_secrets() -> None:
    objs = render("prod")
    assert named(objs, "Secret") == {}
    targets = {es["spec"]["target"]["name"] for es in objs if es["kind"] == "ExternalSecret"}
    assert targets == {"mlops-secrets", "grafana-admin"}


CLUSTER_SCOPED = {"Namespace", "StorageClass", "ClusterRole", "ClusterRoleBinding"}


def test_every_namespaced_object_is_in_the_platform_namespace(objs: list[Obj]) -> None:
    """An object without a namespace lands in whatever namespace the applying context has:
    a Secret there is one the pods never see."""
    astray = [
        f"{o['kind']}/{o['metadata']['name']}: {o['metadata'].get('namespace')}"
        for o in objs
        if o["kind"] not in CLUSTER_SCOPED and o["metadata"].get("namespace") != PLATFORM.namespace
    ]
    assert astray == []


def test_prod_reads_secrets_through_a_store_of_its_own_namespace() -> None:
    """A ClusterSecretStore serves ExternalSecrets of every namespace; the platform's store is
    a SecretStore in its own, which the overlay defines."""
    objs = render("prod")
    stores = named(objs, "SecretStore")
    refs = {(es["spec"]["secretStoreRef"]["kind"], es["spec"]["secretStoreRef"]["name"])
            for es in objs if es["kind"] == "ExternalSecret"}  # fmt: skip
    assert refs == {("SecretStore", name) for name in stores} != set()
    assert {s["metadata"]["namespace"] for s in stores.values()} == {PLATFORM.namespace}
    assert not named(objs, "ClusterSecretStore")


def _service_port(objs: list[Obj], service: str, port: Any) -> None:
    ports = one(objs, "Service", service)["spec"]["ports"]
    assert any(port in (p.get("name"), p["port"]) for p in ports), f"{service} has no port {port}"


def test_ingress_routes_each_prefix_to_its_service(objs: list[Obj], overlay: str) -> None:
    ingress = one(objs, "Ingress", PLATFORM.project)
    assert ingress["spec"]["ingressClassName"] == "traefik"
    assert not any("rewrite" in k for k in ingress["metadata"].get("annotations", {}))
    (rule,) = ingress["spec"]["rules"]
    # Prod routes its domain only; kind and the host cluster are reached as 127.0.0.1.
    assert rule.get("host") == (PLATFORM.domain if overlay == "prod" else None)
    routes = {p["path"]: p for p in rule["http"]["paths"]}
    assert set(routes) == {f"/{s}" for s in SERVICES}
    for service in SERVICES:
        path = routes[f"/{service}"]
        assert path["pathType"] == "Prefix"
        backend = path["backend"]["service"]
        assert backend["name"] == service
        _service_port(objs, service, backend["port"]["name"])


def test_base_leaves_the_controller_to_the_overlays() -> None:
    assert "ingressClassName" not in one(render("base"), "Ingress", PLATFORM.project)["spec"]


def test_httproute_mirrors_the_ingress_and_attaches_to_the_gateway(
    objs: list[Obj], overlay: str
) -> None:
    route = one(objs, "HTTPRoute", PLATFORM.project)
    assert route["spec"].get("hostnames") == ([PLATFORM.domain] if overlay == "prod" else None)
    rules = {r["matches"][0]["path"]["value"]: r for r in route["spec"]["rules"]}
    assert set(rules) == {f"/{s}" for s in SERVICES}
    for service in SERVICES:
        rule = rules[f"/{service}"]
        assert rule["matches"][0]["path"]["type"] == "PathPrefix"
        assert "filters" not in rule
        (backend,) = rule["backendRefs"]
        assert backend["name"] == service
        _service_port(objs, service, backend["port"])
    # The parent is the Gateway of the Traefik add-on, and it admits routes from the namespace.
    (parent,) = route["spec"]["parentRefs"]
    addon = render("traefik")
    gateway = one(addon, "Gateway", parent["name"])
    assert gateway["metadata"]["namespace"] == parent["namespace"]
    allowed = gateway["spec"]["listeners"][0]["allowedRoutes"]["namespaces"]
    namespace = one(objs, "Namespace", PLATFORM.namespace)["metadata"]
    # The API server adds kubernetes.io/metadata.name to every namespace.
    labels = {**namespace["labels"], "kubernetes.io/metadata.name": namespace["name"]}
    assert selects(allowed["selector"]["matchLabels"], labels)
    assert one(addon, "GatewayClass", gateway["spec"]["gatewayClassName"])


def test_gateway_listener_is_a_traefik_entry_point() -> None:
    addon = render("kind-cluster-addons")
    traefik = one(addon, "Deployment", "traefik")
    (container,) = pod_spec(traefik)["containers"]
    entry_ports = {int(m[1]) for a in container["args"] if (m := re.search(r"address=:(\d+)$", a))}
    listener_port = one(addon, "Gateway", "platform")["spec"]["listeners"][0]["port"]
    assert listener_port in entry_ports
    node_ports = {
        p["name"]: p["nodePort"] for p in one(addon, "Service", "traefik")["spec"]["ports"]
    }
    kind_config = yaml.safe_load((REPO / "k8s" / "kind" / "kind-config.yaml").read_text())
    mapped = {m["containerPort"] for m in kind_config["nodes"][0]["extraPortMappings"]}
    assert set(node_ports.values()) == mapped
    assert all(
        m["listenAddress"] == "127.0.0.1" for m in kind_config["nodes"][0]["extraPortMappings"]
    )
    # The HTTPS ports keep their numbers on the host: the plain-HTTP redirects name them.
    host = {m["containerPort"]: m["hostPort"] for m in kind_config["nodes"][0]["extraPortMappings"]}
    assert all(
        host[node_ports[name]] == node_ports[name] for name in ("websecure", "gatewaysecure")
    )


def test_metrics_are_scraped_from_a_port_no_service_exposes(objs: list[Obj]) -> None:
    """Prometheus keeps the container port named metrics (METRICS_PORT); no Service targets
    it, so no Ingress or HTTPRoute, which reach Services only, can route to it."""
    (job,) = [
        j for j in _prometheus_config(objs)["scrape_configs"] if j["job_name"] != "prometheus"
    ]
    by_port = [r for r in job["relabel_configs"] if r["source_labels"] == [
        "__meta_kubernetes_pod_container_port_name"]]  # fmt: skip
    assert [(r["regex"], r["action"]) for r in by_port] == [("metrics", "keep")]
    for service in SERVICES:
        ports = _ports(one(objs, "Deployment", service))
        targets = {p["targetPort"] for p in one(objs, "Service", service)["spec"]["ports"]}
        assert targets and not targets & {"metrics", ports["metrics"]}, service


def test_prometheus_loads_the_rules_it_mounts(objs: list[Obj]) -> None:
    prometheus = one(objs, "Deployment", "prometheus")
    config = _prometheus_config(objs)
    (container,) = pod_spec(prometheus)["containers"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    (rule_glob,) = config["rule_files"]
    assert rule_glob == f"{mounts['rules']}/*.yml"
    rules = generated(objs, "ConfigMap", "prometheus-rules")["data"]
    on_disk = {p.name for p in (REPO / "monitoring" / "prometheus" / "rules").glob("*.yml")}
    assert set(rules) == on_disk
    assert "--config.file=/etc/prometheus/prometheus.yml" in container["args"]
    assert mounts["config"] == "/etc/prometheus/prometheus.yml"


def test_grafana_reaches_prometheus_and_loads_every_dashboard(objs: list[Obj]) -> None:
    (container,) = pod_spec(one(objs, "Deployment", "grafana"))["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    match = re.fullmatch(r"http://([a-z-]+):(\d+)", env["PROMETHEUS_URL"] or "")
    assert match, env["PROMETHEUS_URL"]
    _service_port(objs, match[1], int(match[2]))
    dashboards_cm = generated(objs, "ConfigMap", "grafana-dashboards")["data"]
    on_disk = {p.name for p in (REPO / "monitoring" / "grafana" / "dashboards").glob("*.json")}
    assert set(dashboards_cm) == on_disk
    providers = generated(objs, "ConfigMap", "grafana-dashboard-providers")["data"]
    provider = yaml.safe_load(providers["mlops.yml"])
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert provider["providers"][0]["options"]["path"] == mounts["dashboards"]


def _allowed(
    objs: list[Obj], to: dict[str, str], from_labels: dict[str, str], from_ns: str, port: int
) -> bool:
    """Whether some NetworkPolicy admits this flow into pods labelled `to`."""
    namespace_labels = {"kubernetes.io/metadata.name": from_ns}
    for policy in named(objs, "NetworkPolicy").values():
        if not selects(policy["spec"]["podSelector"].get("matchLabels", {}), to):
            continue
        for rule in policy["spec"].get("ingress", []):
            ports = {p["port"] for p in rule.get("ports", [])}
            if port not in ports:
                continue
            for peer in rule["from"]:
                ns_ok = (
                    selects(peer["namespaceSelector"]["matchLabels"], namespace_labels)
                    if "namespaceSelector" in peer
                    else from_ns == PLATFORM.namespace
                )
                if ns_ok and selects(peer["podSelector"]["matchLabels"], from_labels):
                    return True
    return False


def test_network_policies_deny_by_default_and_allow_the_platform_flows(objs: list[Obj]) -> None:
    deny = one(objs, "NetworkPolicy", "default-deny-all")["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    traefik_labels = _pod_labels(one(render("traefik"), "Deployment", "traefik"))
    prometheus = _pod_labels(one(objs, "Deployment", "prometheus"))
    grafana = _pod_labels(one(objs, "Deployment", "grafana"))
    for service in SERVICES:
        api = _pod_labels(one(objs, "Deployment", service))
        assert _allowed(objs, api, traefik_labels, "traefik", 8000)
        assert not _allowed(objs, api, traefik_labels, "traefik", 9000)
        assert _allowed(objs, api, prometheus, PLATFORM.namespace, 9000)
        assert not _allowed(objs, api, prometheus, PLATFORM.namespace, 8000)
        assert not _allowed(objs, api, grafana, PLATFORM.namespace, 8000)
        assert not _allowed(objs, api, grafana, PLATFORM.namespace, 9000)
    assert _allowed(objs, prometheus, grafana, PLATFORM.namespace, 9090)
    assert not _allowed(objs, grafana, traefik_labels, "traefik", 3000)


def test_every_object_carries_the_cost_labels(objs: list[Obj], overlay: str) -> None:
    for obj in objs:
        labels = obj["metadata"].get("labels", {})
        missing = [k for k in COST_LABELS if k not in labels]
        assert missing == [], f"{obj['kind']}/{obj['metadata']['name']} lacks {missing}"
        assert labels["env"] == overlay
        assert labels["app.kubernetes.io/part-of"] == labels["project"] == PLATFORM.project
    for d in workloads(objs):
        assert {"project", "env", "owner", "app.kubernetes.io/name"} <= set(_pod_labels(d))


def test_images_are_pinned(objs: list[Obj], overlay: str) -> None:
    for d in workloads(objs):
        for c in containers(pod_spec(d)):
            image = c["image"]
            assert re.search(r":[\w.-]+$|@sha256:[0-9a-f]{64}$", image), image
            assert not image.endswith(":latest"), image
            if overlay == "prod" and d["metadata"]["name"] in SERVICES:
                # The environment's ECR repository (terraform/modules/platform names it
                # <project>-<env>/<service>), under the immutable tag images.yml pushes.
                service = d["metadata"]["name"]
                ecr = r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/"
                ecr += re.escape(f"{PLATFORM.terraform_prefix}-prod/")
                assert re.search(
                    ecr + rf"{service}(:sha-[0-9a-f]{{40}}|@sha256:[0-9a-f]{{64}})$", image
                )


def test_kind_up_overlay_deploys_the_tag_it_built() -> None:
    target = REPO / ".kind" / f"pytest-overlay-{os.getpid()}"
    try:
        subprocess.run(
            [REPO / "scripts" / "kind" / "overlay.sh", "kind-0123abcd", target], check=True
        )
        # The generated overlay must sit two levels below the root, like .kind/overlay.
        objs = render_dir(target)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    images = {c["image"] for d in workloads(objs) for c in containers(pod_spec(d))}
    assert {f"{PLATFORM.image_prefix}/{s}:kind-0123abcd" for s in SERVICES} <= images
    assert render("kind") != objs  # only the tags differ...
    assert len(render("kind")) == len(objs)  # ...not the objects


def _api_server_blocks(
    objs: list[dict[str, Any]], policy_name: str = "prometheus-egress"
) -> list[str]:
    policy = one(objs, "NetworkPolicy", policy_name)
    peers = [peer for rule in policy["spec"]["egress"] for peer in rule["to"]]
    return [peer["ipBlock"]["cidr"] for peer in peers if "ipBlock" in peer]


@pytest.mark.parametrize(
    ("base", "policy"),
    [("kind", "prometheus-egress"), ("kind/cluster-addons", "traefik-egress")],
)
def test_kind_up_overlay_lets_pods_reach_the_api_server_addresses_it_is_given(
    base: str, policy: str
) -> None:
    target = REPO / ".kind" / f"pytest-overlay-api-{os.getpid()}"
    env = os.environ | {"APISERVER_ADDRESSES": "10.96.0.1 172.18.0.2"}
    overlay = REPO / "scripts" / "kind" / "overlay.sh"
    try:
        subprocess.run([overlay, "t", target, f"k8s/overlays/{base}"], check=True, env=env)
        objs = render_dir(target)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    assert _api_server_blocks(objs, policy) == ["10.96.0.1/32", "172.18.0.2/32"]
    # Without addresses the placeholder stays: it matches no host at all.
    static = render(base.replace("/", "-"))
    assert _api_server_blocks(static, policy) == ["255.255.255.255/32"]


def _overlay_sh_refusal(tag: str, **env: str) -> tuple[int, str]:
    """overlay.sh's exit code and stderr for arguments it must refuse before writing."""
    done = subprocess.run(
        [REPO / "scripts" / "kind" / "overlay.sh", tag, "/nonexistent"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | env,
    )
    return done.returncode, done.stderr.strip()


def test_kind_up_overlay_rejects_an_api_server_address_that_is_not_ipv4() -> None:
    assert _overlay_sh_refusal("t", APISERVER_ADDRESSES="10.96.0.1 0.0.0.0/0") == (
        2,
        "overlay.sh: APISERVER_ADDRESSES: '0.0.0.0/0' is not an IPv4 address",
    )


def test_prod_lets_prometheus_reach_the_eks_api_server_in_its_own_vpc_only() -> None:
    network = hcl2.loads((REPO / "terraform/envs/prod/terraform.tfvars").read_text())["network"]
    vpc = ipaddress.ip_network(network["cidr_block"].strip('"'))  # python-hcl2 keeps quotes
    # EKS's service range when Terraform sets none: 172.20.0.0/16 for a VPC in 10.0.0.0/8.
    assert vpc.subnet_of(ipaddress.ip_network("10.0.0.0/8"))
    assert _api_server_blocks(render("prod")) == ["172.20.0.1/32", str(vpc)]
    assert _api_server_blocks(render("prod-cluster-addons"), "traefik-egress") == (
        _api_server_blocks(render("prod"))
    )


def test_no_network_policy_of_any_overlay_opens_egress_to_the_internet() -> None:
    for overlay in (*APP_OVERLAYS, "hostcluster", "kind-cluster-addons", "prod-cluster-addons"):
        for policy in (o for o in render(overlay) if o["kind"] == "NetworkPolicy"):
            for rule in policy["spec"].get("egress", []):
                assert rule.get("to"), ("a rule without `to` allows any address", overlay, policy)
                for peer in rule["to"]:
                    if "ipBlock" in peer:
                        block = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                        assert block.is_private or block.prefixlen == 32, (overlay, policy)


def test_kind_up_overlay_rejects_a_bad_tag() -> None:
    assert _overlay_sh_refusal("bad tag!") == (2, "overlay.sh: invalid image tag 'bad tag!'")


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(s|m)", duration)
    assert match, duration
    return int(match[1]) * (60 if match[2] == "m" else 1)


def test_traefik_closes_idle_backend_connections_before_the_apis_do(objs: list[Obj]) -> None:
    """Otherwise a request Traefik sends on a connection the API is just closing gets a 502."""
    from servicekit.settings import ServiceSettings

    (traefik,) = pod_spec(one(render("traefik"), "Deployment", "traefik"))["containers"]
    flags = dict(a.removeprefix("--").split("=", 1) for a in traefik["args"])
    idle = _seconds(flags["serversTransport.forwardingTimeouts.idleConnTimeout"])
    keep_alive = ServiceSettings.model_fields["keep_alive_seconds"].default
    for service in SERVICES:
        env: dict[str, str] = {}
        for c in pod_spec(one(objs, "Deployment", service))["containers"]:
            for source in c.get("envFrom", []):
                if "configMapRef" in source:  # a Secret holds no timing settings
                    env |= one(objs, "ConfigMap", source["configMapRef"]["name"])["data"]
        # Traefik here; prod's ALB also idles out at 60 s by default.
        assert idle < int(env.get("KEEP_ALIVE_SECONDS", keep_alive)), service
    assert flags["providers.kubernetesIngress.strictPrefixMatching"] == "true"
