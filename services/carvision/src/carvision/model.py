"""Estimator: gradient-boosted trees with a gamma loss (log link) for positive, skewed prices."""

from typing import TYPE_CHECKING

from carvision.features import FEATURES

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingRegressor


def make_estimator(seed: int) -> "HistGradientBoostingRegressor":
    # Imported here: serving imports this module but never scikit-learn.
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="gamma",
        learning_rate=0.08,
        max_iter=300,
        max_leaf_nodes=31,
        min_samples_leaf=20,
        l2_regularization=1.0,
        categorical_features=FEATURES.categorical_indices,
        early_stopping=False,
        random_state=seed,
    )
