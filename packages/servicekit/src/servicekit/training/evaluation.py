"""Task metrics, threshold choice and evaluation plots."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
    accuracy_score,
    average_precision_score,
    f1_score,
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
    return regression_metrics(y_true, value)


def write_plots(
    task: Task, y_true: np.ndarray, value: np.ndarray, threshold: float, out_dir: Path
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig: Figure, name: str) -> None:
        path = out_dir / name
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    if task is Task.BINARY:
        fig, ax = plt.subplots(figsize=(5, 5))
        RocCurveDisplay.from_predictions(y_true, value, ax=ax)
        save(fig, "roc_curve.png")
        fig, ax = plt.subplots(figsize=(5, 5))
        PrecisionRecallDisplay.from_predictions(y_true, value, ax=ax)
        save(fig, "pr_curve.png")
        fig, ax = plt.subplots(figsize=(5, 5))
        ConfusionMatrixDisplay.from_predictions(y_true, (value >= threshold).astype(int), ax=ax)
        ax.set_title(f"threshold {threshold:.3f}")
        save(fig, "confusion_matrix.png")
    else:
        residuals = y_true - value
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.scatter(value, residuals, s=4, alpha=0.4)
        ax.axhline(0, color="black", lw=1)
        ax.set(xlabel="predicted", ylabel="residual (actual - predicted)")
        save(fig, "residuals.png")
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.scatter(y_true, value, s=4, alpha=0.4)
        lim = [float(min(y_true.min(), value.min())), float(max(y_true.max(), value.max()))]
        ax.plot(lim, lim, color="black", lw=1)
        ax.set(xlabel="actual", ylabel="predicted")
        save(fig, "predicted_vs_actual.png")
    return written
