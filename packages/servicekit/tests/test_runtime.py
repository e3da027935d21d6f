"""The runtime's states: loading, ready, failed with a reason, drained; and what predict says."""

import json
import logging
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import Trained
from servicekit.artifacts import load_model, save_artifact
from servicekit.definition import Task
from servicekit.errors import ModelNotReadyError
from servicekit.runtime import ModelRuntime


def _copy_with_metadata(
    trained: Trained, tmp_path: Path, without: tuple[str, ...] = (), **changes: object
) -> Path:
    model = tmp_path / "model.npz"
    shutil.copy(trained.model_path, model)
    metadata = {k: v for k, v in trained.metadata.items() if k not in without} | changes
    model.with_name("metadata.json").write_text(json.dumps(metadata))
    return model


def test_before_loading_nothing_is_predicted(service: Trained) -> None:
    runtime = ModelRuntime(service.definition)
    assert not runtime.ready and runtime.version == "unknown" and runtime.threshold == 0.5
    assert runtime.error is None and runtime.reference is None and runtime.card is None
    with pytest.raises(ModelNotReadyError, match=r"^model is still loading$"):
        runtime.predict({})


def test_a_failed_load_keeps_its_reason_for_predict(
    service: Trained, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = ModelRuntime(service.definition)
    with caplog.at_level(logging.INFO, logger="servicekit.runtime"):
        runtime.load(tmp_path / "absent.joblib")
    assert not runtime.ready
    assert runtime.error is not None and runtime.error.startswith("model file not found")
    (record,) = caplog.records
    assert (record.levelno, record.getMessage()) == (logging.ERROR, "model load failed")
    assert record.model_path == str(tmp_path / "absent.joblib")  # type: ignore[attr-defined]
    assert record.error == runtime.error  # type: ignore[attr-defined]
    with pytest.raises(ModelNotReadyError) as err:
        runtime.predict({})
    assert err.value.message == runtime.error


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"warmup_example": {}}, "metadata has no warmup_example"),
        ({"warmup_example": None}, "metadata has no warmup_example"),
    ],
)
def test_a_model_without_a_warm_up_example_is_not_served(
    service: Trained, tmp_path: Path, changes: dict[str, object], reason: str
) -> None:
    runtime = ModelRuntime(service.definition)
    runtime.load(_copy_with_metadata(service, tmp_path, **changes))
    assert not runtime.ready and runtime.error == reason


