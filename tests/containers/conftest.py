"""Images built for real from the trained test models, and a way to run them.

Needs a Docker engine; skips with one clear reason where none is reachable.
"""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import docker
from conftest import Trained

REPO = Path(__file__).resolve().parents[2]


def _configure_testcontainers(client: docker.DockerClient) -> None:
    """Only what this machine needs: it looks like Docker-in-Docker, and reaches no registry."""
    if Path("/.dockerenv").exists():
        os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
        os.environ.setdefault("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
    if not any(
        tag.startswith("testcontainers/ryuk") for i in client.images.list() for tag in i.tags
    ):
        os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.skip(f"no Docker engine reachable ({type(exc).__name__}); start dockerd to run")
    _configure_testcontainers(client)
    return client


@pytest.fixture(scope="session")
def sboms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the image build writes each image's SBOM (<service>.cdx.json)."""
    return tmp_path_factory.mktemp("sbom")


@pytest.fixture(scope="session")
def images(
    docker_client: docker.DockerClient, trained_models: dict[str, Trained], sboms: Path
) -> Iterator[dict[str, str]]:
    """The three service images, built by the project's own script around the test models."""
    tag = f"it-{uuid.uuid4().hex[:8]}"
    model_dir = next(iter(trained_models.values())).model_path.parent.parent
    env = os.environ | {
        "TAG": tag,
        "MODEL_DIR": str(model_dir),
        "IMAGE_PREFIX": "mlops-test",
        "SBOM_DIR": str(sboms),
        "SBOM_PYTHON": sys.executable,  # tox's environment has no .venv
    }
    done = subprocess.run(
        [str(REPO / "scripts/build-images.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout)
    built = {name: f"mlops-test/{name}:{tag}" for name in trained_models}
    yield built
    for image in built.values():
        docker_client.images.remove(image, noprune=False)
