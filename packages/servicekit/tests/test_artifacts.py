import json
from pathlib import Path

import pytest

from servicekit.artifacts import card_path, load_artifact, save_artifact
from servicekit.errors import ArtifactError


def test_round_trip_and_no_temporary_files_left(tmp_path: Path) -> None:
    path = save_artifact(tmp_path / "m", {"weights": [1, 2]}, {"service": "svc", "v": 1})
    model, meta = load_artifact(path, "svc")
    assert model == {"weights": [1, 2]} and meta["v"] == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["metadata.json", "model.joblib"]


def test_a_card_is_written_beside_the_model(tmp_path: Path) -> None:
    path = save_artifact(tmp_path, {}, {"service": "svc"}, card="# Model card\n")
    assert card_path(path) == tmp_path / "MODEL_CARD.md"
    assert card_path(path).read_text() == "# Model card\n"
    assert card_path(path).stat().st_mode & 0o777 == 0o644
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["MODEL_CARD.md", "metadata.json", "model.joblib"]


def test_artifacts_are_readable_by_other_users(tmp_path: Path) -> None:
    """The image runs as a non-root user; 0600 files from mkstemp would be unreadable."""
    path = save_artifact(tmp_path, {}, {"service": "svc"})
    for file in (path, path.with_name("metadata.json")):
        assert file.stat().st_mode & 0o777 == 0o644


def test_an_artifact_of_another_service_is_refused(tmp_path: Path) -> None:
    path = save_artifact(tmp_path, {}, {"service": "carvision"})
    with pytest.raises(ArtifactError, match="belongs to 'carvision', not 'telecom'"):
        load_artifact(path, "telecom")


def test_missing_or_corrupt_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="model file not found"):
        load_artifact(tmp_path / "model.joblib", "svc")
    path = save_artifact(tmp_path, {}, {"service": "svc"})
    path.with_name("metadata.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="metadata is not valid JSON"):
        load_artifact(path, "svc")
    path.with_name("metadata.json").write_text(json.dumps({"service": "svc"}))
    path.write_bytes(b"not a joblib file")
    with pytest.raises(ArtifactError, match="cannot load model"):
        load_artifact(path, "svc")


def test_a_failed_write_keeps_the_previous_artifact(tmp_path: Path) -> None:
    save_artifact(tmp_path, {"good": True}, {"service": "svc"})

    class Unpicklable:
        def __reduce__(self) -> tuple:  # type: ignore[type-arg]
            raise RuntimeError("cannot pickle")

    with pytest.raises(RuntimeError):
        save_artifact(tmp_path, Unpicklable(), {"service": "svc"})
    model, _ = load_artifact(tmp_path / "model.joblib", "svc")
    assert model == {"good": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metadata.json", "model.joblib"]
