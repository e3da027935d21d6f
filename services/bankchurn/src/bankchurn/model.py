"""Estimator: gradient-boosted trees with native categorical support."""

from typing import TYPE_CHECKING

from bankchurn.features import FEATURES

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier


def make_estimator(seed: int) -> "HistGradientBoostingClassifier":
    # Imported here: serving imports this module but never scikit-learn.
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=250,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=FEATURES.categorical_indices,
        early_stopping=False,  # a fixed tree count keeps runs reproducible and comparable
        random_state=seed,
    )
