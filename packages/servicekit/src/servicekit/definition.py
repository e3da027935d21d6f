"""What a service declares about itself; everything else comes from the kit."""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from servicekit.dataset import DatasetContract
from servicekit.features import FeatureSpec
from servicekit.rows import RequestRow

if TYPE_CHECKING:  # serving must not import scikit-learn; only training calls make_estimator
    from sklearn.base import BaseEstimator


class Task(StrEnum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"


# The dataset contract's target kind each task trains on.
TARGET_KINDS = {Task.BINARY: "binary", Task.MULTICLASS: "class", Task.REGRESSION: "continuous"}


@dataclass(frozen=True)
class ServiceDefinition:
    name: str  # also the URL prefix and the metrics `service` label
    title: str
    description: str
    task: Task
    request_model: type[RequestRow]
    features: FeatureSpec
    dataset: DatasetContract
    make_estimator: Callable[[int], "BaseEstimator"]  # seed -> unfitted estimator
    # Writes `rows` synthetic rows with the real dataset's header (pandas DataFrame).
    generate: Callable[[int, int], Any]
    # Valid requests (at least two): OpenAPI examples, warm-up-free smoke tests, docs.
    examples: tuple[dict[str, Any], ...]
    # The model card's statements of purpose: what the predictions are for, and uses they
    # must not be put to (one sentence each).
    intended_use: str
    out_of_scope: tuple[str, ...]
    # Classifiers: the name of each class by code (binary: class 0 and class 1; multiclass:
    # one per contract target class). Regression: upper bounds and names of value bands, so
    # `predictions by outcome` is a bounded label set for every task.
    class_labels: tuple[str, ...] = ("negative", "positive")
    value_bands: tuple[tuple[float, str], ...] = ()
    tune_threshold: bool = False
    extra_metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_inputs_agree(self.dataset, self.features, self.request_model)
        check_target_agrees(self.task, self.dataset, self.class_labels)

    @property
    def prefix(self) -> str:
        return f"/{self.name}"

    def outcomes(self, values: np.ndarray, threshold: float = 0.5) -> list[str]:
        """The bounded label each prediction is counted under: the class at the threshold
        (binary: values are positive-class probabilities), the most probable class
        (multiclass: a row of class probabilities each), or the value band (regression)."""
        if self.task is Task.BINARY:
            return [self.class_labels[int(v >= threshold)] for v in values.tolist()]
        if self.task is Task.MULTICLASS:
            return [self.class_labels[k] for k in np.argmax(values, axis=1).tolist()]
        return [self._band(v) for v in values.tolist()]

    def _band(self, value: float) -> str:
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


def check_target_agrees(task: Task, contract: DatasetContract, labels: tuple[str, ...]) -> None:
    """The task trains on its kind of target, and a classifier names each of its classes once."""
    kind = TARGET_KINDS[task]
    if contract.target_kind != kind:
        raise TypeError(f"a {task} service needs a {kind} target, the contract's is "
                        f"{contract.target_kind}")  # fmt: skip
    classes = 2 if task is Task.BINARY else len(contract.target_classes)
    if task is not Task.REGRESSION:
        if len(labels) != classes:
            raise TypeError(f"{len(labels)} class_labels for {classes} classes")
        if len(set(labels)) != len(labels) or not all(labels):
            raise TypeError(f"class_labels must be distinct and non-empty: {labels}")


def check_inputs_agree(
    contract: DatasetContract, spec: FeatureSpec, request_model: type[RequestRow]
) -> None:
    """One rule for missing values: a feature the dataset may leave blank is nullable in the
    API and may be omitted; every other feature must be sent and must not be null. The CSV
    columns, the model inputs and the request fields are the same set."""
    fields = request_model.model_fields
    names = {"dataset contract": set(contract.feature_names), "request model": set(fields)}
    for what, have in names.items():
        if have != set(spec.inputs):
            raise TypeError(f"{what} features {sorted(have)} differ from the feature spec's "
                            f"inputs {sorted(spec.inputs)}")  # fmt: skip
    optional = set(contract.optional_features)
    if request_model.nullable_fields != optional:
        raise TypeError(f"nullable request fields {sorted(request_model.nullable_fields)} must be "
                        f"the contract's optional columns {sorted(optional)}")  # fmt: skip
    for name, info in fields.items():
        if name in optional and (info.is_required() or info.default is not None):
            raise TypeError(f"request field {name} may be blank in the data, so it must default "
                            "to None (omittable)")  # fmt: skip
        if name not in optional and not info.is_required():
            raise TypeError(f"request field {name} is required by the dataset contract, so it "
                            "takes no default")  # fmt: skip
