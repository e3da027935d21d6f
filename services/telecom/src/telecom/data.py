"""users_behavior dataset: the contract of the real CSV and a seeded generator for it.

Planted effects (checked by the behavioural tests): usage beyond the cheaper "Smart"
plan's allowance (15 GB of data, 500 minutes, 50 messages) favours "Ultra", data most of
all; below the allowances usage matters only a little. About 30% of users are on Ultra.
"""

import numpy as np

from servicekit.dataset import Column, DatasetContract

HEADER = ("calls", "minutes", "messages", "mb_used", "is_ultra")

CONTRACT = DatasetContract(
    header=HEADER,
    columns=(
        Column("calls", "numeric", min=0, max=1_000),
        Column("minutes", "numeric", min=0, max=10_000),
        Column("messages", "numeric", min=0, max=2_000),
        Column("mb_used", "numeric", min=0, max=500_000),
    ),
    target="is_ultra",
    target_kind="binary",
)

ULTRA_RATE = 0.306
SMART_DATA_MB, SMART_MINUTES, SMART_MESSAGES = 15_360.0, 500.0, 50.0


def ultra_logit(minutes: np.ndarray, messages: np.ndarray, mb_used: np.ndarray) -> np.ndarray:
    """Everything but the intercept; `generate` calibrates it to the Ultra share."""
    return np.asarray(
        2.0 * (mb_used > SMART_DATA_MB)
        + 0.9 * np.log1p(np.maximum(mb_used - SMART_DATA_MB, 0) / 5_000)
        + 1.3 * (minutes > SMART_MINUTES)
        + 0.9 * (messages > SMART_MESSAGES)
        + 0.15 * mb_used / 10_000
    )


def generate(rows: int, seed: int):  # type: ignore[no-untyped-def]  # -> pandas.DataFrame
    import pandas as pd

    rng = np.random.default_rng(seed)
    calls = np.clip(rng.gamma(3.0, 21.0, rows), 0, 244).round()
    minutes = np.clip(calls * rng.normal(7.0, 1.4, rows), 0, 1_632).round(2)
    messages = np.where(
        rng.random(rows) < 0.15, 0.0, np.clip(rng.gamma(1.3, 32.0, rows), 0, 224).round()
    )
    mb_used = np.clip(rng.gamma(4.0, 4_400.0, rows), 0, 49_745).round(2)

    logit = ultra_logit(minutes, messages, mb_used)
    lo, hi = -15.0, 15.0
    for _ in range(60):  # bisection on the intercept for the target share
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if np.mean(1 / (1 + np.exp(-(logit + mid)))) > ULTRA_RATE else (mid, hi)
    is_ultra = (rng.random(rows) < 1 / (1 + np.exp(-(logit + lo)))).astype(int)
    frame = pd.DataFrame(
        {"calls": calls, "minutes": minutes, "messages": messages, "mb_used": mb_used,
         "is_ultra": is_ultra}
    )  # fmt: skip
    return frame[list(HEADER)]
