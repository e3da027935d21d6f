"""The registry of services: `services.toml` at the repository root, read and checked.

Standard library only, so that the Makefile and shell scripts can ask it with any Python
3.11+ before the workspace is installed (`python3 -m registry names`).
"""

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REGISTRY_FILE = REPO / "services.toml"
TASKS = ("binary", "multiclass", "regression")
# A DNS-1123 label that is also a Python identifier once lowercase: letters, digits, no dash
# (the name is the package, the CLI, the image, the Service and the URL prefix at once).
NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")
# Kubernetes quantities as this registry writes them.
CPU = re.compile(r"^(\d+m|\d+(\.\d+)?)$")
MEMORY = re.compile(r"^\d+(Mi|Gi)$")
# Names that would collide with what the platform already runs or routes.
RESERVED = frozenset(
    {"servicekit", "registry", "scaffold", "mutation", "capacity", "hostcluster", "monitoring",
     "tests", "prometheus", "grafana", "gateway", "traefik", "mlflow", "kit", "lint", "types",
     "manifests", "terraform", "integration", "e2e", "docs", "metrics", "health", "ready"}
)  # fmt: skip


# The platform's own names ([platform] of services.toml), each checked against the tightest
# place it goes. The project: DNS-1123 label (label values, kind's cluster, the Ingress) of at
# most 40 characters, Grafana's limit for the folder UID it becomes.
PROJECT = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
# The namespace: a DNS-1123 label, not Kubernetes' own and not Traefik's (the platform's
# default-deny NetworkPolicies would cut the controller off).
NAMESPACE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
NAMESPACES_TAKEN = frozenset({"default", "traefik"})
# The domain: the host name prod routes (an Ingress host is a lowercase DNS name, never an IP,
# so the last label starts with a letter).
DNS_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(rf"^(?=.{{1,253}}$)({DNS_LABEL}\.)+[a-z]([a-z0-9-]{{0,61}}[a-z0-9])?$")
# The image prefix: an OCI repository prefix, an optional registry host[:port] then lowercase
# path components (the distribution spec's grammar); images are <prefix>/<service>, at most
# 255 characters with a 31-character service name.
HOST_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
OCI_HOST = re.compile(rf"^{HOST_LABEL}(\.{HOST_LABEL})*(:\d+)?$")
OCI_PATH = re.compile(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$")
IMAGE_PREFIX_MAX = 255 - 1 - 31
# The Terraform prefix (terraform's `project`): AWS names <prefix>-<env>..., of which
# modules/network's 31 characters for "<prefix>-staging" are the tightest (the artifact bucket
# allows 32, the state bucket 34). Every bucket starts "<prefix>-": S3 refuses these starts.
TF_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,21}[a-z0-9]$")
S3_RESERVED = ("xn--", "sthree-", "amzn-s3-demo-")


class RegistryError(ValueError):
    """services.toml cannot be used; the message is one line that says why."""


@dataclass(frozen=True)
class Resources:
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


@dataclass(frozen=True)
class Hpa:
    min: int
    max: int
    prod_min: int


@dataclass(frozen=True)
class Service:
    name: str
    task: str
    summary: str
    dataset: str
    rows: int
    test_rows: int
    scaling: str
    hpa: Hpa
    resources: Resources


@dataclass(frozen=True)
class Platform:
    """The platform's own names, which a fork renames (`make rename`)."""

    project: str  # labels part-of and project, compose, kind, the routes, Prometheus, Grafana
    namespace: str  # the Kubernetes namespace of everything but the add-ons
    domain: str  # the host prod routes: the Ingress host, the HTTPRoute hostname
    image_prefix: str  # images are <image_prefix>/<service> until an overlay renames them
    terraform_prefix: str  # terraform's `project`: AWS names <prefix>-<env>, the state bucket


PLATFORM_FIELDS = tuple(f.name for f in fields(Platform))


def _project_error(value: str) -> str | None:
    if PROJECT.fullmatch(value):
        return None
    return (
        f"[platform] project {value!r} must be 2-40 lowercase letters, digits and hyphens, "
        "starting with a letter (a DNS-1123 label; a Grafana folder UID)"
    )