def test_an_unexpected_failure_is_named_with_the_model_path(
    service: Trained, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = _copy_with_metadata(service, tmp_path, warmup_example=["not", "a", "mapping"])
    runtime = ModelRuntime(service.definition)
    with caplog.at_level(logging.INFO, logger="servicekit.runtime"):
        runtime.load(model)
    assert not runtime.ready
    assert runtime.error is not None
    assert runtime.error.startswith(f"cannot use model {model}: AttributeError: ")
    (record,) = caplog.records
    assert (record.levelno, record.getMessage()) == (logging.ERROR, "model load failed")
    assert record.model_path == str(model) and record.exc_info  # type: ignore[attr-defined]


def test_the_reference_profile_is_loaded_with_the_model(service: Trained) -> None:
    runtime = service.runtime()
    assert runtime.reference is not None
    kinds = {f.name: f.kind for f in runtime.reference.features}
    assert kinds == service.definition.features.kinds
    assert runtime.reference.as_metadata() == service.metadata["reference"]


def test_a_model_trained_before_reference_profiles_is_served_without_one(
    service: Trained, tmp_path: Path
) -> None:
    runtime = ModelRuntime(service.definition)
    runtime.load(_copy_with_metadata(service, tmp_path, without=("reference",)))
    assert runtime.ready and runtime.reference is None


def _reference_without_first_input(trained: Trained) -> dict[str, object]:
    reference = json.loads(json.dumps(trained.metadata["reference"]))
    first = trained.definition.features.inputs[0]
    del reference["features"][first]
    return dict(reference)


def test_a_reference_that_does_not_fit_the_service_is_refused(
    service: Trained, tmp_path: Path
) -> None:
    runtime = ModelRuntime(service.definition)
    broken = {"rows": 10, "features": {"x": {"kind": "numeric", "shares": [1.0]}}}
    runtime.load(_copy_with_metadata(service, tmp_path, reference=broken))
    assert runtime.error == (
        "metadata reference: feature x: 2 positive shares summing to 1 expected"
    )
    runtime.load(
        _copy_with_metadata(service, tmp_path, reference=_reference_without_first_input(service))
    )
    assert not runtime.ready
    assert runtime.error is not None and runtime.error.startswith("metadata reference bins {")
    assert service.definition.features.inputs[0] in runtime.error.split("not the")[1]


def test_the_card_is_read_with_the_model_and_an_unreadable_one_is_refused(
    service: Trained, tmp_path: Path
) -> None:
    runtime = service.runtime()
    assert runtime.card == service.model_path.with_name("MODEL_CARD.md").read_text()
    model = _copy_with_metadata(service, tmp_path)
    runtime.load(model)
    assert runtime.ready and runtime.card is None  # trained before cards: served without
    model.with_name("MODEL_CARD.md").write_bytes(b"# card \xff\n")
    runtime = ModelRuntime(service.definition)
    runtime.load(model)
    assert not runtime.ready
    assert runtime.error is not None
    assert runtime.error.startswith(
        f"cannot read the model card {model.with_name('MODEL_CARD.md')}"
    )


def test_a_model_that_predicts_nan_is_not_served(service: Trained, tmp_path: Path) -> None:
    spec = service.definition.features
    model, metadata = load_model(service.model_path, service.definition.name, spec)
    corrupted = replace(model, leaf_values=np.full_like(model.leaf_values, np.nan))
    runtime = ModelRuntime(service.definition)
    runtime.load(save_artifact(tmp_path, {}, corrupted, metadata))
    assert not runtime.ready
    assert runtime.error == "warm-up prediction is not finite: [nan]"


def test_a_drained_runtime_refuses_predictions(service: Trained) -> None:
    runtime = service.runtime()
    row = {k: [v] for k, v in service.metadata["warmup_example"].items()}  # type: ignore[union-attr]
    assert len(runtime.predict(row).outcomes) == 1
    runtime.mark_unready()
    with pytest.raises(ModelNotReadyError):
        runtime.predict(row)


def test_a_reload_replaces_the_model_and_clears_the_error(
    service: Trained, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = ModelRuntime(service.definition)
    runtime.load(tmp_path / "absent.joblib")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="servicekit.runtime"):
        runtime.load(service.model_path)
    assert runtime.ready and runtime.error is None
    (record,) = caplog.records
    assert (record.levelno, record.getMessage()) == (logging.INFO, "model ready")
    assert record.model_path == str(service.model_path)  # type: ignore[attr-defined]
    assert record.model_version == service.metadata["model_version"]  # type: ignore[attr-defined]
    assert runtime.version == service.metadata["model_version"]
    expected = service.metadata["threshold"]
    assert runtime.threshold == (0.5 if expected is None else expected)


def test_outcomes_follow_the_threshold_or_the_value_bands(service: Trained) -> None:
    runtime = service.runtime()
    example = service.metadata["warmup_example"]
    assert isinstance(example, dict)
    predictions = runtime.predict({k: [v] * 3 for k, v in example.items()})
    definition = service.definition
    if definition.task is Task.BINARY:
        assert predictions.classes is not None
        decided = (predictions.values >= runtime.threshold).astype(np.int64)
        assert predictions.classes.tolist() == decided.tolist()
        assert predictions.outcomes == [definition.class_labels[c] for c in decided]
    elif definition.task is Task.MULTICLASS:
        assert predictions.classes is not None
        assert predictions.values.shape == (3, len(definition.class_labels))
        most = [int(np.argmax(row)) for row in predictions.values]
        assert predictions.classes.tolist() == most
        assert predictions.outcomes == [definition.class_labels[c] for c in most]
    else:
        assert predictions.classes is None
        bands = definition.value_bands
        for value, outcome in zip(predictions.values, predictions.outcomes, strict=True):
            assert outcome == next((n for upper, n in bands if value < upper), bands[-1][1])
