"""Model inputs: listing attributes plus mileage per year of age (heavy use lowers price)."""

import numpy as np

from servicekit.features import Columns, FeatureSpec

# Listings in vehicles_us were posted in 2018-2019; age is counted from the later year.
REFERENCE_YEAR = 2019


def derive(columns: Columns) -> dict[str, np.ndarray]:
    year = np.asarray(columns["model_year"], dtype=np.float64)
    odometer = np.asarray(columns["odometer"], dtype=np.float64)
    age_years = np.maximum(REFERENCE_YEAR + 1.0 - year, 1.0)  # NaN year stays NaN
    return {"miles_per_year": odometer / age_years}


FEATURES = FeatureSpec(
    numeric=("model_year", "odometer", "cylinders", "is_4wd"),
    categorical=("model", "condition", "fuel", "transmission", "type", "paint_color"),
    derived=("miles_per_year",),
    derive=derive,
    fill={"is_4wd": 0.0},  # vehicles_us leaves is_4wd blank for "not 4WD"
)
