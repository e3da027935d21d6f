"""Model inputs: the four usage counts plus average call length."""

import numpy as np

from servicekit.features import Columns, FeatureSpec


def derive(columns: Columns) -> dict[str, np.ndarray]:
    calls = np.asarray(columns["calls"], dtype=np.float64)
    minutes = np.asarray(columns["minutes"], dtype=np.float64)
    return {"minutes_per_call": minutes / np.maximum(calls, 1.0)}


FEATURES = FeatureSpec(
    numeric=("calls", "minutes", "messages", "mb_used"),
    derived=("minutes_per_call",),
    derive=derive,
)
