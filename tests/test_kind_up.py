"""make kind-up stops at its first step with one line naming what is missing. (The cluster
steps need kind and a registry, which CI has and this suite does not assume.)"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PINS = {"KIND_VERSION": "v0.33.0", "KUBECTL_VERSION": "v1.37.1", "GATEWAY_API_VERSION": "v1.5.1"}


def _run_up(path: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(REPO / "scripts/kind/up.sh")],
        env={"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), **PINS, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _path_without(tmp_path: Path, *hidden: str) -> str:
    """A PATH with the usual tools linked in, minus `hidden`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "uname", "tr", "git", "curl", "cat", "docker", "sed", "grep"):
        found = shutil.which(tool)
        if found and tool not in hidden:
            (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


@pytest.mark.parametrize("tool", ["docker", "git", "curl"])
def test_names_a_missing_tool(tmp_path: Path, tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not on this machine, so hiding it proves nothing")
    done = _run_up(_path_without(tmp_path, tool))
    assert done.returncode == 2
    assert "==> checking prerequisites" in done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"kind-up: missing: {tool}")


def test_names_an_engine_that_does_not_answer(tmp_path: Path) -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI on this machine")
    done = _run_up(_path_without(tmp_path), DOCKER_HOST=f"unix://{tmp_path}/no.sock")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert (
        line
        == "kind-up: Docker is installed but no engine answers: start Docker Desktop or dockerd"
    )


def test_refuses_to_run_without_the_pinned_versions() -> None:
    done = subprocess.run(
        ["bash", str(REPO / "scripts/kind/up.sh")],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "KIND_VERSION: set by the Makefile" in done.stderr


def _engine_info() -> tuple[int, str]:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI on this machine")
    done = subprocess.run(["docker", "info", "--format", "{{.NCPU}} {{.CgroupVersion}}"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip("no Docker engine answers here")
    ncpu, cgroup = done.stdout.split()
    return int(ncpu), cgroup


def test_stops_when_the_engine_has_too_few_cpus(tmp_path: Path) -> None:
    ncpu, _ = _engine_info()
    done = _run_up(_path_without(tmp_path), KIND_MIN_CPUS=str(ncpu + 1))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line == (
        f"kind-up: the Docker engine has {ncpu} CPU(s); the platform on kind needs {ncpu + 1} "
        "(give Docker more CPUs)"
    )


def test_stops_on_a_cgroup_v1_engine(tmp_path: Path) -> None:
    ncpu, cgroup = _engine_info()
    if cgroup == "2":
        pytest.skip("this engine runs on cgroup v2, which kind-up accepts")
    done = _run_up(_path_without(tmp_path), KIND_MIN_CPUS=str(ncpu))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"kind-up: the Docker engine runs on cgroup v{cgroup};")
    assert "make hostcluster-up" in line
