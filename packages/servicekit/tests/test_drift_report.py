"""`<service> drift`: the offline report on real trained models, through the command line."""

import json
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest

from conftest import Trained
from servicekit.cli import run
from servicekit.drift import PSI_THRESHOLD


@pytest.fixture
def churn(trained_models: dict[str, Trained]) -> Trained:
    return trained_models["bankchurn"]


def _drift(churn: Trained, current: Path, out: Path, *extra: str) -> int:
    args = ["drift", "--current", str(current), "--model", str(churn.model_path), "--out", str(out)]
    return run(churn.definition, [*args, *extra])


def _inputs_without_target(churn: Trained, tmp_path: Path, **shift: int) -> Path:
    """The training file's first 3000 rows as unlabelled inputs, some columns shifted."""
    frame = pd.read_csv(churn.data_path).head(3000).drop(columns=["Exited"])
    for column, years in shift.items():
        frame[column] = (frame[column] + years).clip(upper=100)
    path = tmp_path / "current.csv"
    frame.to_csv(path, index=False)
    return path


def test_inputs_like_training_pass_with_a_full_report(
    churn: Trained, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = _inputs_without_target(churn, tmp_path)
    assert _drift(churn, current, tmp_path / "out") == 0
    out = capsys.readouterr().out
    assert f"against model {churn.metadata['model_version']} (3000 rows used of 3000)" in out
    assert out.rstrip().endswith(f"no input over PSI {PSI_THRESHOLD}")
    report: dict[str, Any] = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["drifted"] == [] and report["threshold"] == PSI_THRESHOLD
    assert set(report["features"]) == set(churn.definition.features.inputs)
    reference = churn.metadata["reference"]
    assert isinstance(reference, dict)
    for name, feature in report["features"].items():
        assert feature["psi"] < 0.02, name
        assert feature["bins"] == reference["features"][name]["bins"]
        assert feature["reference_shares"] == reference["features"][name]["shares"]
        assert sum(feature["current_counts"]) == 3000
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.json"]


def test_a_shifted_input_fails_the_run_and_is_plotted_and_tracked(
    churn: Trained, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = _inputs_without_target(churn, tmp_path, Age=15)
    assert _drift(churn, current, tmp_path / "out") == 1
    out = capsys.readouterr().out
    table = out[out.index("input ") :].splitlines()
    assert table[1].startswith("Age ") and " DRIFTED " in table[1]  # worst first
    assert all(" ok " in line for line in table[2 : len(churn.definition.features.inputs) + 1])
    assert f"DRIFT: Age over PSI {PSI_THRESHOLD}" in out
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["drift_Age.png", "report.json"]
    assert (tmp_path / "out" / "drift_Age.png").read_bytes().startswith(b"\x89PNG")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["drifted"] == ["Age"] and report["features"]["Age"]["psi"] > 1.0
    # The session's MLflow store is configured (MLFLOW_TRACKING_URI): the run is there.
    run_id = out.split("MLflow run ")[1].split()[0]
    logged = mlflow.MlflowClient().get_run(run_id)
    assert logged.data.metrics["psi_Age"] == report["features"]["Age"]["psi"]
    assert logged.data.metrics["drifted_inputs"] == 1
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id)}
    assert artifacts == {"report.json", "drift_Age.png"}
    # A stricter or looser threshold moves the verdict, not the figures.
    assert _drift(churn, current, tmp_path / "loose", "--threshold", "50") == 0


def _metadata_without(churn: Trained, tmp_path: Path, key: str, **changes: Any) -> Path:
    metadata = {k: v for k, v in churn.metadata.items() if k != key} | changes
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "metadata.json").write_text(json.dumps(metadata))
    return tmp_path / "model" / "model.npz"


@pytest.mark.parametrize(
    ("key", "changes", "message"),
    [
        ("reference", {}, "has no reference distributions (retrain the model)"),
        ("", {"service": "other"}, "belongs to 'other', not 'bankchurn'"),
        ("", {"reference": {"rows": 1}}, "malformed reference profile: KeyError: 'features'"),
    ],
)
def test_a_model_without_a_usable_reference_is_a_one_line_error(
    churn: Trained,
    tmp_path: Path,
    key: str,
    changes: dict[str, Any],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = _metadata_without(churn, tmp_path, key, **changes)
    current = _inputs_without_target(churn, tmp_path)
    argv = ["drift", "--current", str(current), "--model", str(model)]
    assert run(churn.definition, argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("bankchurn drift: error: ") and line.endswith(message)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "data file not found"),
        ("CreditScore,Age\n600,40\n", "lacks column(s) Geography, Gender, Tenure"),
    ],
)
def test_an_unusable_csv_is_a_one_line_error(
    churn: Trained,
    tmp_path: Path,
    content: str | None,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    current = tmp_path / "current.csv"
    if content is not None:
        current.write_text(content)
    assert _drift(churn, current, tmp_path / "out") == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("bankchurn drift: error: ") and message in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("threshold", ["0", "-1", "nan", "abc"])
def test_a_threshold_must_be_a_positive_number(
    churn: Trained, tmp_path: Path, threshold: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _drift(churn, tmp_path / "x.csv", tmp_path / "out", "--threshold", threshold)
    assert exit_.value.code == 2
    assert "argument --threshold: " in capsys.readouterr().err
