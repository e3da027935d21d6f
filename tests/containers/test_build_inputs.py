"""What the image build reads: current, pinned, and all inside the build context."""

import re
import subprocess

from tests.containers.conftest import REPO
from tests.helpers import uv_binary


def test_runtime_requirements_match_the_lock_file() -> None:
    exported = subprocess.run(
        [uv_binary(), "export", "--package", "servicekit", "--no-dev", "--no-emit-workspace",
         "--frozen", "--format", "requirements-txt", "--no-header", "-q"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    committed = (REPO / "docker/requirements-runtime.txt").read_text()
    assert committed == exported, (
        "docker/requirements-runtime.txt is stale: run `make requirements`"
    )
    assert "--hash=sha256:" in committed
    pinned = {line.split("==")[0] for line in committed.splitlines() if "==" in line}
    training_only = {"scikit-learn", "scipy", "joblib", "pandas", "mlflow", "matplotlib"}
    assert not pinned & training_only, pinned & training_only
    assert {"numpy", "fastapi", "pydantic", "uvicorn", "prometheus-client"} <= pinned


def test_base_image_is_pinned_to_a_patch_release() -> None:
    dockerfile = (REPO / "docker/Dockerfile").read_text()
    # A literal FROM, the only form Dependabot reads; every other stage builds on it.
    (base,) = re.findall(r"^FROM (\S+) AS base$", dockerfile, re.MULTILINE)
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", base), base
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert stages[0] == base and set(stages[1:]) == {"base"}, stages


def test_dockerignore_admits_everything_the_dockerfile_copies() -> None:
    ignore = (REPO / ".dockerignore").read_text()
    for path in ("docker/requirements-runtime.txt", "docker/wheels/", "packages/servicekit/src/",
                 "services/*/src/", "models/*/model.npz", "models/*/metadata.json",
                 "models/*/MODEL_CARD.md"):  # fmt: skip
        assert f"!{path}" in ignore, path
