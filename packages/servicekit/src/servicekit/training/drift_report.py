"""`<service> drift --current new.csv`: PSI per input of a CSV against the model's reference.

The reference is the one the live metrics use (`metadata["reference"]`, fixed at training),
and the CSV is read under the same dataset contract as training data, so the offline report
and the dashboards agree. Writes `report.json` and one plot per drifted input, logs them to
MLflow when MLFLOW_TRACKING_URI is set, and says through its exit code whether any input
crossed the threshold (for a scheduled job to act on).
"""

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from servicekit.artifacts import metadata_path, read_metadata
from servicekit.definition import ServiceDefinition
from servicekit.drift import PSI_THRESHOLD, FeatureDrift, ReferenceProfile
from servicekit.errors import ArtifactError
from servicekit.files import atomic_write
from servicekit.runtime import reference_profile
from servicekit.training.data import DataReport, load_feature_rows

# Under this many rows even an unchanged population shows PSI of a few hundredths.
FEW_ROWS = 1000


def biggest_move(feature: FeatureDrift) -> str:
    """The bin whose share moved most, with its shares: where to look first."""
    i = int(np.argmax(np.abs(feature.current - feature.reference)))
    return f"{feature.bins.labels[i]} {feature.reference[i]:.1%} -> {feature.current[i]:.1%}"


@dataclass(frozen=True)
class DriftReport:
    service: str
    model_version: str
    current: DataReport
    threshold: float
    features: list[FeatureDrift]  # worst first

    @property
    def drifted(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.psi > self.threshold]

    def table(self) -> list[str]:
        width = max(len(f.bins.name) for f in self.features)
        lines = [f"{'input':<{width}}  {'PSI':>7}  verdict  biggest change (reference -> current)"]
        for f in self.features:
            verdict = "DRIFTED" if f.psi > self.threshold else "ok"
            lines.append(f"{f.bins.name:<{width}}  {f.psi:7.4f}  {verdict:<7}  {biggest_move(f)}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "model_version": self.model_version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "threshold": self.threshold,
            "current_data": self.current.as_dict(),
            "drifted": [f.bins.name for f in self.drifted],
            "features": {
                f.bins.name: {
                    "kind": f.bins.kind,
                    "psi": f.psi,
                    "bins": list(f.bins.labels),
                    "reference_shares": f.reference.tolist(),
                    "current_shares": f.current.tolist(),
                    "current_counts": f.counts.tolist(),
                }
                for f in self.features
            },
        }


def load_reference(model_path: Path, definition: ServiceDefinition) -> tuple[str, ReferenceProfile]:
    """The model version and reference profile from the metadata beside `model_path`, checked
    as the service checks them when it loads the model."""
    metadata = read_metadata(model_path, definition.name)
    path = metadata_path(model_path)
    try:
        profile = reference_profile(metadata, definition)
    except ArtifactError as exc:
        raise ArtifactError(f"{path}: {exc}") from exc
    if profile is None:
        raise ArtifactError(f"{path} has no reference distributions (retrain the model)")
    return str(metadata.get("model_version")), profile


def compare(
    definition: ServiceDefinition, model_path: Path, current: Path, threshold: float
) -> DriftReport:
    version, profile = load_reference(model_path, definition)
    X, data = load_feature_rows(current, definition.dataset)
    features = profile.compare({name: X[name].to_numpy() for name in definition.features.inputs})
    return DriftReport(definition.name, version, data, threshold, features)


def _plot(feature: FeatureDrift, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.arange(feature.bins.size)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * feature.bins.size), 4))
    ax.bar(x - 0.2, feature.reference, 0.4, label="reference (training split)")
    ax.bar(x + 0.2, feature.current, 0.4, label="current")
    ax.set_xticks(x, feature.bins.labels, rotation=45, ha="right")
    ax.set_ylabel("share of rows")
    ax.set_title(f"{feature.bins.name}: PSI {feature.psi:.3f}")
    ax.legend()
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    plt.close(fig)


def write(report: DriftReport, out_dir: Path) -> list[Path]:
    """report.json and a plot per drifted input; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "report.json"]
    text = json.dumps(report.as_dict(), indent=2) + "\n"
    atomic_write(files[0], lambda tmp: tmp.write_text(text))
    for feature in report.drifted:
        files.append(out_dir / f"drift_{feature.bins.name}.png")
        _plot(feature, files[-1])
    return files


def track(report: DriftReport, files: list[Path]) -> str | None:
    """Log to MLflow when tracking is configured (MLFLOW_TRACKING_URI); the run id, or None."""
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        return None
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_experiment(f"{report.service}-drift")
    with mlflow.start_run(run_name=f"drift-{report.model_version}") as run:
        mlflow.set_tags({"service": report.service, "model_version": report.model_version})
        mlflow.log_params({"current_sha256": report.current.sha256,
                           "rows_used": report.current.rows_used,
                           "threshold": report.threshold})  # fmt: skip
        mlflow.log_metrics({f"psi_{f.bins.name}": f.psi for f in report.features})
        mlflow.log_metrics({"psi_max": report.features[0].psi,
                            "drifted_inputs": len(report.drifted)})  # fmt: skip
        for file in files:
            mlflow.log_artifact(str(file))
        return str(run.info.run_id)


def run(
    definition: ServiceDefinition,
    model_path: Path,
    current: Path,
    out_dir: Path,
    threshold: float = PSI_THRESHOLD,
) -> int:
    """Print the table, write and track the report; 1 if any input drifted, else 0."""
    report = compare(definition, model_path, current, threshold)
    print(f"{definition.name}: {current} against model {report.model_version} "
          f"({report.current.rows_used} rows used of {report.current.rows_read})")  # fmt: skip
    for line in report.current.lines()[1:]:
        print(f"  {line}")
    if report.current.rows_used < FEW_ROWS:
        print(f"  note: under {FEW_ROWS} rows, PSI is noisy; read small values with care")
    print()
    print("\n".join(report.table()))
    files = write(report, out_dir)
    run_id = track(report, files)
    print(f"\nreport: {files[0]}" + (f"; MLflow run {run_id}" if run_id else ""))
    drifted = [f.bins.name for f in report.drifted]
    if drifted:
        print(f"DRIFT: {', '.join(drifted)} over PSI {threshold}")
        return 1
    print(f"no input over PSI {threshold}")
    return 0
