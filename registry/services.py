"""The registry of services: `services.toml` at the repository root, read and checked.

Standard library only, so that the Makefile and shell scripts can ask it with any Python
3.11+ before the workspace is installed (`python3 -m registry names`).
"""

import re
import tomllib
from dataclasses import dataclass
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
class Registry:
    services: tuple[Service, ...]

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
    services = tuple(_service(_table(e, "[[service]]"), defaults) for e in entries)
    names = [s.name for s in services]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RegistryError(f"services.toml lists {', '.join(twice)} more than once")
    return Registry(services)


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
