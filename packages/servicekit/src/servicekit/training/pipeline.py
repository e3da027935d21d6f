"""The training pipeline: fill and derive -> encode -> gradient-boosted trees.

scikit-learn lives here, on the training side; serving scores the exported arrays
(`servicekit.scoring`) and never imports this module.
"""

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from servicekit.features import DeriveFn, FeatureSpec, fill_missing, no_derived_features


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
    # trees route like a missing value; the served model reproduces exactly this.
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
