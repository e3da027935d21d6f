"""Feature specification shared by training (sklearn Pipeline) and serving (compiled path).

A service names its raw numeric and categorical inputs and may add derived numeric
features with one function. That function takes a column mapping (a DataFrame in
training, a dict of numpy arrays when serving) and must use only column lookups and
numpy arithmetic, so both paths compute bit-identical features.

A missing value reaches the model as NaN (gradient-boosted trees route it natively), unless
the spec names a fill for that column: then `fill_missing` applies it, in the pipeline's
first step and in the compiled path alike, before anything is derived.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

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


def fill_missing(columns: Columns, fill: Mapping[str, float]) -> dict[str, np.ndarray]:
    """The filled columns, as float arrays: NaN (a blank cell, a null or omitted field)
    becomes the spec's value. Training and serving both call this."""
    out = {}
    for name, value in fill.items():
        x = np.asarray(columns[name], dtype=np.float64)
        out[name] = np.where(np.isnan(x), value, x)
    return out


class PrepareFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Pipeline step: fill the spec's missing values, then append its derived columns."""

    def __init__(
        self, derive: DeriveFn = no_derived_features, fill: Mapping[str, float] | None = None
    ) -> None:
        self.derive = derive
        self.fill = fill

    def fit(self, X: Any, y: Any = None) -> "PrepareFeatures":
        return self

    def transform(self, X: Any) -> Any:
        filled = fill_missing(X, self.fill or {})
        if filled:
            X = X.assign(**filled)
        derived = self.derive(X)
        return X.assign(**derived) if derived else X


def category_encoder() -> OrdinalEncoder:
    # Unknown and missing categories both become NaN, which the gradient-boosted
    # trees route like a missing value; the compiled path reproduces exactly this.
    return OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        dtype=np.float64,
    )


def build_pipeline(spec: FeatureSpec, estimator: BaseEstimator) -> Pipeline:
    """Training pipeline: fill and derive -> encode (numbers pass, categories ordinal) -> model."""
    encode = ColumnTransformer(
        [
            ("num", "passthrough", list(spec.numeric + spec.derived)),
            ("cat", category_encoder(), list(spec.categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    return Pipeline(
        [
            ("prepare", PrepareFeatures(spec.derive, dict(spec.fill))),
            ("encode", encode),
            ("model", estimator),
        ]
    )
