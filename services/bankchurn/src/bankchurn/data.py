"""Churn_Modelling dataset: the contract of the real CSV and a seeded generator for it.

Planted effects (what a good model must find; the behavioural tests check them):
- churn rises with age up to the mid-fifties, then eases;
- inactive members churn much more than active ones;
- two products is the stickiest holding; three or four products churn most;
- customers in Germany and women churn more;
- credit score and tenure matter only a little; HasCrCard and salary not at all.
About 20% of customers churn, as in the real file.
The widely used copy of the file with missing values leaves Tenure blank on about 9% of
rows (writing the rest as floats, "2.0"); the generator does the same.
"""

import numpy as np

from servicekit.dataset import Column, DatasetContract

HEADER = (
    "RowNumber", "CustomerId", "Surname", "CreditScore", "Geography", "Gender", "Age", "Tenure",
    "Balance", "NumOfProducts", "HasCrCard", "IsActiveMember", "EstimatedSalary", "Exited",
)  # fmt: skip

CONTRACT = DatasetContract(
    header=HEADER,
    columns=(
        Column("CreditScore", "numeric", min=300, max=900),
        Column("Geography", "categorical", allowed=("France", "Spain", "Germany")),
        Column("Gender", "categorical", allowed=("Female", "Male")),
        Column("Age", "numeric", min=18, max=100),
        Column("Tenure", "numeric", required=False, min=0, max=10),
        Column("Balance", "numeric", min=0),
        Column("NumOfProducts", "numeric", min=1, max=4),
        Column("HasCrCard", "numeric", min=0, max=1),
        Column("IsActiveMember", "numeric", min=0, max=1),
        Column("EstimatedSalary", "numeric", min=0),
    ),
    target="Exited",
    target_kind="binary",
)

CHURN_RATE = 0.204
TENURE_BLANK_SHARE = 0.0909  # 909 of 10,000 rows in that copy
PRODUCT_EFFECT = np.array([0.0, 0.0, -1.7, 2.6, 4.5])  # indexed by NumOfProducts
_SURNAME_PARTS = (
    ("Hargr", "Hill", "Onio", "Bon", "Mitch", "Chu", "Bart", "Obi", "He", "Mori", "Sco", "Kow",
     "Nnach", "Yeh", "Ferr", "Lomb", "Gonz", "Mart", "Dupo", "Bern", "Schm", "Weiss", "Rossi"),
    ("ave", "", "ell", "i", "son", "ett", "lett", "ri", "gue", "tti", "nt", "ez", "er", "ard",
     "ski", "amaka", "ino", "idt", "field"),
)  # fmt: skip


def churn_logit(
    age: np.ndarray, germany: np.ndarray, female: np.ndarray, active: np.ndarray,
    products: np.ndarray, credit: np.ndarray, tenure: np.ndarray, balance: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Everything but the intercept; `generate` calibrates the intercept to the churn rate."""
    over_mid = np.maximum(age - 55.0, 0.0)
    return np.asarray(
        0.12 * (age - 40.0)
        - 0.015 * over_mid**2
        + 0.95 * germany
        + 0.55 * female
        - 1.25 * active
        + PRODUCT_EFFECT[products.astype(int)]
        - 0.0012 * (credit - 650.0)
        - 0.03 * (tenure - 5.0)
        + 0.25 * (balance > 0)
    )


def _calibrated_intercept(logit: np.ndarray, rate: float) -> float:
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(logit + mid)))) > rate:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def generate(rows: int, seed: int):  # type: ignore[no-untyped-def]  # -> pandas.DataFrame
    import pandas as pd

    rng = np.random.default_rng(seed)
    geography = rng.choice(["France", "Germany", "Spain"], size=rows, p=[0.50, 0.25, 0.25])
    gender = rng.choice(["Male", "Female"], size=rows, p=[0.546, 0.454])
    age = np.clip(18 + rng.lognormal(np.log(19.0), 0.5, rows), 18, 92).astype(int)
    tenure = rng.integers(0, 11, rows)
    credit = np.clip(rng.normal(650, 97, rows), 350, 850).round().astype(int)
    # In the real file German customers almost never hold a zero balance.
    zero_balance = rng.random(rows) < np.where(geography == "Germany", 0.0, 0.48)
    balance = np.where(
        zero_balance, 0.0, np.clip(rng.normal(119_800, 30_000, rows), 3_768, 250_898).round(2)
    )
    products = rng.choice([1, 2, 3, 4], size=rows, p=[0.508, 0.459, 0.027, 0.006])
    has_card = (rng.random(rows) < 0.705).astype(int)
    active = (rng.random(rows) < 0.515).astype(int)
    salary = rng.uniform(11.58, 199_992.48, rows).round(2)

    logit = churn_logit(age, geography == "Germany", gender == "Female", active, products,
                        credit, tenure, balance)  # fmt: skip
    logit += _calibrated_intercept(logit, CHURN_RATE)
    exited = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)

    surnames = np.char.add(rng.choice(_SURNAME_PARTS[0], rows), rng.choice(_SURNAME_PARTS[1], rows))
    # Blanked after the target is drawn: a blank hides the tenure, it does not change it.
    tenure_written = np.where(rng.random(rows) < TENURE_BLANK_SHARE, np.nan, tenure.astype(float))
    frame = pd.DataFrame(
        {
            "RowNumber": np.arange(1, rows + 1),
            "CustomerId": 15_565_701 + rng.permutation(250_000)[:rows],
            "Surname": surnames,
            "CreditScore": credit,
            "Geography": geography,
            "Gender": gender,
            "Age": age,
            "Tenure": tenure_written,
            "Balance": balance,
            "NumOfProducts": products,
            "HasCrCard": has_card,
            "IsActiveMember": active,
            "EstimatedSalary": salary,
            "Exited": exited,
        }
    )
    return frame[list(HEADER)]
