"""Helpers for behavioural and quality tests: predict raw rows through the serving runtime."""

from typing import Any

import numpy as np
import pandas as pd

from conftest import Trained
from servicekit.runtime import ModelRuntime
from servicekit.training.data import load_training_data, write_generated


def predict_rows(runtime: ModelRuntime, rows: list[dict[str, Any]]) -> np.ndarray:
    names = runtime.definition.features.inputs
    return runtime.predict({n: [r.get(n) for r in rows] for n in names}).values


def heldout(
    trained: Trained, tmp_dir: Any, rows: int, seed: int = 20_261_125
) -> tuple[pd.DataFrame, pd.Series]:
    """Freshly generated data from another seed, read through the training loader."""
    path = write_generated(trained.definition, rows, seed, tmp_dir / "heldout.csv")
    X, y, _ = load_training_data(path, trained.definition.dataset)
    return X, y


def base_rows(X: pd.DataFrame, n: int = 200) -> list[dict[str, Any]]:
    sample = X.sample(n=n, random_state=0)
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in sample.to_dict(orient="records")
    ]


def mean_shift(runtime: ModelRuntime, rows: list[dict[str, Any]], **change: Any) -> float:
    """Average change in prediction when `change` is applied to every row."""
    before = predict_rows(runtime, rows)
    after = predict_rows(runtime, [r | change for r in rows])
    return float(np.mean(after - before))
