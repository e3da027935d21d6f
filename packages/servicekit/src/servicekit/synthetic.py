"""A seeded generator fitted to a real CSV, for services scaffolded by `make new-service`.

The fit (scaffold/infer.py) keeps each input's marginal distribution (quantiles and decimals
of a number, shares of categories, the share of blanks) and a linear effect of the inputs on
the target (one per class of a multiclass target); this module draws from them. Inputs are
drawn independently: correlations between inputs are not kept, the direction and rough size
of each input's effect on the target are. So CI trains and tests the service on data shaped
like the user's without the user's file.

Numpy only (pandas is imported by `frame`, which only training calls): a service's data
module builds its generator at import time, and serving imports that module.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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
# Sinkhorn steps of the multiclass shift: measured to match shares within 1e-6 for class
# score spreads up to 20 (a fitted file's are nearer 1-6), far below what a draw can tell.
SINKHORN_STEPS = 300


@dataclass(frozen=True)
class ClassEffect:
    """One class of a multiclass target: its share of the file's rows and the linear score
    that favours it (weights as FittedGenerator.weights, and the score's spread on the file)."""

    share: float
    score_std: float
    weights: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FittedGenerator:
    header: tuple[str, ...]  # the file's header: columns that are not inputs are left blank
    columns: Mapping[str, Marginal]  # the inputs by their names in the file
    target: str
    task: Literal["binary", "multiclass", "regression"]
    # Weight per numeric input (per standard deviation) and per "input=category".
    weights: Mapping[str, float] = field(default_factory=dict)
    # The linear score's spread on the file, and where the target sits: the positive share
    # (binary) or the mean (regression). Independent draws lose the inputs' correlations, and
    # with them the score's spread and centre; both are set back to the file's.
    score_std: float = 1.0
    center: float = 0.0
    noise: float = 0.0  # regression: residual standard deviation
    target_range: tuple[float, float] | None = None  # regression: clipped to it
    target_decimals: int = 0
    # Multiclass: each class by its value as the file writes it (an integral number as "3"),
    # in code order. Every class has its own score (none is a reference with weight 0): the
    # class is drawn by the softmax of the scores, each set back to its spread on the file,
    # and shifted so that the classes take the file's shares.
    classes: Mapping[str, ClassEffect] = field(default_factory=dict)

    def _score(
        self, drawn: Mapping[str, np.ndarray], rows: int, weights: Mapping[str, float],
        score_std: float,
    ) -> np.ndarray:  # fmt: skip
        score = np.zeros(rows)
        for name, marginal in self.columns.items():
            if isinstance(marginal, NumericMarginal):
                score += marginal.effect(drawn[name], weights.get(name, 0.0))
            else:
                for category in marginal.categories[1:]:
                    weight = weights.get(f"{name}={category}", 0.0)
                    score += weight * (drawn[name] == category)
        score -= score.mean()
        spread = score.std()
        return score * (score_std / spread) if spread > 0 else score

    def draw(self, rows: int, seed: int) -> dict[str, np.ndarray]:
        """The inputs and the target, by their names in the file."""
        rng = np.random.default_rng(seed)
        out = {name: m.draw(rng, rows) for name, m in self.columns.items()}
        if self.task == "binary":
            score = self._score(out, rows, self.weights, self.score_std)
            shift = _shift_for_share(score, self.center)
            out[self.target] = (rng.random(rows) < _sigmoid(score + shift)).astype(np.int64)
        elif self.task == "multiclass":
            out[self.target] = self._draw_class(out, rows, rng)
        else:
            score = self._score(out, rows, self.weights, self.score_std)
            value = self.center + score + rng.normal(0.0, self.noise, rows)
            if self.target_range is not None:
                value = np.clip(value, *self.target_range)
            out[self.target] = value.round(self.target_decimals)
        return out

    def _draw_class(
        self, drawn: Mapping[str, np.ndarray], rows: int, rng: np.random.Generator
    ) -> np.ndarray:
        effects = list(self.classes.values())
        scores = np.column_stack(
            [self._score(drawn, rows, e.weights, e.score_std) for e in effects]
        )
        shares = np.array([e.share for e in effects])
        probs = _softmax(scores + _shifts_for_shares(scores, shares))
        # A row's class: how many of the first K-1 cumulative probabilities a uniform draw
        # passes (the last class takes the rest, so a sum a hair below 1 loses no row).
        codes = (probs[:, :-1].cumsum(axis=1) < rng.random((rows, 1))).sum(axis=1)
        return np.asarray(_as_written(tuple(self.classes))[codes])

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


def _softmax(scores: np.ndarray) -> np.ndarray:
    """Each row's softmax; the row's largest score is subtracted first so exp cannot overflow."""
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _shifts_for_shares(scores: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Per-class shifts of `scores` (rows x classes) whose mean softmax is `shares`.

    Sinkhorn's scaling: the softmax makes every row sum to 1, and each step multiplies each
    class's column by its share over its mean, which converges for any finite scores (the
    multiclass counterpart of the binary bisection). Shares that do not sum to 1 are read as
    proportions: every shift then also moves by the same amount, which the softmax ignores."""
    shifts = np.zeros(scores.shape[1])
    for _ in range(SINKHORN_STEPS):
        shifts += np.log(shares / _softmax(scores + shifts).mean(axis=0))
    return shifts


def _as_written(classes: tuple[str, ...]) -> np.ndarray:
    """The class values as the file writes them: integers when every class is one (a column of
    0, 1 and 2 stays numbers), else text."""
    if all(re.fullmatch(r"-?\d+", c) for c in classes):
        return np.array([int(c) for c in classes])
    return np.array(classes)
