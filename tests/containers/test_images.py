"""Each service image, run as a container: healthy, ready, correct, observable, hardened."""

import json
import re
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from packaging.utils import canonicalize_name
from testcontainers.core.container import DockerContainer

import docker
from conftest import SERVICES, Trained
from servicekit.metrics import METRIC_NAMES
from tests.helpers import examples, served_value, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(params=SERVICES)
def running(
    request: pytest.FixtureRequest, images: dict[str, str], trained_models: dict[str, Trained]
) -> Iterator[tuple[DockerContainer, str, Trained]]:
    name = request.param
    # AUTH=open: the image as compose's demo tier runs it (pods bring keys: test_k8s_pod).
    container = (
        DockerContainer(images[name])
        .with_env("GRACEFUL_SHUTDOWN_SECONDS", "10")
        .with_env("AUTH", "open")
    )
    # Publish on loopback only, on a free port: with_bind_ports() takes no host address, but
    # the mapping goes to docker-py as is, which accepts (address, port).
    container.ports["8000/tcp"] = ("127.0.0.1", None)  # type: ignore[assignment]
    with container:
        port = container.get_exposed_port(8000)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:
            wait_until(lambda: http.get("/ready").status_code == 200, 60, f"{name} ready")
        yield container, base, trained_models[name]


def _state(container: DockerContainer) -> dict:  # type: ignore[type-arg]
    wrapped = container.get_wrapped_container()
    wrapped.reload()
    return wrapped.attrs["State"]  # type: ignore[no-any-return]


def test_becomes_healthy_and_ready(running: tuple[DockerContainer, str, Trained]) -> None:
    container, base, trained = running
    wait_until(
        lambda: _state(container).get("Health", {}).get("Status") == "healthy", 90, "healthy"
    )
    ready = httpx.get(f"{base}/ready", trust_env=False).json()
    assert ready == {"status": "ready", "model_version": trained.metadata["model_version"]}


def test_predictions_equal_the_same_model_in_process(
    running: tuple[DockerContainer, str, Trained],
) -> None:
    _, base, trained = running
    rows = examples(trained.definition)
    inputs = trained.definition.features.inputs
    expected = trained.runtime().predict({c: [r.get(c) for r in rows] for c in inputs})
    with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:
        batch = http.post("/predict/batch", json={"instances": rows}).json()["predictions"]
        single = [http.post(f"/{trained.definition.name}/predict", json=r).json() for r in rows]
    for items in (batch, single):
        served = [served_value(p, trained.definition) for p in items]
        np.testing.assert_allclose(served, expected.values, rtol=1e-12)


def test_exposes_the_shared_metrics(running: tuple[DockerContainer, str, Trained]) -> None:
    _, base, trained = running
    with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:
        http.post("/predict", json=examples(trained.definition)[0])
        text = http.get("/metrics").text
    for metric in METRIC_NAMES:
        assert f"# TYPE {metric}" in text or f"# TYPE {metric.removesuffix('_total')}" in text, (
            metric
        )
    assert f'service="{trained.definition.name}"' in text


def test_runs_as_a_numeric_non_root_user(running: tuple[DockerContainer, str, Trained]) -> None:
    container, _, _ = running
    wrapped = container.get_wrapped_container()
    assert wrapped.attrs["Config"]["User"] == "10001:10001"
    code, out = wrapped.exec_run(["python3", "-c", "import os; print(os.getuid(), os.getgid())"])
    assert code == 0
    assert out.decode().split() == ["10001", "10001"]
    code, out = wrapped.exec_run(["sh", "-c", "command -v gcc cc pip pytest || true"])
    assert out.decode().strip() == "", "build or test tools in the runtime image"


def test_bad_input_is_4xx_and_the_container_keeps_serving(
    running: tuple[DockerContainer, str, Trained],
) -> None:
    container, base, trained = running
    good = examples(trained.definition)[0]
    with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:
        bad_requests = [
            {"json": {"nope": 1}},
            {"content": b"{", "headers": {"content-type": "application/json"}},
            {"content": b"x", "headers": {"content-type": "text/plain"}},
        ]
        for bad in bad_requests:
            assert 400 <= http.post("/predict", **bad).status_code < 500  # type: ignore[arg-type]
        assert http.post("/predict", json=good).status_code == 200
    assert _state(container)["Running"] is True


