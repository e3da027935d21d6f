"""Metrics and the threshold choice on cases small enough to count by hand."""

import warnings

import numpy as np
import pytest

from servicekit.definition import Task
from servicekit.training.evaluation import (
    binary_metrics,
    choose_threshold,
    regression_metrics,
    task_metrics,
)

# Ten rows; 0.5 is both a score and the threshold, so ">=" and ">" differ.
Y = np.array([0, 0, 0, 1, 1, 1, 0, 0, 1, 0])
PROBA = np.array([0.1, 0.5, 0.7, 0.4, 0.8, 0.9, 0.2, 0.3, 0.65, 0.05])
# Decided at 0.5: 0.5, 0.7 (negatives) and 0.8, 0.9, 0.65 (positives): tp 3, fp 2, fn 1, tn 4.
BINARY = {
    "precision": 3 / 5,
    "recall": 3 / 4,
    "f1": 2 * 3 / (2 * 3 + 2 + 1),
    "accuracy": 7 / 10,
    "positive_rate": 5 / 10,
    # 21 of the 24 (positive, negative) pairs are ordered right.
    "roc_auc": 21 / 24,
    # Precision at each positive, ranked by score: 1/1, 2/2, 3/4, 4/6.
    "pr_auc": (1 + 1 + 3 / 4 + 4 / 6) / 4,
}


def test_binary_metrics_count_decisions_at_or_above_the_threshold() -> None:
    assert binary_metrics(Y, PROBA, 0.5) == pytest.approx(BINARY)
    assert task_metrics(Task.BINARY, Y, PROBA, 0.5) == pytest.approx(BINARY)


def test_a_threshold_that_decides_nothing_scores_zero_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sklearn warns where zero_division is not given
        metrics = binary_metrics(Y, PROBA, 0.95)
    assert metrics["precision"] == metrics["recall"] == metrics["f1"] == 0.0
    assert metrics["positive_rate"] == 0.0 and metrics["accuracy"] == 6 / 10


def test_regression_metrics() -> None:
    actual, predicted = np.array([1.0, 2.0, 4.0, 8.0]), np.array([2.0, 2.0, 3.0, 5.0])
    # Errors 1, 0, 1, 3; the actual values' mean is 3.75, their sum of squares about it 28.75.
    expected = {"rmse": (11 / 4) ** 0.5, "mae": 5 / 4, "median_ae": 1.0, "r2": 1 - 11 / 28.75}
    assert regression_metrics(actual, predicted) == pytest.approx(expected)
    assert task_metrics(Task.REGRESSION, actual, predicted, 0.5) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("y", "proba", "best"),
    [
        # F1 by threshold: .1 -> .67, .2 -> .75, .35 -> .86, .4 -> .67, .8 -> .8, .9 -> .5
        ([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], 0.35),
        # The best threshold is the highest score.
        ([0, 1], [0.2, 0.9], 0.9),
        # At 0.9 nothing is caught: precision and recall are 0, and F1 is 0, not NaN.
        ([1, 0], [0.2, 0.9], 0.2),
        # A weak model: the best F1, 0.4 at 0.7, has precision + recall below 1 (1/3 + 1/2);
        # the next best is 0.36 at 0.1.
        ([0, 0, 1, 0, 0, 0, 0, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1], 0.7),
    ],
)
def test_threshold_maximises_f1(y: list[int], proba: list[float], best: float) -> None:
    assert choose_threshold(np.array(y), np.array(proba)) == best
