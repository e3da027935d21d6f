"""Feature specification shared by training (the sklearn pipeline in
`servicekit.training.pipeline`) and serving (`servicekit.scoring`).

A service names its raw numeric and categorical inputs and may add derived numeric
features with one function. That function takes a column mapping (a DataFrame in
training, a dict of numpy arrays when serving) and must use only column lookups and
numpy arithmetic, so both paths compute bit-identical features.

A missing value reaches the model as NaN (gradient-boosted trees route it natively), unless
the spec names a fill for that column: then `fill_missing` applies it, in the pipeline's
first step and in the served model alike, before anything is derived. This module imports
only numpy: serving loads it.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Columns = Mapping[str, Any]
DeriveFn = Callable[[Columns], dict[str, np.ndarray]]


def no_derived_features(columns: Columns) -> dict[str, np.ndarray]:
    return {}


@dataclass(frozen=True)
class FeatureSpec:
    numeric: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    derived: tuple[str, ...] = ()
    # Must be a module-level function: the fitted pipeline pickles it by reference.
    derive: DeriveFn = no_derived_features
    # Numeric inputs whose missing value means a known number (vehicles_us: blank is_4wd is 0).
    fill: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.fill) - set(self.numeric)
        if unknown:
            raise ValueError(f"fill names columns that are not numeric inputs: {sorted(unknown)}")

    @property
    def inputs(self) -> tuple[str, ...]:
        """Raw columns a request or a CSV row must provide."""
        return self.numeric + self.categorical

    @property
    def kinds(self) -> dict[str, str]:
        """Each raw input's kind, "numeric" or "categorical", in input order."""
        return dict.fromkeys(self.numeric, "numeric") | dict.fromkeys(
            self.categorical, "categorical"
        )

    @property
    def model_columns(self) -> tuple[str, ...]:
        """Columns of the matrix the estimator sees, in order."""
        return self.numeric + self.derived + self.categorical

    @property
    def categorical_indices(self) -> list[int]:
        offset = len(self.numeric) + len(self.derived)
        return list(range(offset, offset + len(self.categorical)))


def is_missing(value: object) -> bool:
    """A missing cell as Python sees one: None (a null or omitted field) or a float NaN (a
    blank cell as pandas reads it)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fill_missing(columns: Columns, fill: Mapping[str, float]) -> dict[str, np.ndarray]:
    """The filled columns, as float arrays: NaN (a blank cell, a null or omitted field)
    becomes the spec's value. Training and serving both call this."""
    out = {}
    for name, value in fill.items():
        x = np.asarray(columns[name], dtype=np.float64)
        out[name] = np.where(np.isnan(x), value, x)
    return out