def test_sigterm_finishes_the_request_in_flight_and_exits_cleanly(
    running: tuple[DockerContainer, str, Trained],
) -> None:
    container, base, trained = running
    body = json.dumps(examples(trained.definition)[0]).encode()
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.3)
        container.get_wrapped_container().kill(signal=signal.SIGTERM)
        time.sleep(0.3)
        assert _state(container)["Running"] is True, "exited with a request in flight"
        sock.sendall(body[10:])
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    wait_until(lambda: _state(container)["Running"] is False, 15, "exit after SIGTERM")
    assert _state(container)["ExitCode"] == 0


def test_image_carries_oci_labels_and_a_healthcheck(
    images: dict[str, str], docker_client: docker.DockerClient
) -> None:
    for name, tag in images.items():
        config = docker_client.images.get(tag).attrs["Config"]
        labels = config["Labels"]
        for key in ("source", "revision", "version", "title"):
            assert labels[f"org.opencontainers.image.{key}"], (name, key)
        assert labels["org.opencontainers.image.title"] == name
        assert "/health" in " ".join(config["Healthcheck"]["Test"])
        assert config["Entrypoint"] == ["python3", "-m", "servicekit.container"]


# A node pulls and starts a new pod faster the smaller its image: the budget for one service.
REPO = Path(__file__).resolve().parents[2]
IMAGE_BUDGET_BYTES = 200 * 10**6
TRAINING_LIBRARIES = ("sklearn", "scipy", "pandas", "joblib", "mlflow", "matplotlib")


def test_images_fit_the_size_budget(
    images: dict[str, str], docker_client: docker.DockerClient
) -> None:
    sizes = {name: docker_client.images.get(tag).attrs["Size"] for name, tag in images.items()}
    assert all(size <= IMAGE_BUDGET_BYTES for size in sizes.values()), sizes


def test_images_hold_no_training_library(
    images: dict[str, str], docker_client: docker.DockerClient
) -> None:
    """The served model needs numpy alone: the image installs only the serving requirements."""
    probe = (
        "import importlib.util, json; "
        f"print(json.dumps([m for m in {TRAINING_LIBRARIES!r} if importlib.util.find_spec(m)]))"
    )
    for name, tag in images.items():
        output = docker_client.containers.run(
            tag, entrypoint=["python3", "-c", probe], remove=True, network_mode="none"
        )
        assert json.loads(output) == [], name


def test_without_keys_an_image_refuses_to_serve_with_one_line(
    images: dict[str, str], docker_client: docker.DockerClient
) -> None:
    """Fail closed: the image's default is AUTH=keys, so with no key it exits 2 and says why."""
    tag = next(iter(images.values()))
    with pytest.raises(docker.errors.ContainerError) as failed:
        docker_client.containers.run(tag, remove=True, network_mode="none", stderr=True)
    assert failed.value.exit_status == 2
    stderr = failed.value.stderr.decode() if failed.value.stderr else ""
    assert stderr.splitlines()[-1].startswith("error: AUTH=keys and no key: set API_KEYS_FILE")


def test_each_image_has_an_sbom_of_every_python_package_it_holds(
    images: dict[str, str], sboms: Path, docker_client: docker.DockerClient
) -> None:
    """The build's CycloneDX SBOM names the image and lists every distribution the image's
    Python has, at its version: those of the lock's runtime requirements, and nothing else."""
    listing = (
        "import importlib.metadata as m, json; "
        "print(json.dumps(sorted([d.metadata['Name'], d.version] for d in m.distributions())))"
    )
    for name, tag in images.items():
        bom = json.loads((sboms / f"{name}.cdx.json").read_text())
        assert bom["specVersion"] == "1.6"
        subject = bom["metadata"]["component"]
        assert (subject["type"], f"{subject['name']}:{subject['version']}") == ("container", tag)
        output = docker_client.containers.run(
            tag, entrypoint=["python3", "-c", listing], remove=True, network_mode="none"
        )
        held = {(canonicalize_name(n), v) for n, v in json.loads(output)}
        listed = {(canonicalize_name(c["name"]), c["version"]) for c in bom["components"]}
        assert listed == held, name
        assert {f"pkg:pypi/{n}@{v}" for n, v in held} == {c["purl"] for c in bom["components"]}
        assert listed == runtime_requirements(), name


def runtime_requirements() -> set[tuple[str, str]]:
    """(name, version) of each pin in docker/requirements-runtime.txt for the images' Python
    (3.11: a pin marked for 3.12 and later is another interpreter's)."""
    pins: set[tuple[str, str]] = set()
    text = (REPO / "docker" / "requirements-runtime.txt").read_text()
    for name, version, marker in re.findall(r"^([\w.-]+)==([\w.]+)( ;[^\\]*)?", text, re.M):
        if ">= '3.12'" not in marker:
            pins.add((canonicalize_name(name), version))
    return pins
