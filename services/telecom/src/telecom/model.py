"""Estimator: small gradient-boosted trees; four features need little capacity."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier


def make_estimator(seed: int) -> "HistGradientBoostingClassifier":
    # Imported here: serving imports this module but never scikit-learn.
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=150,
        max_leaf_nodes=8,
        min_samples_leaf=30,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )
