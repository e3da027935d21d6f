"""The served model (exported arrays) must return exactly what the training pipeline returns."""

import warnings
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from conftest import Trained
from servicekit.artifacts import load_model, load_pipeline
from servicekit.definition import load_definition
from servicekit.scoring import ScoringModel
from servicekit.training.data import load_training_data
from servicekit.training.export import check_export, export_pipeline
from servicekit.training.pipeline import build_pipeline
from servicekit.training.train import predict_value


def _frame(service: Trained) -> pd.DataFrame:
    X, _, _ = load_training_data(service.data_path, service.definition.dataset)
    return X


def _served(service: Trained) -> ScoringModel:
    model, _ = load_model(service.model_path, service.definition.name, service.definition.features)
    return model


def _predict(model: ScoringModel, service: Trained, X: pd.DataFrame) -> np.ndarray:
    spec = service.definition.features
    return model.predict(spec, {c: X[c].tolist() for c in spec.inputs})


# Around the row block (256) and the sizes the API sees: one row, a pair, small and large batches.
@pytest.mark.parametrize("rows", [1, 2, 16, 17, 256, 257, 700, 1000])
def test_served_model_equals_pipeline_bit_for_bit(service: Trained, rows: int) -> None:
    pipeline = load_pipeline(service.model_path)
    X = _frame(service).sample(n=rows, random_state=rows)
    expected = predict_value(service.definition.task, pipeline, X)
    np.testing.assert_array_equal(_predict(_served(service), service, X), expected)


