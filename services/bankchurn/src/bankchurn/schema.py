"""Request schema: one bank customer, columns named as in Kaggle's Churn_Modelling.csv."""

from typing import Any, Literal

from pydantic import Field

from servicekit.rows import RequestRow

EXAMPLES: tuple[dict[str, Any], ...] = (
    {
        "CreditScore": 619, "Geography": "France", "Gender": "Female", "Age": 42, "Tenure": 2,
        "Balance": 0.0, "NumOfProducts": 1, "HasCrCard": 1, "IsActiveMember": 1,
        "EstimatedSalary": 101348.88,
    },
    {
        "CreditScore": 502, "Geography": "Germany", "Gender": "Female", "Age": 52, "Tenure": 8,
        "Balance": 159660.8, "NumOfProducts": 3, "HasCrCard": 1, "IsActiveMember": 0,
        "EstimatedSalary": 113931.57,
    },
    {   # Tenure unknown: null, or leave it out
        "CreditScore": 699, "Geography": "Spain", "Gender": "Male", "Age": 39, "Tenure": None,
        "Balance": 0.0, "NumOfProducts": 2, "HasCrCard": 0, "IsActiveMember": 0,
        "EstimatedSalary": 93826.63,
    },
)  # fmt: skip


class Customer(RequestRow):
    CreditScore: int = Field(ge=300, le=900, description="Credit score")
    Geography: Literal["France", "Spain", "Germany"]
    Gender: Literal["Female", "Male"]
    Age: int = Field(ge=18, le=100)
    Tenure: int | None = Field(
        default=None, ge=0, le=10, description="Years as a customer; null or omitted if unknown"
    )
    Balance: float = Field(ge=0, le=10_000_000, description="Account balance")
    NumOfProducts: int = Field(ge=1, le=4, description="Bank products held")
    HasCrCard: Literal[0, 1]
    IsActiveMember: Literal[0, 1]
    EstimatedSalary: float = Field(ge=0, le=10_000_000)
