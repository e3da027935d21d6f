"""A seeded generator fitted to a real CSV, for services scaffolded by `make new-service`.

The fit (scaffold/infer.py) keeps each input's marginal distribution (quantiles and decimals
of a number, shares of categories, the share of blanks) and a linear effect of the inputs on
the target; this module draws from them. Inputs are drawn independently: correlations between
inputs are not kept, the direction and rough size of each input's effect on the target are.
So CI trains and tests the service on data shaped like the user's without the user's file.

Numpy only (pandas is imported by `frame`, which only training calls): a service's data
module builds its generator at import time, and serving imports that module.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class NumericMarginal:
    quantiles: tuple[float, ...]  # evenly spaced from 0 to 100 %: the inverse CDF
    decimals: int
    blank_share: float = 0.0
    # For the linear effect: the file's mean and standard deviation (blank counts as mean).
    mean: float = 0.0
    std: float = 1.0

    def draw(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        probs = np.linspace(0.0, 1.0, len(self.quantiles))
        values = np.interp(rng.random(rows), probs, self.quantiles).round(self.decimals)
        return np.where(rng.random(rows) < self.blank_share, np.nan, values)

    def effect(self, values: np.ndarray, weight: float) -> np.ndarray:
        return np.asarray(weight * np.nan_to_num((values - self.mean) / self.std))


@dataclass(frozen=True)
class CategoricalMarginal:
    categories: tuple[str, ...]  # the first is the reference of the linear effect
    shares: tuple[float, ...]
    blank_share: float = 0.0

    def __post_init__(self) -> None:
        if len(self.categories) != len(self.shares) or not self.categories:
            raise ValueError("one share per category, and at least one category")

    def draw(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        shares = np.asarray(self.shares) / np.sum(self.shares)
        values = np.asarray(self.categories, dtype=object)[
            rng.choice(len(self.categories), size=rows, p=shares)
        ]
        values[rng.random(rows) < self.blank_share] = None
        return values


Marginal = NumericMarginal | CategoricalMarginal


@dataclass(frozen=True)
class FittedGenerator:
    header: tuple[str, ...]  # the file's header: columns that are not inputs are left blank
    columns: Mapping[str, Marginal]  # the inputs by their names in the file
    target: str
    task: Literal["binary", "regression"]
    # Weight per numeric input (per standard deviation) and per "input=category".
    weights: Mapping[str, float]
    # The linear score's spread on the file, and where the target sits: the positive share
    # (binary) or the mean (regression). Independent draws lose the inputs' correlations, and
    # with them the score's spread and centre; both are set back to the file's.
    score_std: float
    center: float
    noise: float = 0.0  # regression: residual standard deviation
    target_range: tuple[float, float] | None = None  # regression: clipped to it
    target_decimals: int = 0

    def _score(self, drawn: Mapping[str, np.ndarray], rows: int) -> np.ndarray:
        score = np.zeros(rows)
        for name, marginal in self.columns.items():
            if isinstance(marginal, NumericMarginal):
                score += marginal.effect(drawn[name], self.weights.get(name, 0.0))
            else:
                for category in marginal.categories[1:]:
                    weight = self.weights.get(f"{name}={category}", 0.0)
                    score += weight * (drawn[name] == category)
        score -= score.mean()
        spread = score.std()
        return score * (self.score_std / spread) if spread > 0 else score

    def draw(self, rows: int, seed: int) -> dict[str, np.ndarray]:
        """The inputs and the target, by their names in the file."""
        rng = np.random.default_rng(seed)
        out = {name: m.draw(rng, rows) for name, m in self.columns.items()}
        score = self._score(out, rows)
        if self.task == "binary":
            shift = _shift_for_share(score, self.center)
            out[self.target] = (rng.random(rows) < _sigmoid(score + shift)).astype(np.int64)
        else:
            value = self.center + score + rng.normal(0.0, self.noise, rows)
            if self.target_range is not None:
                value = np.clip(value, *self.target_range)
            out[self.target] = value.round(self.target_decimals)
        return out

    def frame(self, rows: int, seed: int) -> Any:  # -> pandas.DataFrame
        import pandas as pd

        drawn = self.draw(rows, seed)
        # A column that is not drawn is a scalar None, which pandas repeats on every row.
        return pd.DataFrame({c: drawn.get(c) for c in self.header})


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _shift_for_share(score: np.ndarray, share: float) -> float:
    """The shift of `score` whose mean sigmoid is `share` (bisection: the mean is monotone)."""
    low, high = -50.0, 50.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (low, middle) if _sigmoid(score + middle).mean() > share else (middle, high)
    return (low + high) / 2
