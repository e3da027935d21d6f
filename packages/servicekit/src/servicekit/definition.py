"""What a service declares about itself; everything else comes from the kit."""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sklearn.base import BaseEstimator

from servicekit.dataset import DatasetContract
from servicekit.features import FeatureSpec


class Task(StrEnum):
    BINARY = "binary"
    REGRESSION = "regression"


@dataclass(frozen=True)
class ServiceDefinition:
    name: str  # also the URL prefix and the metrics `service` label
    title: str
    description: str
    task: Task
    request_model: type[BaseModel]
    features: FeatureSpec
    dataset: DatasetContract
    make_estimator: Callable[[int], BaseEstimator]  # seed -> unfitted estimator
    # Writes `rows` synthetic rows with the real dataset's header (pandas DataFrame).
    generate: Callable[[int, int], Any]
    # Valid requests (at least two): OpenAPI examples, warm-up-free smoke tests, docs.
    examples: tuple[dict[str, Any], ...]
    # Binary: names of class 0 and class 1. Regression: upper bounds and names of value bands,
    # so `predictions by outcome` is a bounded label set for every task.
    class_labels: tuple[str, str] = ("negative", "positive")
    value_bands: tuple[tuple[float, str], ...] = ()
    tune_threshold: bool = False
    extra_metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"/{self.name}"

    def outcome(self, value: float, threshold: float = 0.5) -> str:
        """The bounded label a prediction is counted under."""
        if self.task is Task.BINARY:
            return self.class_labels[int(value >= threshold)]
        for upper, label in self.value_bands:
            if value < upper:
                return label
        return self.value_bands[-1][1] if self.value_bands else "value"


def load_definition(name: str) -> ServiceDefinition:
    """The DEFINITION of service package `name` (e.g. "telecom" -> telecom.service)."""
    if not name.isidentifier():
        raise ValueError(f"a service is named by its package, got {name!r}")
    definition = importlib.import_module(f"{name}.service").DEFINITION
    if not isinstance(definition, ServiceDefinition):
        raise TypeError(f"{name}.service.DEFINITION is not a ServiceDefinition")
    return definition
