"""Behavioural tests of the trained model: directional, invariance, minimum functionality."""

from pathlib import Path

import pytest

from conftest import Trained
from tests.model_checks import base_rows, heldout, mean_shift, predict_rows


@pytest.fixture(scope="module")
def trained(trained_models: dict[str, Trained]) -> Trained:
    return trained_models["bankchurn"]


@pytest.fixture(scope="module")
def rows(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    X, _ = heldout(trained, tmp_path_factory.mktemp("bankchurn"), 2_000)
    return base_rows(X)


def test_inactivity_raises_churn(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    assert mean_shift(runtime, [r | {"IsActiveMember": 1} for r in rows], IsActiveMember=0) > 0.05


def test_three_products_churn_more_than_two(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    assert mean_shift(runtime, [r | {"NumOfProducts": 2} for r in rows], NumOfProducts=3) > 0.15


def test_older_customers_churn_more_up_to_the_fifties(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    assert mean_shift(runtime, [r | {"Age": 30} for r in rows], Age=50) > 0.1


def test_card_ownership_barely_matters(trained: Trained, rows: list[dict]) -> None:
    runtime = trained.runtime()
    assert abs(mean_shift(runtime, [r | {"HasCrCard": 0} for r in rows], HasCrCard=1)) < 0.03


def test_minimum_functionality_clear_cut_customers(trained: Trained) -> None:
    runtime = trained.runtime()
    loyal = {"CreditScore": 700, "Geography": "France", "Gender": "Male", "Age": 30,
             "Tenure": 7, "Balance": 0.0, "NumOfProducts": 2, "HasCrCard": 1,
             "IsActiveMember": 1, "EstimatedSalary": 90_000.0}  # fmt: skip
    leaving = loyal | {"Geography": "Germany", "Gender": "Female", "Age": 52,
                       "Balance": 120_000.0, "NumOfProducts": 3, "IsActiveMember": 0}  # fmt: skip
    low, high = predict_rows(runtime, [loyal, leaving])
    assert low < 0.1
    assert high > 0.7


def test_quality_floor_on_fresh_heldout_data(trained: Trained, tmp_path: Path) -> None:
    from sklearn.metrics import f1_score, roc_auc_score

    runtime = trained.runtime()
    X, y = heldout(trained, tmp_path, 4_000, seed=99)
    proba = predict_rows(runtime, X.to_dict(orient="records"))
    assert roc_auc_score(y, proba) >= 0.80
    assert f1_score(y, proba >= runtime.threshold) >= 0.50
