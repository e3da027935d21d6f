"""Each image run the way the kind overlay's pod spec runs it: same user, read-only root
filesystem, no capabilities, no privilege escalation, an emptyDir-like /tmp, the memory and
CPU limits, and the environment of the rendered ConfigMaps and Secret. What Kubernetes would
enforce, Docker enforces here, so a manifest the image cannot live with fails before a cluster."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import docker
from conftest import SERVICES, Trained
from k8s.tests.manifests import cpu_cores, memory_bytes, one, pod_environment, pod_spec, render
from servicekit.keys import hash_key
from tests.helpers import examples, wait_until

pytestmark = pytest.mark.integration

POD_KEY = "pod-spec-test-key"


@pytest.fixture(params=SERVICES)
def pod(
    request: pytest.FixtureRequest,
    docker_client: docker.DockerClient,
    images: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Any, str, dict[str, Any], str]]:
    name = request.param
    objs = render("kind")
    spec = pod_spec(one(objs, "Deployment", name))
    (c,) = spec["containers"]
    sc = c["securityContext"]
    assert sc["capabilities"]["drop"] == ["ALL"] and sc["readOnlyRootFilesystem"] is True
    (tmp,) = [m for m in c["volumeMounts"] if m["name"] == "tmp"]
    # The Secret volume of the keys file, as the kubelet mounts it: read-only, world-readable.
    (keys,) = [m for m in c["volumeMounts"] if m["name"] == "api-keys"]
    secret_dir = tmp_path_factory.mktemp("api-keys")
    (secret_dir / "api-keys").write_text(f"pod-test {hash_key(POD_KEY)}\n")
    secret_dir.chmod(0o755)
    container = docker_client.containers.run(
        images[name],
        detach=True,
        environment=pod_environment(objs, spec),
        user=f"{sc['runAsUser']}:{sc['runAsGroup']}",
        read_only=True,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges:true"],
        tmpfs={tmp["mountPath"]: "size=64m"},
        volumes={str(secret_dir): {"bind": keys["mountPath"], "mode": "ro"}},
        mem_limit=int(memory_bytes(c["resources"]["limits"]["memory"])),
        nano_cpus=int(cpu_cores(c["resources"]["limits"]["cpu"]) * 1e9),
        ports={f"{c['ports'][0]['containerPort']}/tcp": ("127.0.0.1", None)},
    )
    try:
        container.reload()
        port = container.ports[f"{c['ports'][0]['containerPort']}/tcp"][0]["HostPort"]
        yield container, f"http://127.0.0.1:{port}", c, name
    finally:
        container.remove(force=True)


def test_pod_spec_settings_let_the_image_serve(
    pod: tuple[Any, str, dict[str, Any], str], trained_models: dict[str, Trained]
) -> None:
    container, base, spec, name = pod
    trained = trained_models[name]
    with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:
        wait_until(lambda: http.get("/ready").status_code == 200, 60, "ready under the pod spec")
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert http.get(spec[probe]["httpGet"]["path"]).status_code == 200, probe
        body = examples(trained.definition)[0]
        predicted = http.post("/predict", json=body, headers={"X-API-Key": POD_KEY})
        assert predicted.status_code == 200, predicted.text
        # API_KEYS_FILE of the pod spec names the mounted file: without its key, a 401.
        assert http.post("/predict", json=body).status_code == 401
    logs = container.logs().decode()
    assert "Read-only file system" not in logs and "Permission denied" not in logs, logs[-2000:]


def test_stops_cleanly_within_the_grace_period(pod: tuple[Any, str, dict[str, Any], str]) -> None:
    container, base, _, name = pod
    with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:
        wait_until(lambda: http.get("/ready").status_code == 200, 60, "ready")
    grace = one(render("kind"), "Deployment", name)["spec"]["template"]["spec"][
        "terminationGracePeriodSeconds"
    ]
    container.stop(timeout=grace)
    container.reload()
    assert container.attrs["State"]["ExitCode"] == 0
