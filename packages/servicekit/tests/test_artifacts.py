import json
from pathlib import Path

import numpy as np
import pytest

from servicekit.artifacts import card_path, load_model, load_pipeline, save_artifact
from servicekit.errors import ArtifactError
from servicekit.features import FeatureSpec
from servicekit.scoring import ScoringModel

SPEC = FeatureSpec(numeric=("x",))


def _model(high: float = 2.0) -> ScoringModel:
    """One tree, one split at x = 0.5: leaves 1.0 (left, also missing) and `high`."""
    return ScoringModel(
        columns=("x",), categories={}, fill={}, cuts=(np.array([0.5]),),
        masks=(np.array([[0b11], [0b10], [0b11]], dtype=np.uint8),),
        leaf_values=np.array([[1.0, high]]), baseline=(0.0,), link="identity",
    )  # fmt: skip


def _served(path: Path, service: str = "svc") -> list[float]:
    model, _ = load_model(path, service, SPEC)
    return model.predict(SPEC, {"x": [0.0, 1.0, None]}).tolist()


def test_round_trip_and_no_temporary_files_left(tmp_path: Path) -> None:
    path = save_artifact(tmp_path / "m", {"weights": [1, 2]}, _model(), {"service": "svc", "v": 1})
    assert path == tmp_path / "m" / "model.npz"
    assert _served(path) == [1.0, 2.0, 1.0]
    assert load_model(path, "svc", SPEC)[1]["v"] == 1
    assert load_pipeline(path) == {"weights": [1, 2]}
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["metadata.json", "model.joblib", "model.npz"]


def test_a_card_is_written_beside_the_model(tmp_path: Path) -> None:
    path = save_artifact(tmp_path, {}, _model(), {"service": "svc"}, card="# Model card\n")
    assert card_path(path) == tmp_path / "MODEL_CARD.md"
    assert card_path(path).read_text() == "# Model card\n"
    assert card_path(path).stat().st_mode & 0o777 == 0o644
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["MODEL_CARD.md", "metadata.json", "model.joblib", "model.npz"]


def test_artifacts_are_readable_by_other_users(tmp_path: Path) -> None:
    """The image runs as a non-root user; 0600 files from mkstemp would be unreadable."""
    save_artifact(tmp_path, {}, _model(), {"service": "svc"})
    for name in ("model.npz", "model.joblib", "metadata.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


def test_an_artifact_of_another_service_is_refused(tmp_path: Path) -> None:
    path = save_artifact(tmp_path, {}, _model(), {"service": "cars"})
    with pytest.raises(ArtifactError, match="belongs to 'cars', not 'svc'"):
        load_model(path, "svc", SPEC)


def test_missing_or_corrupt_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="model file not found"):
        load_model(tmp_path / "model.npz", "svc", SPEC)
    path = save_artifact(tmp_path, {}, _model(), {"service": "svc"})
    path.with_name("metadata.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="metadata is not valid JSON"):
        load_model(path, "svc", SPEC)
    path.with_name("metadata.json").write_text(json.dumps({"service": "svc"}))
    path.write_bytes(b"not an npz file")
    with pytest.raises(ArtifactError, match=f"^cannot load model {path}: "):
        load_model(path, "svc", SPEC)
    path.with_name("model.joblib").write_bytes(b"not a joblib file")
    with pytest.raises(ArtifactError, match=r"^cannot load the pipeline .*model\.joblib: "):
        load_pipeline(path)


def test_a_failed_write_keeps_the_previous_artifact(tmp_path: Path) -> None:
    save_artifact(tmp_path, {"good": True}, _model(), {"service": "svc"})

    class Unpicklable:
        def __reduce__(self) -> tuple:  # type: ignore[type-arg]
            raise RuntimeError("cannot pickle")

    with pytest.raises(RuntimeError):
        save_artifact(tmp_path, Unpicklable(), _model(high=5.0), {"service": "other"})
    assert load_pipeline(tmp_path / "model.npz") == {"good": True}
    assert _served(tmp_path / "model.npz") == [1.0, 2.0, 1.0]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["metadata.json", "model.joblib", "model.npz"]
