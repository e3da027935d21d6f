"""Model artifact on disk, one directory per model:

- `model.npz`: the served model (`servicekit.scoring`: numpy arrays and JSON, no pickle);
- `model.joblib`: the fitted sklearn pipeline it was exported from, for training-side tools
  (MLflow, benchmarks, parity tests); images do not carry it;
- `MODEL_CARD.md` and `metadata.json`.

Each is written to a temporary file and renamed into place, metadata last, so a reader
never sees a half-written model or a model paired with another run's metadata.
"""

import json
from pathlib import Path
from typing import Any

from servicekit.errors import ArtifactError
from servicekit.features import FeatureSpec
from servicekit.files import atomic_write
from servicekit.scoring import ScoringModel

MODEL_FILE = "model.npz"
PIPELINE_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
CARD_FILE = "MODEL_CARD.md"


def metadata_path(model_path: Path) -> Path:
    return model_path.with_name(METADATA_FILE)


def card_path(model_path: Path) -> Path:
    return model_path.with_name(CARD_FILE)


def pipeline_path(model_path: Path) -> Path:
    return model_path.with_name(PIPELINE_FILE)


def save_artifact(
    out_dir: Path,
    pipeline: Any,
    model: ScoringModel,
    metadata: dict[str, Any],
    card: str | None = None,
) -> Path:
    """Write the artifact; returns the served model's path."""
    # joblib is a training dependency: serving never writes artifacts.
    import joblib

    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE
    atomic_write(pipeline_path(model_path), lambda p: joblib.dump(pipeline, p, compress=3))
    atomic_write(model_path, model.save)
    if card is not None:
        atomic_write(card_path(model_path), lambda p: p.write_text(card))
    atomic_write(
        metadata_path(model_path),
        lambda p: p.write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n"),
    )
    return model_path


def load_model(
    model_path: Path, service: str, spec: FeatureSpec
) -> tuple[ScoringModel, dict[str, Any]]:
    """Load the served model and its metadata, refusing an artifact of another service."""
    if not model_path.is_file():
        raise ArtifactError(f"model file not found: {model_path} (train it first)")
    metadata = read_metadata(model_path, service)
    try:
        model = ScoringModel.load(model_path, spec)
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot load model {model_path}: {exc}") from exc
    return model, metadata


def load_pipeline(model_path: Path) -> Any:
    """The sklearn pipeline beside a served model (training-side tools only)."""
    import joblib

    path = pipeline_path(model_path)
    try:
        return joblib.load(path)
    except Exception as exc:
        raise ArtifactError(f"cannot load the pipeline {path}: {exc}") from exc


def read_metadata(model_path: Path, service: str) -> dict[str, Any]:
    """The metadata beside `model_path`, refusing that of another service's model."""
    meta_path = metadata_path(model_path)
    if not meta_path.is_file():
        raise ArtifactError(f"metadata not found next to the model: {meta_path}")
    try:
        metadata: dict[str, Any] = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"metadata is not valid JSON: {meta_path}: {exc}") from exc
    except OSError as exc:
        raise ArtifactError(f"cannot read {meta_path}: {exc.strerror}") from exc
    if metadata.get("service") != service:
        raise ArtifactError(
            f"artifact at {model_path} belongs to {metadata.get('service')!r}, not {service!r}"
        )
    return metadata
