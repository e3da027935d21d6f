"""Each service's live OpenAPI document, fuzzed by schemathesis with every check and every
phase: what the document promises (statuses, headers, schemas, auth) is what the service
does. Bounded by examples per operation and a fixed seed, so a run is repeatable."""

import subprocess
from pathlib import Path

import pytest

from conftest import Trained
from registry import names
from tests.helpers import running_service, venv_tool

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 25
SEED = 20261202


def _fuzz(url: str, workdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    schemathesis = venv_tool("schemathesis")
    assert schemathesis, "schemathesis is a locked dev dependency: run `make setup`"
    command = [
        schemathesis, "--config-file", str(CONFIG), "run", url,
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--generation-database", "none",
        "--no-color",
        *extra,
    ]  # fmt: skip
    # Its reports, if any, go to the temporary workdir, out of the checkout.
    return subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=workdir, check=False
    )


@pytest.mark.slow
def test_the_openapi_contract_holds_under_fuzzing(service: Trained, tmp_path: Path) -> None:
    with running_service(service.definition, service.model_path, LOG_LEVEL="WARNING") as (_, base):
        done = _fuzz(f"{base}/openapi.json", tmp_path)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "passed" in done.stdout, done.stdout[-2000:]


@pytest.mark.slow
def test_the_contract_holds_with_the_api_key_enforced(
    trained_models: dict[str, Trained], tmp_path: Path
) -> None:
    # With API_KEY set the document declares the scheme; `ignored_auth` then checks that a
    # request without the key, or with a wrong one, is refused.
    trained = trained_models[names()[0]]
    with running_service(
        trained.definition, trained.model_path, LOG_LEVEL="WARNING", API_KEY="fuzz-key"
    ) as (_, base):
        done = _fuzz(f"{base}/openapi.json", tmp_path, "--header", "X-API-Key: fuzz-key")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
