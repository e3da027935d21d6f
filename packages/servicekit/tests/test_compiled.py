"""The compiled fast path must return exactly what the training pipeline returns."""

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from conftest import Trained
from servicekit.artifacts import load_artifact
from servicekit.compiled import VECTOR_WALK_MAX_ROWS, CompiledPipeline
from servicekit.features import build_pipeline
from servicekit.training.data import load_training_data
from servicekit.training.train import predict_value


def _frame(service: Trained) -> pd.DataFrame:
    X, _, _ = load_training_data(service.data_path, service.definition.dataset)
    return X


@pytest.mark.parametrize("rows", [1, 2, VECTOR_WALK_MAX_ROWS, VECTOR_WALK_MAX_ROWS + 1, 700])
def test_fast_path_equals_pipeline_bit_for_bit(service: Trained, rows: int) -> None:
    pipeline, _ = load_artifact(service.model_path, service.definition.name)
    compiled = CompiledPipeline(pipeline, service.definition.features)
    X = _frame(service).sample(n=rows, random_state=rows)
    expected = predict_value(service.definition.task, pipeline, X)
    columns = {c: X[c].tolist() for c in service.definition.features.inputs}
    np.testing.assert_array_equal(compiled.predict_value(compiled.encode(columns)), expected)


def test_unknown_categories_and_missing_values_match_the_pipeline(
    trained_models: dict[str, Trained],
) -> None:
    service = trained_models["carvision"]
    pipeline, _ = load_artifact(service.model_path, "carvision")
    compiled = CompiledPipeline(pipeline, service.definition.features)
    X = _frame(service).head(8).copy()
    X.loc[0, "model"] = "never seen model"
    X.loc[1, ["model_year", "odometer", "cylinders"]] = np.nan
    X.loc[2, "paint_color"] = np.nan
    X.loc[3, ["model", "paint_color", "model_year"]] = ["another unknown", np.nan, np.nan]
    expected = predict_value(service.definition.task, pipeline, X)
    columns = {c: X[c].tolist() for c in service.definition.features.inputs}
    for rows in (slice(0, 1), slice(1, 2), slice(3, 4), slice(None)):
        part = {c: v[rows] for c, v in columns.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. a NaN cast to a category code on the way
            got = compiled.predict_value(compiled.encode(part))
        np.testing.assert_array_equal(got, expected[rows])


def test_pipelines_it_cannot_compile_are_refused(trained_models: dict[str, Trained]) -> None:
    service = trained_models["telecom"]
    X, y, _ = load_training_data(service.data_path, service.definition.dataset)
    pipeline = build_pipeline(service.definition.features, LogisticRegression(max_iter=5_000)).fit(
        X, y
    )
    with pytest.raises(TypeError, match="cannot compile estimator LogisticRegression"):
        CompiledPipeline(pipeline, service.definition.features)


def _churn_pipeline(
    service: Trained, *, estimator: Any = None, encoder: Any = None, classes: int = 2
) -> Pipeline:
    """A small bankchurn pipeline, fitted, with one part swapped for what the path refuses."""
    X, y, _ = load_training_data(service.data_path, service.definition.dataset)
    X, y = X.head(600), y.head(600)
    if classes == 3:
        y = y + (X["Age"] > 50).astype(int)
    pipeline = build_pipeline(
        service.definition.features, estimator or HistGradientBoostingClassifier(max_iter=5)
    )
    if encoder is not None:
        pipeline.steps[1][1].transformers[1] = ("cat", encoder, ["Geography", "Gender"])
    return pipeline.fit(X, y)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"classes": 3}, "only binary classification and regression models can be compiled"),
        ({"encoder": OneHotEncoder()}, "categorical columns must be encoded by OrdinalEncoder"),
        (
            {"encoder": OrdinalEncoder(max_categories=2)},
            "infrequent-category grouping is not supported by the compiled path",
        ),
    ],
)
def test_models_it_cannot_reproduce_are_refused(
    trained_models: dict[str, Trained], change: dict[str, Any], message: str
) -> None:
    service = trained_models["bankchurn"]
    pipeline = _churn_pipeline(service, **change)
    with pytest.raises((TypeError, ValueError), match=f"^{message}$"):
        CompiledPipeline(pipeline, service.definition.features)


def test_a_pipeline_not_built_by_the_kit_is_refused(trained_models: dict[str, Trained]) -> None:
    service = trained_models["bankchurn"]
    pipeline = _churn_pipeline(service)
    for steps in (
        [("other", "passthrough"), pipeline.steps[1], pipeline.steps[2]],
        [pipeline.steps[0], ("other", "passthrough"), pipeline.steps[2]],
    ):
        with pytest.raises(TypeError, match=r"^pipeline was not built by servicekit"):
            CompiledPipeline(Pipeline(steps), service.definition.features)
