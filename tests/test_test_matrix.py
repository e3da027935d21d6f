"""scripts/test-matrix.sh finds interpreters where machines keep them, and says what it skips."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from registry import names
from tests.helpers import uv_binary

REPO = Path(__file__).resolve().parents[1]
BARE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def _bare_path(tmp_path: Path) -> str:
    """A PATH with only the commands the script itself runs: no Python on it at all."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname"):
        found = shutil.which(tool, path=BARE_PATH)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def _pyenv_with_this_python(root: Path) -> Path:
    """A pyenv versions folder holding (a link to) the interpreter running the tests, which
    the bare PATH may lack (Debian ships 3.11 only): the script must find it there."""
    bin_dir = root / "versions" / f"{VERSION}.99" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / f"python{VERSION}").symlink_to(Path(sys.executable).resolve())
    return bin_dir / f"python{VERSION}"


def _list(*versions: str, repo: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"HOME": os.environ.get("HOME", "/root"), "PATH": BARE_PATH, "UV": uv_binary()}
    return subprocess.run(
        [str(repo / "scripts/test-matrix.sh"), "--list", *versions],
        env=base | env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_an_interpreter_only_in_a_pyenv_versions_folder_is_found(tmp_path: Path) -> None:
    """No Python on PATH; this one is found under PYENV_ROOT/versions, as pyenv installs it
    (and, with no python3 on PATH, it also reads the registry's services)."""
    python = _pyenv_with_this_python(tmp_path)
    done = _list(VERSION, PYENV_ROOT=str(tmp_path), PATH=_bare_path(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"Python {VERSION} is {python}" in done.stdout
    factors = ("kit", *names())
    envs = " ".join(f"py{VERSION.replace('.', '')}-{f}" for f in factors)
    assert done.stdout.splitlines()[-1] == f"test-matrix: would run {envs}"


def test_a_registry_without_services_stops_the_run_in_one_line(tmp_path: Path) -> None:
    """A copy of the script and the registry beside an empty services.toml."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts/test-matrix.sh", repo / "scripts")
    shutil.copytree(REPO / "registry", repo / "registry", ignore=shutil.ignore_patterns("tests"))
    (repo / "services.toml").write_text("")
    _pyenv_with_this_python(tmp_path)
    done = _list(VERSION, repo=repo, PYENV_ROOT=str(tmp_path), PATH=_bare_path(tmp_path))
    assert done.returncode == 2
    assert "would run" not in done.stdout
    assert done.stderr.splitlines()[-1].startswith("test-matrix: no services:"), done.stderr


def test_listing_leaves_the_interpreter_links_of_a_real_run_alone(tmp_path: Path) -> None:
    """The suite runs --list inside tox's own matrix run; it must not swap the links that
    run's later environments find their interpreters by."""
    links = REPO / ".tox" / "pythons"
    before = sorted((p.name, os.readlink(p)) for p in links.iterdir()) if links.is_dir() else None
    _pyenv_with_this_python(tmp_path)
    listed = _list(VERSION, PYENV_ROOT=str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    after = sorted((p.name, os.readlink(p)) for p in links.iterdir()) if links.is_dir() else None
    assert after == before


def test_a_version_with_no_interpreter_is_skipped_by_name(tmp_path: Path) -> None:
    _pyenv_with_this_python(tmp_path)
    done = _list("3.99", VERSION, PYENV_ROOT=str(tmp_path))
    assert "skipping Python 3.99: no CPython 3.99 on PATH, in pyenv's versions" in done.stderr
    nothing = _list("3.99", PYENV_ROOT=str(tmp_path))
    assert nothing.returncode == 1
    assert nothing.stderr.strip().endswith("no interpreter found; nothing ran")
    required = _list("3.99", VERSION, PYENV_ROOT=str(tmp_path), MATRIX_REQUIRED="1")
    assert required.returncode == 1 and "would run" not in required.stdout
