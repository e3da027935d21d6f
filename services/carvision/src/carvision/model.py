"""Estimator: gradient-boosted trees with a gamma loss (log link) for positive, skewed prices."""

from sklearn.ensemble import HistGradientBoostingRegressor

from carvision.features import FEATURES


def make_estimator(seed: int) -> HistGradientBoostingRegressor:
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
