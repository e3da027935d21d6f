"""Behavioural tests of the trained plan recommender."""

from pathlib import Path

import pytest

from conftest import Trained
from tests.model_checks import base_rows, heldout, mean_shift, predict_rows


@pytest.fixture(scope="module")
def trained(trained_models: dict[str, Trained]) -> Trained:
    return trained_models["telecom"]


@pytest.fixture(scope="module")
def rows(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    X, _ = heldout(trained, tmp_path_factory.mktemp("telecom"), 2_000)
    return base_rows(X)


def test_more_data_favours_ultra(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    light = [r | {"mb_used": 8_000.0} for r in rows]
    assert mean_shift(runtime, light, mb_used=30_000.0) > 0.2


def test_minutes_over_the_allowance_favour_ultra(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    within = [r | {"minutes": 300.0, "calls": 45.0} for r in rows]
    assert mean_shift(runtime, within, minutes=800.0, calls=110.0) > 0.1


def test_minimum_functionality(trained: Trained) -> None:
    runtime = trained.runtime()
    light = {"calls": 20.0, "minutes": 140.0, "messages": 5.0, "mb_used": 6_000.0}
    heavy = {"calls": 120.0, "minutes": 900.0, "messages": 120.0, "mb_used": 35_000.0}
    low, high = predict_rows(runtime, [light, heavy])
    assert low < 0.2 and high > 0.6


def test_quality_floor_on_fresh_heldout_data(trained: Trained, tmp_path: Path) -> None:
    from sklearn.metrics import accuracy_score, roc_auc_score

    runtime = trained.runtime()
    X, y = heldout(trained, tmp_path, 3_000, seed=99)
    proba = predict_rows(runtime, X.to_dict(orient="records"))
    assert accuracy_score(y, proba >= 0.5) >= 0.76
    assert roc_auc_score(y, proba) >= 0.82
