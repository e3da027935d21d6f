"""The proof of `make new-service`: in a scratch copy of this repository, a fourth service is
scaffolded from a real public dataset (scikit-learn's wine data, as a CSV: 178 wines, three
cultivars, so the platform's first multiclass service), and the platform's own checks pass
on it: its unit and behavioural tests, the HTTP contract, schemathesis, strict manifest
validation with restricted pod security and the 2-CPU budget, promtool, Terraform's fmt and
validate, lint and types. Then `make remove-service` leaves `git status` clean. The figures
go to the test's output (pytest -s, or the report)."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Trained
from registry import names
from scaffold.tests.test_service import copy_tree

NAME = "wine"
# A bare PATH, as CI's: every tool must come from the copy's own setup. The rest of the
# environment stays (proxies and certificates that reach the package index).
ENV = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}} | {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}


def _run(root: Path, *args: str, env: dict[str, str] = ENV) -> str:
    done = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=1200,
                          check=False)  # fmt: skip
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def _seed_models(trained_root: Path, cache: Path) -> None:
    """The fork's test sessions reuse this session's models of the services it shares (same
    code, same rows): only the service it adds is trained there."""
    cache.mkdir()
    for name in names():
        shutil.copytree(trained_root / name, cache / name)
        for file in (f"{name}.csv", f"{name}.trained.json"):
            shutil.copy2(trained_root / file, cache / file)


@pytest.mark.slow
@pytest.mark.fork
def test_a_fork_adds_a_service_from_a_real_csv_and_removes_it_cleanly(
    tmp_path: Path, trained_models: dict[str, Trained], trained_root: Path
) -> None:
    from sklearn.datasets import load_wine

    data = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"}).to_csv(data, index=False)
    root = copy_tree(tmp_path / "fork")
    _run(root, "git", "init", "-q")
    _run(root, "git", "add", "-A")
    _run(root, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "fork")
    _run(root, "make", "setup")

    start = time.monotonic()
    out = _run(root, "make", "new-service", f"NAME={NAME}", f"DATA={data}", "TARGET=cultivar")
    seconds = time.monotonic() - start
    assert f"new-service: {NAME} is registered, generated, locked and trained" in out
    assert (root / "models" / NAME / "model.npz").is_file()
    answers = (root / "services" / NAME / ".copier-answers.yml").read_text()
    assert "task: multiclass" in answers, "inferred from the file: three cultivars"
    print(f"make new-service on wine.csv (178 rows, 13 inputs, 3 classes): {seconds:.1f} s")

    _seed_models(trained_root, tmp_path / "models")
    cached = ENV | {"MLOPS_TRAINED_MODELS": str(tmp_path / "models")}
    _run(root, "make", "generate-check")
    _run(root, ".venv/bin/ruff", "check", f"services/{NAME}")
    _run(root, ".venv/bin/ruff", "format", "--check", f"services/{NAME}")
    _run(root, ".venv/bin/mypy", f"services/{NAME}/src", "scaffold", "registry")
    pytest_run = [".venv/bin/pytest", "-q", "-p", "no:cacheprovider", "-x"]
    _run(root, *pytest_run, f"services/{NAME}", "registry", env=cached)
    # The HTTP contract and the fuzzer on the new service only; the session trains them all.
    _run(root, *pytest_run, "tests/test_api.py", "tests/test_openapi_contract.py",
         "tests/test_openapi_fuzz.py", "-k", f"{NAME} or not [", env=cached)  # fmt: skip
    _run(root, *pytest_run, "k8s/tests/test_schema.py", "k8s/tests/test_security.py",
         "k8s/tests/test_small_hosts.py", "k8s/tests/test_consistency.py",
         "monitoring/tests/test_prometheus.py")  # fmt: skip
    _run(root, *pytest_run, "terraform/tests/test_static.py",
         "-k", "formatted or (validates and platform)")  # fmt: skip

    _run(root, "make", "remove-service", f"NAME={NAME}")
    status = _run(root, "git", "status", "--porcelain")
    assert status == "", f"remove-service left changes:\n{status}"