def test_unknown_categories_and_missing_values_match_the_pipeline(
    trained_models: dict[str, Trained],
) -> None:
    service = trained_models["carvision"]
    pipeline = load_pipeline(service.model_path)
    X = _frame(service).head(8).copy()
    X.loc[0, "model"] = "never seen model"
    X.loc[1, ["model_year", "odometer", "cylinders"]] = np.nan
    X.loc[2, "paint_color"] = np.nan
    X.loc[3, ["model", "paint_color", "model_year"]] = ["another unknown", np.nan, np.nan]
    expected = predict_value(service.definition.task, pipeline, X)
    for rows in (slice(0, 1), slice(1, 2), slice(3, 4), slice(None)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. a NaN cast to a category code on the way
            got = _predict(_served(service), service, X.iloc[rows])
        np.testing.assert_array_equal(got, expected[rows])


def _fitted(service: Trained, estimator: Any, rows: int = 600, **change: Any) -> Pipeline:
    """A small pipeline of the service's features, fitted, with parts swapped."""
    X, y, _ = load_training_data(service.data_path, service.definition.dataset)
    X, y = X.head(rows), y.head(rows)
    if change.get("classes") == 3:
        y = y + (X["Age"] > 50).astype(int)
    if change.get("numbered_countries"):
        X = X.assign(Geography=X["Geography"].map({"France": 1.5, "Spain": 2.5, "Germany": 3.5}))
    pipeline = build_pipeline(service.definition.features, estimator)
    if "encoder" in change or "columns" in change:
        columns = change.get("columns", ["Geography", "Gender"])
        encoder = change.get("encoder", OrdinalEncoder())
        pipeline.steps[1][1].transformers[1] = ("cat", encoder, columns)
    return pipeline.fit(X, y)


@pytest.mark.parametrize("loss", ["squared_error", "poisson", "absolute_error"])
def test_regression_links_other_than_the_services_are_exported_exactly(
    trained_models: dict[str, Trained], loss: str
) -> None:
    """carvision uses the gamma loss (log link); the identity link and poisson's log are
    exported as exactly."""
    service = trained_models["carvision"]
    estimator = HistGradientBoostingRegressor(
        loss=loss, max_iter=20, categorical_features=service.definition.features.categorical_indices
    )
    pipeline = _fitted(service, estimator, rows=2_000)
    X = _frame(service).sample(n=300, random_state=1)
    model = export_pipeline(pipeline, service.definition.features)
    check_export(model, service.definition.features, X, pipeline.predict(X))


def test_masks_are_the_narrowest_integers_that_hold_every_leaf(service: Trained) -> None:
    """bankchurn grows trees of up to 15 leaves, carvision 31, telecom 8."""
    pipeline = load_pipeline(service.model_path)
    estimator = pipeline[-1]
    model = export_pipeline(pipeline, service.definition.features)
    assert model.leaf_values.shape[1] == estimator.max_leaf_nodes
    narrowest = {8: np.uint8, 15: np.uint16, 31: np.uint32}[estimator.max_leaf_nodes]
    assert all(m.dtype == narrowest for m in model.masks)


@dataclass(frozen=True)
class _WrongForSomeSizes(ScoringModel):
    """A served model with a fault only at some batch sizes (as a single-row path could have)."""

    wrong_sizes: tuple[int, ...] = ()

    def raw_predict(self, X: np.ndarray) -> np.ndarray:
        raw = super().raw_predict(X)
        return raw + 1e-9 if len(X) in self.wrong_sizes else raw


TELECOM = load_definition("telecom")


def _telecom_export(
    trained_models: dict[str, Trained],
) -> tuple[ScoringModel, pd.DataFrame, np.ndarray]:
    """telecom's model exported afresh, 40 rows of its data and the pipeline's values."""
    service = trained_models["telecom"]
    pipeline = load_pipeline(service.model_path)
    X = _frame(service).head(40)
    return export_pipeline(pipeline, TELECOM.features), X, predict_value(TELECOM.task, pipeline, X)


@pytest.mark.parametrize("size", [1, 17])
def test_the_export_check_scores_one_row_and_a_small_batch_on_their_own(
    trained_models: dict[str, Trained], size: int
) -> None:
    model, X, expected = _telecom_export(trained_models)
    parts = {f.name: getattr(model, f.name) for f in fields(model) if f.init}
    faulty = _WrongForSomeSizes(**parts, wrong_sizes=(size,))
    with pytest.raises(RuntimeError, match=f"disagrees with the pipeline on {size} rows"):
        check_export(faulty, TELECOM.features, X, expected)


def test_a_served_model_that_disagrees_is_caught_at_training(
    trained_models: dict[str, Trained],
) -> None:
    model, X, expected = _telecom_export(trained_models)
    check_export(model, TELECOM.features, X, expected)
    off = np.nextafter(expected[20], 1.0)  # one bit off, past the first 17 rows
    diff = off - expected[20]
    expected[20] = off
    message = f"^the exported model disagrees with the pipeline on 40 rows \\(max diff {diff}\\)$"
    with pytest.raises(RuntimeError, match=message):
        check_export(model, TELECOM.features, X, expected)


@pytest.mark.parametrize(
    ("estimator", "change", "message"),
    [
        (
            HistGradientBoostingClassifier(max_iter=5),
            {"classes": 3},
            "only binary classification and regression models can be exported",
        ),
        (
            HistGradientBoostingClassifier(max_iter=5),
            {"encoder": OneHotEncoder()},
            "categorical columns must be encoded by OrdinalEncoder",
        ),
        (
            HistGradientBoostingClassifier(max_iter=5),
            {"encoder": OrdinalEncoder(max_categories=2)},
            "infrequent-category grouping is not supported by the export",
        ),
        (
            HistGradientBoostingClassifier(max_iter=5),
            {"columns": ["Gender", "Geography"]},
            "the encoder's output columns are not the spec's model columns",
        ),
        (
            HistGradientBoostingClassifier(max_iter=5),
            {"numbered_countries": True},
            "categories of Geography must be strings, got 1.5",
        ),
        (
            HistGradientBoostingClassifier(max_iter=1, max_leaf_nodes=80, min_samples_leaf=5),
            {},
            r"trees have up to \d+ leaves; the export supports 64 \(set max_leaf_nodes <= 64\)",
        ),
    ],
)
def test_models_it_cannot_reproduce_are_refused(
    trained_models: dict[str, Trained], estimator: Any, change: dict[str, Any], message: str
) -> None:
    service = trained_models["bankchurn"]
    pipeline = _fitted(service, estimator, rows=4_000, **change)
    with pytest.raises((TypeError, ValueError), match=f"^{message}$"):
        export_pipeline(pipeline, service.definition.features)


def test_an_estimator_other_than_gradient_boosted_trees_is_refused(
    trained_models: dict[str, Trained],
) -> None:
    service = trained_models["telecom"]  # no blanks, so a linear model can fit it
    pipeline = _fitted(service, LogisticRegression(max_iter=5_000))
    with pytest.raises(TypeError, match=r"^cannot export estimator LogisticRegression$"):
        export_pipeline(pipeline, service.definition.features)


def test_a_pipeline_not_built_by_the_kit_is_refused(trained_models: dict[str, Trained]) -> None:
    service = trained_models["bankchurn"]
    pipeline = _fitted(service, HistGradientBoostingClassifier(max_iter=5))
    for steps in (
        [("other", "passthrough"), pipeline.steps[1], pipeline.steps[2]],
        [pipeline.steps[0], ("other", "passthrough"), pipeline.steps[2]],
    ):
        with pytest.raises(TypeError, match=r"^pipeline was not built by servicekit"):
            export_pipeline(Pipeline(steps), service.definition.features)
