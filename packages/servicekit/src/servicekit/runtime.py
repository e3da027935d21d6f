"""The loaded model behind an API: load, warm up, predict; `ready` only after both succeed."""

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from servicekit.artifacts import card_path, load_model
from servicekit.definition import ServiceDefinition, Task
from servicekit.drift import ReferenceProfile
from servicekit.errors import ArtifactError, ModelNotReadyError
from servicekit.scoring import ScoringModel

log = logging.getLogger("servicekit.runtime")


@dataclass(frozen=True)
class Predictions:
    # Positive-class probability (binary), class probabilities (multiclass: rows by
    # classes) or the predicted value (regression).
    values: np.ndarray
    outcomes: list[str]
    # Class codes: 0/1 decisions at the model's threshold, or the most probable class.
    classes: np.ndarray | None


class ModelRuntime:
    def __init__(self, definition: ServiceDefinition) -> None:
        self.definition = definition
        self.metadata: dict[str, Any] = {}
        self.error: str | None = None
        self._model: ScoringModel | None = None
        # The training split's input bins; None for a model trained before profiles existed.
        self.reference: ReferenceProfile | None = None
        # MODEL_CARD.md beside the model; None for a model trained before cards existed.
        self.card: str | None = None
        self._ready = threading.Event()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def version(self) -> str:
        return str(self.metadata.get("model_version", "unknown"))

    @property
    def threshold(self) -> float:
        """The binary decision threshold; multiclass and regression models record none."""
        threshold = self.metadata.get("threshold")
        return 0.5 if threshold is None else float(threshold)

    def load(self, model_path: Path) -> None:
        """Load the artifact and run a warm-up prediction; record the error instead of raising."""
        try:
            spec = self.definition.features
            model, metadata = load_model(model_path, self.definition.name, spec)
            check_outputs(model, self.definition)
            example = metadata.get("warmup_example")
            if not example:
                raise ArtifactError("metadata has no warmup_example")
            warm = model.predict(spec, {k: [v] for k, v in example.items()})
            if not np.all(np.isfinite(warm)):
                raise ArtifactError(f"warm-up prediction is not finite: {warm.tolist()}")
            reference = reference_profile(metadata, self.definition)
            card = _card(model_path)
        except ArtifactError as exc:
            self.error = str(exc)
            log.error("model load failed", extra={"model_path": str(model_path), "error": str(exc)})
            return
        except Exception as exc:  # anything else still must end "loading" with a reason
            self.error = f"cannot use model {model_path}: {type(exc).__name__}: {exc}"
            log.exception("model load failed", extra={"model_path": str(model_path)})
            return
        self.metadata, self._model, self.error = metadata, model, None
        self.reference, self.card = reference, card
        self._ready.set()
        log.info(
            "model ready",
            extra={"model_path": str(model_path), "model_version": self.version},
        )

    def mark_unready(self) -> None:
        self._ready.clear()

    def predict(self, columns: Mapping[str, Sequence[Any]]) -> Predictions:
        model = self._model
        if not self.ready or model is None:
            raise ModelNotReadyError(self.error or "model is still loading")
        values = model.predict(self.definition.features, columns)
        outcomes = self.definition.outcomes(values, self.threshold)
        if self.definition.task is Task.BINARY:
            return Predictions(values, outcomes, (values >= self.threshold).astype(np.int64))
        if self.definition.task is Task.MULTICLASS:
            return Predictions(values, outcomes, np.argmax(values, axis=1))
        return Predictions(values, outcomes, None)


# The links a task's model may end in: what its values mean to the response and the metrics.
TASK_LINKS = {
    Task.BINARY: ("logit",),
    Task.MULTICLASS: ("softmax",),
    Task.REGRESSION: ("identity", "log"),
}


def check_outputs(model: ScoringModel, definition: ServiceDefinition) -> None:
    """A model of another task, or of another number of classes, is not served: its values
    would be read as the wrong thing."""
    task = definition.task
    outputs = len(definition.class_labels) if task is Task.MULTICLASS else 1
    if model.link not in TASK_LINKS[task] or model.outputs != outputs:
        raise ArtifactError(f"the model ends in {model.link} with {model.outputs} output(s); a "
                            f"{task} service with these classes needs {TASK_LINKS[task][0]} with "
                            f"{outputs}")  # fmt: skip


def reference_profile(
    metadata: Mapping[str, Any], definition: ServiceDefinition
) -> ReferenceProfile | None:
    """The metadata's reference profile, which must bin exactly the service's inputs; None
    for a model trained before profiles existed."""
    if "reference" not in metadata:
        return None
    try:
        profile = ReferenceProfile.from_metadata(metadata["reference"])
    except ValueError as exc:
        raise ArtifactError(f"metadata reference: {exc}") from exc
    expected = definition.features.kinds
    binned = {f.name: f.kind for f in profile.features}
    if binned != expected:
        raise ArtifactError(
            f"metadata reference bins {binned}, not the service's inputs {expected}"
        )
    return profile


def _card(model_path: Path) -> str | None:
    path = card_path(model_path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"cannot read the model card {path}: {exc}") from exc
