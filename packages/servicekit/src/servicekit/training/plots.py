"""Evaluation plots, logged to MLflow with the run: files only, for people to look at."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay

from servicekit.definition import Task


def write_plots(
    task: Task, y_true: np.ndarray, value: np.ndarray, threshold: float, out_dir: Path,
    labels: tuple[str, ...] = (),
) -> list[Path]:  # fmt: skip
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
    elif task is Task.MULTICLASS:
        fig, ax = plt.subplots(figsize=(6, 5))
        for code, label in enumerate(labels):
            RocCurveDisplay.from_predictions(y_true == code, value[:, code], name=label, ax=ax)
        ax.set_title("one class against the rest")
        save(fig, "roc_curves.png")
        fig, ax = plt.subplots(figsize=(6, 6))
        ConfusionMatrixDisplay.from_predictions(
            y_true, np.argmax(value, axis=1), labels=range(len(labels)),
            display_labels=labels, ax=ax, xticks_rotation=45,
        )  # fmt: skip
        ax.set_title("the most probable class")
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
