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
from registry import registry
from servicekit.artifacts import load_model, load_pipeline
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


def _blanks(service: Trained, kind: str) -> list[str]:
    """The inputs of this kind that the service's data may leave blank."""
    optional = service.definition.dataset.optional_features
    return [c for c in optional if service.definition.features.kinds.get(c) == kind]


def _first(
    trained_models: dict[str, Trained], what: str, *, task: str = "", **blanks: bool
) -> Trained:
    """The first service of services.toml of that task whose inputs may (True) or may not
    (False) be blank for each kind given, else the test is skipped."""
    for entry in registry().services:
        service = trained_models[entry.name]
        if (not task or entry.task == task) and all(
            bool(_blanks(service, kind)) == wanted for kind, wanted in blanks.items()
        ):
            return service
    pytest.skip(f"no registered service {what}")


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
    service = _first(
        trained_models, "has blank numeric and categorical inputs", numeric=True, categorical=True
    )
    numeric, categorical = _blanks(service, "numeric"), _blanks(service, "categorical")
    category = service.definition.features.categorical[0]
    pipeline = load_pipeline(service.model_path)
    X = _frame(service).head(8).copy()
    X.loc[0, category] = "never seen category"
    X.loc[1, numeric] = np.nan
    X.loc[2, categorical] = np.nan
    X.loc[3, [category, categorical[0], numeric[0]]] = ["another unknown", np.nan, np.nan]
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
    if change.get("classes") == 3:  # from whatever the target is, and the first input
        first = X[service.definition.features.numeric[0]].rank(pct=True)
        y = (y > y.median()).astype(int) + (first > 0.6).astype(int)
    if change.get("numbered_countries"):
        X = X.assign(Geography=X["Geography"].map({"France": 1.5, "Spain": 2.5, "Germany": 3.5}))
    pipeline = build_pipeline(service.definition.features, estimator)
    if "encoder" in change or "columns" in change:
        columns = change.get("columns", ["Geography", "Gender"])
        encoder = change.get("encoder", OrdinalEncoder())
        pipeline.steps[1][1].transformers[1] = ("cat", encoder, columns)
    return pipeline.fit(X, y)


def test_a_multiclass_model_with_categories_and_blanks_is_exported_exactly(
    trained_models: dict[str, Trained],
) -> None:
    """Three classes over categorical inputs and blanks: each class's trees, its baseline
    and the softmax give predict_proba to the bit."""
    service = _first(
        trained_models, "has blank numeric and categorical inputs", numeric=True, categorical=True
    )
    spec = service.definition.features
    estimator = HistGradientBoostingClassifier(
        max_iter=15, max_leaf_nodes=12, categorical_features=spec.categorical_indices
    )
    pipeline = _fitted(service, estimator, rows=3_000, classes=3)
    model = export_pipeline(pipeline, spec)
    assert (model.link, model.outputs, model.trees) == ("softmax", 3, 45)
    X = _frame(service).sample(n=600, random_state=2)
    X.loc[X.index[:40], spec.categorical[0]] = "never seen category"
    check_export(model, spec, X, pipeline.predict_proba(X))


@pytest.mark.parametrize("loss", ["squared_error", "poisson", "absolute_error"])
def test_regression_links_other_than_the_services_are_exported_exactly(
    trained_models: dict[str, Trained], loss: str
) -> None:
    """Whatever loss a regression service trains with, the identity link and poisson's log
    are exported as exactly."""
    service = _first(trained_models, "is a regression", task="regression")
    estimator = HistGradientBoostingRegressor(
        loss=loss, max_iter=20, categorical_features=service.definition.features.categorical_indices
    )
    pipeline = _fitted(service, estimator, rows=2_000)
    X = _frame(service).sample(n=300, random_state=1)
    model = export_pipeline(pipeline, service.definition.features)
    check_export(model, service.definition.features, X, pipeline.predict(X))


def test_masks_are_the_narrowest_integers_that_hold_every_leaf(service: Trained) -> None:
    """One bit per leaf in the narrowest unsigned integer: 8 leaves in a uint8, 15 in a
    uint16, 31 in a uint32."""
    pipeline = load_pipeline(service.model_path)
    estimator = pipeline[-1]
    model = export_pipeline(pipeline, service.definition.features)
    leaves = estimator.max_leaf_nodes
    assert model.leaf_values.shape[1] == leaves
    dtype = model.masks[0].dtype
    assert all(m.dtype == dtype for m in model.masks)
    assert np.issubdtype(dtype, np.unsignedinteger)
    bits = np.iinfo(dtype).bits
    assert bits >= leaves  # it holds every leaf...
    assert bits == 8 or bits // 2 < leaves  # ...and the next narrower one would not


@dataclass(frozen=True)
class _WrongForSomeSizes(ScoringModel):
    """A served model with a fault only at some batch sizes (as a single-row path could have)."""

    wrong_sizes: tuple[int, ...] = ()

    def raw_predict(self, X: np.ndarray) -> np.ndarray:
        raw = super().raw_predict(X)
        return raw + 1e-9 if len(X) in self.wrong_sizes else raw


def _complete(trained_models: dict[str, Trained]) -> Trained:
    """A service whose inputs are never blank (a linear model can fit its data as it is)."""
    return _first(trained_models, "without blank inputs", numeric=False, categorical=False)


def _fresh_export(
    trained_models: dict[str, Trained],
) -> tuple[Trained, ScoringModel, pd.DataFrame, np.ndarray]:
    """A service's model exported afresh, 40 rows of its data and the pipeline's values."""
    service = _complete(trained_models)
    pipeline = load_pipeline(service.model_path)
    X = _frame(service).head(40)
    expected = predict_value(service.definition.task, pipeline, X)
    return service, export_pipeline(pipeline, service.definition.features), X, expected


@pytest.mark.parametrize("size", [1, 17])
def test_the_export_check_scores_one_row_and_a_small_batch_on_their_own(
    trained_models: dict[str, Trained], size: int
) -> None:
    service, model, X, expected = _fresh_export(trained_models)
    parts = {f.name: getattr(model, f.name) for f in fields(model) if f.init}
    faulty = _WrongForSomeSizes(**parts, wrong_sizes=(size,))
    with pytest.raises(RuntimeError, match=f"disagrees with the pipeline on {size} rows"):
        check_export(faulty, service.definition.features, X, expected)


def test_a_served_model_that_disagrees_is_caught_at_training(
    trained_models: dict[str, Trained],
) -> None:
    service, model, X, expected = _fresh_export(trained_models)
    check_export(model, service.definition.features, X, expected)
    off = np.nextafter(expected[20], 1.0)  # one bit off, past the first 17 rows
    diff = off - expected[20]
    expected[20] = off
    message = f"^the exported model disagrees with the pipeline on 40 rows \\(max diff {diff}\\)$"
    with pytest.raises(RuntimeError, match=message):
        check_export(model, service.definition.features, X, expected)


@pytest.mark.parametrize(
    ("estimator", "change", "message"),
    [
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
    service = _complete(trained_models)
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
