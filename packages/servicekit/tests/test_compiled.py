"""The compiled fast path must return exactly what the training pipeline returns."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

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
        np.testing.assert_array_equal(compiled.predict_value(compiled.encode(part)), expected[rows])


def test_pipelines_it_cannot_compile_are_refused(trained_models: dict[str, Trained]) -> None:
    service = trained_models["telecom"]
    X, y, _ = load_training_data(service.data_path, service.definition.dataset)
    pipeline = build_pipeline(service.definition.features, LogisticRegression(max_iter=5_000)).fit(
        X, y
    )
    with pytest.raises(TypeError, match="cannot compile estimator LogisticRegression"):
        CompiledPipeline(pipeline, service.definition.features)