def _namespace_error(value: str) -> str | None:
    if not NAMESPACE.fullmatch(value):
        return (
            f"[platform] namespace {value!r} must be a DNS-1123 label: at most 63 lowercase "
            "letters, digits and hyphens, not starting or ending with one"
        )
    if value in NAMESPACES_TAKEN or value.startswith("kube-"):
        return f"[platform] namespace {value!r} belongs to Kubernetes or to Traefik"
    return None


def _domain_error(value: str) -> str | None:
    if DOMAIN.fullmatch(value):
        return None
    return (
        f"[platform] domain {value!r} must be a lowercase DNS name of two or more labels, "
        "the last starting with a letter, at most 253 characters"
    )


def _image_prefix_error(value: str) -> str | None:
    parts = value.split("/")
    # As Docker reads a reference: a first part with a dot or a port, or localhost, is a host.
    host = parts[0] if "." in parts[0] or ":" in parts[0] or parts[0] == "localhost" else None
    path = parts[1:] if host is not None else parts
    if (
        len(value) <= IMAGE_PREFIX_MAX
        and (host is None or OCI_HOST.fullmatch(host))
        and all(OCI_PATH.fullmatch(p) for p in path)
    ):
        return None
    return (
        f"[platform] image_prefix {value!r} must be an OCI repository prefix of at most "
        f"{IMAGE_PREFIX_MAX} characters: [host[:port]/]path, lowercase path parts of letters "
        "and digits joined by '.', '_', '__' or '-'"
    )


def _terraform_prefix_error(value: str) -> str | None:
    if not TF_PREFIX.fullmatch(value):
        return (
            f"[platform] terraform_prefix {value!r} must be 2-23 lowercase letters, digits "
            "and hyphens, starting with a letter and not ending with a hyphen "
            '("<prefix>-staging" names the network, at most 31 characters)'
        )
    if f"{value}-".startswith(S3_RESERVED):
        return (
            f"[platform] terraform_prefix {value!r} would start every S3 bucket name with "
            f"one S3 reserves ({', '.join(S3_RESERVED)})"
        )
    return None


PLATFORM_CHECKS: dict[str, Callable[[str], str | None]] = {
    "project": _project_error,
    "namespace": _namespace_error,
    "domain": _domain_error,
    "image_prefix": _image_prefix_error,
    "terraform_prefix": _terraform_prefix_error,
}


def platform_error(key: str, value: object) -> str | None:
    """Why `value` cannot be the platform's `key`, in one line; None when it can."""
    check = PLATFORM_CHECKS.get(key)
    if check is None:
        return f"[platform] has no {key!r} (it has {', '.join(PLATFORM_FIELDS)})"
    if not isinstance(value, str):
        return f"[platform] {key} must be a string, not {value!r}"
    return check(value)


def check_platform(raw: dict[str, Any]) -> Platform:
    """The [platform] table, checked: RegistryError with the first bad value's line."""
    for key in (*PLATFORM_FIELDS, *sorted(set(raw) - set(PLATFORM_FIELDS))):
        if key not in raw:
            raise RegistryError(f"[platform] lacks {key} (it needs {', '.join(PLATFORM_FIELDS)})")
        error = platform_error(key, raw[key])
        if error is not None:
            raise RegistryError(error)
    return Platform(**raw)


def _repository_platform() -> Platform:
    return registry().platform


