"""Model inputs: the raw columns plus three ratios the churn drivers are easier to split on."""

import numpy as np

from servicekit.features import Columns, FeatureSpec


def derive(columns: Columns) -> dict[str, np.ndarray]:
    balance = np.asarray(columns["Balance"], dtype=np.float64)
    salary = np.asarray(columns["EstimatedSalary"], dtype=np.float64)
    products = np.asarray(columns["NumOfProducts"], dtype=np.float64)
    tenure = np.asarray(columns["Tenure"], dtype=np.float64)
    age = np.asarray(columns["Age"], dtype=np.float64)
    active = np.asarray(columns["IsActiveMember"], dtype=np.float64)
    return {
        "balance_to_salary": balance / (salary + 1.0),
        "products_per_tenure_year": products / (tenure + 1.0),
        "inactive_age": age * (1.0 - active),
    }


FEATURES = FeatureSpec(
    numeric=(
        "CreditScore", "Age", "Tenure", "Balance", "NumOfProducts", "HasCrCard",
        "IsActiveMember", "EstimatedSalary",
    ),
    categorical=("Geography", "Gender"),
    derived=("balance_to_salary", "products_per_tenure_year", "inactive_age"),
    derive=derive,
)  # fmt: skip
