"""Behavioural tests of the trained price model."""

from pathlib import Path

import numpy as np
import pytest

from conftest import Trained
from tests.model_checks import base_rows, heldout, mean_shift, predict_rows


@pytest.fixture(scope="module")
def trained(trained_models: dict[str, Trained]) -> Trained:
    return trained_models["carvision"]


@pytest.fixture(scope="module")
def rows(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    X, _ = heldout(trained, tmp_path_factory.mktemp("carvision"), 3_000)
    return [r for r in base_rows(X, 300) if r["model_year"] and r["model_year"] < 2016][:150]


def _relative(runtime, rows: list[dict], **change) -> float:  # type: ignore[no-untyped-def]
    before = predict_rows(runtime, rows)
    after = predict_rows(runtime, [r | change for r in rows])
    return float(np.median(after / before))


def test_newer_cars_cost_more(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    older = [r | {"model_year": 2008, "odometer": 100_000} for r in rows]
    assert _relative(runtime, older, model_year=2014) > 1.3


def test_fewer_miles_cost_more(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    worn = [r | {"model_year": 2012, "odometer": 180_000} for r in rows]
    assert _relative(runtime, worn, odometer=60_000) > 1.15


def test_condition_orders_prices(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    # "new" and "salvage" are 0.3% of listings each (as in the real file): too few to rank.
    levels = ["fair", "good", "excellent", "like new"]
    medians = [
        np.median(predict_rows(runtime, [r | {"condition": c} for r in rows])) for c in levels
    ]
    assert medians == sorted(medians)


def test_paint_colour_barely_matters(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    white = [r | {"paint_color": "white"} for r in rows]
    assert abs(_relative(runtime, white, paint_color="black") - 1) < 0.05


def test_unknown_model_and_missing_values_still_predict(trained: Trained) -> None:
    runtime = trained.runtime()
    row = {"model_year": None, "model": "tesla cybertruck", "condition": "good",
           "cylinders": None, "fuel": "electric", "odometer": None, "transmission": "automatic",
           "type": "pickup", "paint_color": None, "is_4wd": True}  # fmt: skip
    (price,) = predict_rows(runtime, [row])
    assert 1_000 < price < 100_000
    assert mean_shift(runtime, [row], condition="excellent") > 0


def test_quality_floor_on_fresh_heldout_data(trained: Trained, tmp_path: Path) -> None:
    from sklearn.metrics import mean_absolute_error, r2_score

    runtime = trained.runtime()
    X, y = heldout(trained, tmp_path, 6_000, seed=99)
    pred = predict_rows(runtime, X.to_dict(orient="records"))
    assert r2_score(y, pred) >= 0.78
    assert mean_absolute_error(y, pred) <= 0.3 * float(np.median(y))
