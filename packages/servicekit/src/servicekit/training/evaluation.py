"""Task metrics and the choice of the decision threshold."""

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    median_absolute_error,
    precision_recall_curve,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

from servicekit.definition import Task

# The metric cross-validation reports per task.
PRIMARY_METRIC = {Task.BINARY: "roc_auc", Task.MULTICLASS: "roc_auc_ovr", Task.REGRESSION: "rmse"}


def choose_threshold(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Threshold that maximises F1 on validation data (never on the test set)."""
    precision, recall, thresholds = precision_recall_curve(y_true, proba)
    f1 = 2 * precision * recall / np.clip(precision + recall, 1e-12, None)
    return float(thresholds[int(np.argmax(f1[:-1]))])


def binary_metrics(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    decided = (proba >= threshold).astype(int)
    return {
        "roc_auc": float(roc_auc_score(y_true, proba)),
        "pr_auc": float(average_precision_score(y_true, proba)),
        "f1": float(f1_score(y_true, decided, zero_division=0)),
        "precision": float(precision_score(y_true, decided, zero_division=0)),
        "recall": float(recall_score(y_true, decided, zero_division=0)),
        "accuracy": float(accuracy_score(y_true, decided)),
        "positive_rate": float(decided.mean()),
    }


def multiclass_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Metrics of class probabilities (rows by classes; y_true holds class codes). Averages
    are macro: every class counts the same, however rare."""
    classes = list(range(proba.shape[1]))
    decided = np.argmax(proba, axis=1)
    return {
        "roc_auc_ovr": float(roc_auc_score(y_true, proba, multi_class="ovr", labels=classes)),
        "log_loss": float(log_loss(y_true, proba, labels=classes)),
        "accuracy": float(accuracy_score(y_true, decided)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, decided)),
        "macro_f1": float(f1_score(y_true, decided, average="macro", zero_division=0)),
    }


def regression_metrics(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(np.sqrt(mean_squared_error(y_true, pred))),
        "mae": float(mean_absolute_error(y_true, pred)),
        "median_ae": float(median_absolute_error(y_true, pred)),
        "r2": float(r2_score(y_true, pred)),
    }


def task_metrics(
    task: Task, y_true: np.ndarray, value: np.ndarray, threshold: float
) -> dict[str, float]:
    if task is Task.BINARY:
        return binary_metrics(y_true, value, threshold)
    if task is Task.MULTICLASS:
        return multiclass_metrics(y_true, value)
    return regression_metrics(y_true, value)