@dataclass(frozen=True)
class Registry:
    services: tuple[Service, ...]
    # A registry built in code (tests) names the repository's platform unless it is given one.
    platform: Platform = field(default_factory=_repository_platform)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services)

    def get(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise RegistryError(f"no service {name!r} in services.toml (have: {', '.join(self.names)})")

    def port(self, name: str) -> int:
        """The local port of `make serve`: 8001, 8002, ... in registry order."""
        return 8001 + self.names.index(self.get(name).name)


def _table(raw: object, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RegistryError(f"{where} must be a table")
    return raw


def _int(raw: dict[str, Any], key: str, where: str, low: int = 1) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise RegistryError(f"{where}: {key} must be a whole number >= {low}, not {value!r}")
    return value


def _text(raw: dict[str, Any], key: str, where: str, pattern: re.Pattern[str] | None = None) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RegistryError(f"{where}: {key} must be a non-empty string")
    if pattern is not None and not pattern.fullmatch(value):
        raise RegistryError(f"{where}: {key} {value!r} does not match {pattern.pattern}")
    return value


def _hpa(raw: dict[str, Any], defaults: dict[str, Any], where: str) -> Hpa:
    merged = {**defaults, **_table(raw, f"{where}.hpa")}
    hpa = Hpa(
        min=_int(merged, "min", f"{where}.hpa"),
        max=_int(merged, "max", f"{where}.hpa"),
        prod_min=_int(merged, "prod_min", f"{where}.hpa"),
    )
    if not hpa.min <= hpa.max or not hpa.prod_min <= hpa.max:
        raise RegistryError(f"{where}.hpa: min and prod_min must not exceed max ({hpa})")
    return hpa


def _resources(raw: dict[str, Any], defaults: dict[str, Any], where: str) -> Resources:
    merged = {**defaults, **_table(raw, f"{where}.resources")}
    at = f"{where}.resources"
    return Resources(
        cpu_request=_text(merged, "cpu_request", at, CPU),
        memory_request=_text(merged, "memory_request", at, MEMORY),
        cpu_limit=_text(merged, "cpu_limit", at, CPU),
        memory_limit=_text(merged, "memory_limit", at, MEMORY),
    )


def check_name(name: object) -> str:
    """`name` if it can name a service, else RegistryError with the rule it breaks."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise RegistryError(
            f"service name {name!r} must be 2-31 lowercase letters and digits, starting with a "
            "letter (a DNS-1123 label that is also a Python package name)"
        )
    if name in RESERVED:
        raise RegistryError(f"service name {name!r} is taken by the platform itself")
    return name


def _service(raw: dict[str, Any], defaults: dict[str, Any]) -> Service:
    name = check_name(raw.get("name"))
    where = f"service {name}"
    task = _text(raw, "task", where)
    if task not in TASKS:
        raise RegistryError(f"{where}: task must be one of {', '.join(TASKS)}, not {task!r}")
    known = {
        "name",
        "task",
        "summary",
        "dataset",
        "rows",
        "test_rows",
        "scaling",
        "hpa",
        "resources",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise RegistryError(f"{where}: unknown keys {', '.join(unknown)}")
    return Service(
        name=name,
        task=task,
        summary=_text(raw, "summary", where),
        dataset=_text(raw, "dataset", where),
        rows=_int(raw, "rows", where, low=10),
        test_rows=_int(raw, "test_rows", where, low=10),
        scaling=_text(raw, "scaling", where),
        hpa=_hpa(raw.get("hpa", {}), _table(defaults.get("hpa", {}), "defaults.hpa"), where),
        resources=_resources(
            raw.get("resources", {}), _table(defaults.get("resources", {}), "defaults"), where
        ),
    )


def parse(text: str) -> Registry:
    """The registry in `text` (the contents of a services.toml), checked."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"services.toml is not valid TOML: {exc}") from exc
    entries = raw.get("service")
    if not isinstance(entries, list) or not entries:
        raise RegistryError("services.toml lists no [[service]]")
    defaults = _table(raw.get("defaults", {}), "defaults")
    if "platform" not in raw:
        raise RegistryError(f"services.toml has no [platform] ({', '.join(PLATFORM_FIELDS)})")
    platform = check_platform(_table(raw["platform"], "[platform]"))
    services = tuple(_service(_table(e, "[[service]]"), defaults) for e in entries)
    names = [s.name for s in services]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RegistryError(f"services.toml lists {', '.join(twice)} more than once")
    return Registry(services, platform)


def load(path: Path = REGISTRY_FILE) -> Registry:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc.strerror}") from exc
    return parse(text)


@cache
def registry() -> Registry:
    """The repository's registry, read once per process."""
    return load()


def names() -> tuple[str, ...]:
    """The registered service names, in order."""
    return registry().names


def platform() -> Platform:
    """The repository's platform names ([platform] of services.toml)."""
    return registry().platform
