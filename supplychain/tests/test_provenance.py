"""The provenance predicate of a service image, from GitHub's variables and the real inputs."""

import hashlib
import json
from pathlib import Path

import pytest

from supplychain.provenance import (
    BASE_IMAGE_PROPERTY,
    BUILD_INPUTS,
    GITHUB_VARIABLES,
    REPO,
    main,
    predicate,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"
RUN = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/platform",
    "GITHUB_WORKFLOW_REF": "acme/platform/.github/workflows/images.yml@refs/heads/main",
    "GITHUB_RUN_ID": "42",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_EVENT_NAME": "workflow_run",
    "RUNNER_ENVIRONMENT": "github-hosted",
}


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    (tmp_path / "churn").mkdir()
    for name, text in [("model.npz", "m"), ("metadata.json", "{}"), ("MODEL_CARD.md", "# c")]:
        (tmp_path / "churn" / name).write_text(text)
    return tmp_path


@pytest.fixture
def sbom(tmp_path: Path) -> Path:
    """An SBOM's subject as supplychain/sbom.py writes it, with the base image."""
    path = tmp_path / "churn.cdx.json"
    prop = {"name": BASE_IMAGE_PROPERTY, "value": "python@sha256:" + "b" * 64}
    path.write_text(json.dumps({"metadata": {"component": {"properties": [prop]}}}))
    return path


def test_the_predicate_names_the_run_the_commit_and_every_input_by_digest(
    model_dir: Path,
) -> None:
    found = predicate("churn", COMMIT, model_dir, "python@sha256:" + "a" * 64, RUN)
    build = found["buildDefinition"]
    assert build["externalParameters"]["workflow"] == {
        "ref": "refs/heads/main",
        "repository": "https://github.com/acme/platform",
        "path": ".github/workflows/images.yml",
    }
    assert found["runDetails"]["builder"]["id"] == (
        "https://github.com/acme/platform/.github/workflows/images.yml@refs/heads/main"
    )
    assert found["runDetails"]["metadata"]["invocationId"].endswith("/actions/runs/42/attempts/2")
    inputs = build["resolvedDependencies"]
    assert inputs[0] == {
        "uri": "git+https://github.com/acme/platform@refs/heads/main",
        "digest": {"gitCommit": COMMIT},
    }
    digests = {i["name"]: i["digest"]["sha256"] for i in inputs if "sha256" in i.get("digest", {})}
    for name in BUILD_INPUTS:
        assert digests[name] == hashlib.sha256((REPO / name).read_bytes()).hexdigest()
    assert digests["models/churn/model.npz"] == hashlib.sha256(b"m").hexdigest()
    assert {"name": "base image", "uri": "python@sha256:" + "a" * 64} in inputs


@pytest.mark.parametrize("unset", GITHUB_VARIABLES)
def test_outside_a_github_run_it_exits_2_with_one_line(
    unset: str,
    model_dir: Path,
    sbom: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in RUN.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(unset)
    args = ["--service", "churn", "--commit", COMMIT, "--model-dir", str(model_dir)]
    assert main([*args, "--sbom", str(sbom)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == f"provenance: not in a GitHub Actions run: {unset} unset\n"


def test_a_missing_model_sbom_or_base_or_a_short_commit_exits_2_with_one_line(
    model_dir: Path, sbom: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in RUN.items():
        monkeypatch.setenv(name, value)
    base = ["--model-dir", str(model_dir), "--sbom", str(sbom)]
    assert main(["--service", "other", "--commit", COMMIT, *base]) == 2
    assert capsys.readouterr().err.startswith("provenance: no ")
    assert main(["--service", "churn", "--commit", "abc123", *base]) == 2
    assert capsys.readouterr().err == (
        "provenance: --commit 'abc123' is not a full git commit hash\n"
    )
    bare = sbom.with_name("bare.json")
    bare.write_text("{}")
    assert main(["--service", "churn", "--commit", COMMIT, "--sbom", str(bare)]) == 2
    assert "names no base image" in capsys.readouterr().err
    assert main(["--service", "churn", "--commit", COMMIT, *base]) == 0
    printed = json.loads(capsys.readouterr().out)["buildDefinition"]["resolvedDependencies"]
    assert {"name": "base image", "uri": "python@sha256:" + "b" * 64} in printed
