"""Reading the declarations: the repository's own files, and small broken ones in tmp_path."""

from pathlib import Path

import pytest

from capacity import declared
from capacity.declared import DeclarationError, cpu_cores, memory_mib
from registry import names


def test_every_instance_type_an_environment_declares_has_a_price() -> None:
    """A new instance type in a tfvars file without a price would make the report refuse."""
    prices = declared.price_table()
    for name in declared.ENVIRONMENTS:
        env = declared.environment(name)
        for group in env.node_groups:
            for instance_type in group.instance_types:
                assert prices.instance(instance_type, env.region).usd_per_hour > 0


def test_the_environments_are_read_from_their_tfvars() -> None:
    prod = declared.environment("prod")
    assert prod.region == "eu-west-1"  # var.region's default: prod's tfvars sets none
    (system,) = [g for g in prod.node_groups if not g.spot]
    assert system.instance_types == ("m5.large",)  # unquoted: python-hcl2 keeps the quotes
    assert (system.min_size, system.desired_size, system.max_size) == (3, 3, 6)


def test_the_prod_overlay_gives_every_api_its_requests_and_hpa() -> None:
    apis, others = declared.deployments(names())
    assert set(apis) == set(names())
    for api in apis.values():
        assert 0 < api.resources.cpu_request <= (api.resources.cpu_limit or 1)
        assert 0 < api.cpu_target <= 1
        assert 1 <= api.min_replicas <= api.max_replicas
    assert {w.name for w in others} >= {"prometheus", "traefik"}  # they share the nodes


def test_the_latency_target_is_the_single_prediction_alerts_budget(tmp_path: Path) -> None:
    assert declared.latency_target_ms() > 0
    alerts = tmp_path / "alerts.yml"
    alerts.write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: >\n"
        '          x:p99_5m{route="/predict/batch"} > 0.5\n'
        '          or x:p99_5m{route="/predict"} > 0.025\n'
    )
    assert declared.latency_target_ms(alerts) == pytest.approx(25)
    alerts.write_text("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n")
    with pytest.raises(DeclarationError, match="no p99 alert on route /predict"):
        declared.latency_target_ms(alerts)


def _overlay(tmp_path: Path, container_resources: str, hpa_metric: str) -> Path:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - api.yaml\n")
    (tmp_path / "api.yaml").write_text(
        f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: alpha}}
spec:
  selector: {{matchLabels: {{app: b}}}}
  template:
    metadata: {{labels: {{app: b}}}}
    spec:
      containers:
        - name: api
          image: b
          resources: {container_resources}
        - name: sidecar
          image: s
          resources: {{requests: {{cpu: 50m, memory: 1Gi}}, limits: {{cpu: 500m}}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: alpha}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: alpha}}
  maxReplicas: 4
  metrics: [{hpa_metric}]
"""
    )
    return tmp_path


def _metric(resource: str) -> str:
    target = "{type: Utilization, averageUtilization: 70}"
    return f"{{type: Resource, resource: {{name: {resource}, target: {target}}}}}"


CPU_70 = _metric("cpu")


def test_a_pods_requests_sum_over_its_containers(tmp_path: Path) -> None:
    overlay = _overlay(
        tmp_path, "{requests: {cpu: 250m, memory: 192Mi}, limits: {cpu: '1'}}", CPU_70
    )
    apis, _ = declared.deployments(("alpha",), overlay)
    api = apis["alpha"]
    assert api.resources.cpu_request == pytest.approx(0.3)
    assert api.resources.cpu_limit == pytest.approx(1.5)
    assert api.resources.memory_request_mib == pytest.approx(192 + 1024)
    assert (api.min_replicas, api.max_replicas, api.cpu_target) == (1, 4, 0.7)


def test_a_container_without_a_cpu_limit_leaves_the_pod_unlimited(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path, "{requests: {cpu: 250m, memory: 192Mi}}", CPU_70)
    apis, _ = declared.deployments(("alpha",), overlay)
    assert apis["alpha"].resources.cpu_limit is None


@pytest.mark.parametrize(
    ("resources", "metric", "message"),
    [
        ("{requests: {memory: 192Mi}}", CPU_70, "container api requests no cpu/memory"),
        (
            "{requests: {cpu: 250m, memory: 192Mi}}",
            _metric("memory"),
            "HPA alpha has no CPU utilization target",
        ),
    ],
)
def test_declarations_the_report_cannot_use_are_named(
    tmp_path: Path, resources: str, metric: str, message: str
) -> None:
    with pytest.raises(DeclarationError, match=message):
        declared.deployments(("alpha",), _overlay(tmp_path, resources, metric))


def test_an_api_the_overlay_does_not_deploy_is_named(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path, "{requests: {cpu: 250m, memory: 192Mi}}", CPU_70)
    with pytest.raises(DeclarationError, match="deploys no beta"):
        declared.deployments(("alpha", "beta"), overlay)


GROUP = '{ instance_types = ["t3.small"], min_size = 0, max_size = 2, desired_size = 1 }'


def _env_root(tmp_path: Path, cluster: str, region: str = "") -> Path:
    root = tmp_path / "envs" / "x"
    root.mkdir(parents=True)
    (root / "variables.tf").write_text('variable "region" {\n  default = "eu-west-1"\n}\n')
    (root / "terraform.tfvars").write_text(f"{region}\ncluster = {{\n{cluster}\n}}\n")
    return root.parent


def test_a_tfvars_region_overrides_the_variables_default(tmp_path: Path) -> None:
    group = f"system_node_group = {GROUP}"
    env = declared.environment("x", _env_root(tmp_path, group, region='region = "us-east-1"'))
    assert env.region == "us-east-1"
    assert env.node_groups[0].instance_types == ("t3.small",)


def test_an_environment_without_on_demand_nodes_is_refused(tmp_path: Path) -> None:
    group = f"spot_node_group = {GROUP}"
    with pytest.raises(DeclarationError, match="no on-demand node group"):
        declared.environment("x", _env_root(tmp_path, group))


def test_unreadable_hcl_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    envs = _env_root(tmp_path, 'system_node_group = { instance_types = ["t3.small" }')
    with pytest.raises(
        DeclarationError, match=r"terraform\.tfvars: unreadable HCL \(Unexpected token.*line 3"
    ):
        declared.environment("x", envs)


def test_a_broken_price_table_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "prices.toml"
    broken.write_text('region = "eu-west-1"\n')
    with pytest.raises(DeclarationError, match=r"prices\.toml: unreadable price table"):
        declared.price_table(broken)


@pytest.mark.parametrize(
    ("quantity", "cores"), [("250m", 0.25), ("1", 1.0), (2, 2.0), ("1.5", 1.5)]
)
def test_cpu_quantities(quantity: str | int, cores: float) -> None:
    assert cpu_cores(quantity) == pytest.approx(cores)


@pytest.mark.parametrize(
    ("quantity", "mib"),
    [("192Mi", 192), ("1Gi", 1024), ("512Ki", 0.5), ("1048576", 1), ("1M", 1e6 / 2**20)],
)
def test_memory_quantities(quantity: str, mib: float) -> None:
    assert memory_mib(quantity) == pytest.approx(mib)


def test_an_unreadable_memory_quantity_is_named() -> None:
    with pytest.raises(DeclarationError, match="unreadable memory quantity '12 parsecs'"):
        memory_mib("12 parsecs")
