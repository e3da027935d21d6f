"""What the e2e suite needs from a cluster: where it is, port-forwards, and a bounded load."""

import os
import re
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from registry.services import platform
from tests.helpers import venv_tool, wait_until

NAMESPACE = os.environ.get("E2E_NAMESPACE", platform().namespace)
REPO = Path(__file__).resolve().parents[2]
# The edge's per-client quota (k8s/addons/traefik/edge.yml): the suite's loads keep within it,
# as a client should, except the one that floods on purpose.
EDGE = yaml.safe_load((REPO / "k8s" / "addons" / "traefik" / "edge.yml").read_text())
CLIENT_RATE = float(EDGE["http"]["middlewares"]["client-rate"]["rateLimit"]["average"])
WITHIN_QUOTA = 0.8 * CLIENT_RATE  # requests a second: a paced load that is never refused
# The API pods' /metrics port (METRICS_PORT in the pod template): no Service exposes it.
METRICS_PORT = 9000


def _url(variable: str) -> str | None:
    return (os.environ.get(variable) or "").rstrip("/") or None


@dataclass(frozen=True)
class Target:
    """The cluster under test: a kubeconfig context and the controller's base URLs (HTTPS on
    the clusters of kind-up and hostcluster-up, with their plain-HTTP twins that redirect)."""

    context: str | None
    ingress_url: str
    gateway_url: str | None
    ingress_http_url: str | None = None
    gateway_http_url: str | None = None

    @classmethod
    def from_env(cls) -> "Target":
        return cls(
            context=os.environ.get("KUBE_CONTEXT") or None,  # None: the current context
            ingress_url=_url("INGRESS_URL") or "https://127.0.0.1:30443",
            gateway_url=_url("GATEWAY_URL"),
            ingress_http_url=_url("INGRESS_HTTP_URL"),
            gateway_http_url=_url("GATEWAY_HTTP_URL"),
        )


def trust() -> ssl.SSLContext:
    """The system's CAs, or E2E_CA_BUNDLE: the local CA that kind-up and hostcluster-up make
    for the edge's certificate (scripts/edge-tls.sh)."""
    return ssl.create_default_context(cafile=os.environ.get("E2E_CA_BUNDLE") or None)


def absent_components() -> frozenset[str]:
    """Platform components the cluster under test is deployed without (E2E_ABSENT)."""
    return frozenset(n.strip() for n in os.environ.get("E2E_ABSENT", "").split(",") if n.strip())


def kubectl(target: Target) -> list[str]:
    """KUBECTL when the cluster brings its own (within the version skew), else the venv's."""
    return [
        os.environ.get("KUBECTL") or venv_tool("kubectl") or "kubectl",
        *(["--context", target.context] if target.context else []),
    ]


@contextmanager
def port_forward(target: Target, service: str, port: int, kind: str = "svc") -> Iterator[str]:
    """`kubectl port-forward` to a Service (or, with kind="pod", one pod) on a free local port;
    yields its base URL.

    A port-forward enters the pod's network namespace through the kubelet, so the namespace's
    NetworkPolicies (which admit no traffic from the test machine) stay as they are."""
    proc = subprocess.Popen(
        [*kubectl(target), "-n", NAMESPACE, "port-forward", f"{kind}/{service}", f"0:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not match:
            detail = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"port-forward to {service} failed: {line}{detail}")
        yield f"http://127.0.0.1:{match[1]}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def http() -> httpx.Client:
    # trust_env=False: a proxy configured in the environment must not swallow loopback calls.
    return httpx.Client(timeout=10, trust_env=False, verify=trust())


@dataclass
class LoadResult:
    requests: int = 0
    failures: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    succeeded_at: list[float] = field(default_factory=list)  # time.monotonic() of each 200
    crashes: list[str] = field(default_factory=list)  # workers killed by an unexpected error

    def succeeded_between(self, start: float, end: float) -> int:
        return sum(start <= t <= end for t in self.succeeded_at)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies) or [0.0]

        def pct(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

        return {
            "requests": self.requests,
            "failures": self.failures,
            "crashed_workers": len(self.crashes),
            "first_errors": self.errors[:5],
            "seconds": round(self.seconds, 1),
            "rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99)},
        }


class Load:
    """Closed-loop load from `workers` threads, bounded in requests and time: it always stops
    by itself, even if the test that started it never calls stop()."""

    def __init__(
        self,
        url: str,
        body: dict[str, Any],
        headers: dict[str, str],
        workers: int = 8,
        max_requests: int = 200_000,
        max_seconds: float = 600,
        rate: float | None = None,
    ) -> None:
        """`rate`: requests a second in all, paced, for a client that keeps to its quota at
        the edge (k8s/addons/traefik/edge.yml); None: as fast as the answers come."""
        self.url, self.body, self.headers = url, body, headers
        self.workers, self.max_requests, self.max_seconds = workers, max_requests, max_seconds
        self.interval = workers / rate if rate else 0.0  # per worker
        self.result = LoadResult()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]
        self._started = 0.0

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # a worker that dies must not just stop counting
            with self._lock:
                self.result.crashes.append(f"{type(exc).__name__}: {exc}")

    def _loop(self) -> None:
        due = time.monotonic()
        with http() as client:
            while not self._stop.is_set():
                if time.monotonic() - self._started > self.max_seconds:
                    break
                if self.interval:
                    due += self.interval
                    if self._stop.wait(max(0.0, due - time.monotonic())):
                        break
                start = time.perf_counter()
                try:
                    response = client.post(self.url, json=self.body, headers=self.headers)
                    error = (
                        None
                        if response.status_code == 200
                        else f"HTTP {response.status_code}: {response.text[:200]}"
                    )
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - start
                with self._lock:
                    self.result.requests += 1
                    self.result.latencies.append(elapsed)
                    if error:
                        self.result.failures += 1
                        self.result.errors.append(error)
                    else:
                        self.result.succeeded_at.append(time.monotonic())
                    if self.result.requests >= self.max_requests:
                        self._stop.set()

    def wait(self, timeout: float) -> None:
        """Let the load run until one of its own bounds stops it (or `timeout` passes)."""
        for thread in self._threads:
            thread.join(timeout=timeout)

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def __enter__(self) -> "Load":
        self._started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self.result.seconds = time.monotonic() - self._started


def wait_for(check: Callable[[], object], seconds: float, what: str) -> float:
    """wait_until at a pace the API server and metrics pipeline can follow (2 s)."""
    return wait_until(check, seconds, what, interval=2.0)
