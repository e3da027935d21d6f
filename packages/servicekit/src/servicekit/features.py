"""Feature specification shared by training (sklearn Pipeline) and serving (compiled path).

A service names its raw numeric and categorical inputs and may add derived numeric
features with one function. That function takes a column mapping (a DataFrame in
training, a dict of numpy arrays when serving) and must use only column lookups and
numpy arithmetic, so both paths compute bit-identical features.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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

    @property
    def inputs(self) -> tuple[str, ...]:
        """Raw columns a request or a CSV row must provide."""
        return self.numeric + self.categorical

    @property
    def model_columns(self) -> tuple[str, ...]:
        """Columns of the matrix the estimator sees, in order."""
        return self.numeric + self.derived + self.categorical

    @property
    def categorical_indices(self) -> list[int]:
        offset = len(self.numeric) + len(self.derived)
        return list(range(offset, offset + len(self.categorical)))


class AddDerivedFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Pipeline step that appends the spec's derived columns to a DataFrame."""

    def __init__(self, derive: DeriveFn = no_derived_features) -> None:
        self.derive = derive

    def fit(self, X: Any, y: Any = None) -> "AddDerivedFeatures":
        return self

    def transform(self, X: Any) -> Any:
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
    """Training pipeline: derive -> encode (numbers pass, categories ordinal) -> model."""
    encode = ColumnTransformer(
        [
            ("num", "passthrough", list(spec.numeric + spec.derived)),
            ("cat", category_encoder(), list(spec.categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    return Pipeline(
        [("derive", AddDerivedFeatures(spec.derive)), ("encode", encode), ("model", estimator)]
    )
