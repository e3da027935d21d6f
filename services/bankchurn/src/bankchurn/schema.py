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
)  # fmt: skip


class Customer(RequestRow):
    CreditScore: int = Field(ge=300, le=900, description="Credit score")
    Geography: Literal["France", "Spain", "Germany"]
    Gender: Literal["Female", "Male"]
    Age: int = Field(ge=18, le=100)
    Tenure: int = Field(ge=0, le=10, description="Years as a customer")
    Balance: float = Field(ge=0, le=10_000_000, description="Account balance")
    NumOfProducts: int = Field(ge=1, le=4, description="Bank products held")
    HasCrCard: Literal[0, 1]
    IsActiveMember: Literal[0, 1]
    EstimatedSalary: float = Field(ge=0, le=10_000_000)
