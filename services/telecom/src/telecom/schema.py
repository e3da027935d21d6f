"""Request schema: one subscriber's monthly usage, columns named as in users_behavior.csv."""

from typing import Any

from pydantic import Field

from servicekit.rows import RequestRow

EXAMPLES: tuple[dict[str, Any], ...] = (
    {"calls": 40.0, "minutes": 311.9, "messages": 83.0, "mb_used": 19915.42},
    {"calls": 85.0, "minutes": 516.75, "messages": 56.0, "mb_used": 22696.96},
)


class Usage(RequestRow):
    calls: float = Field(ge=0, le=1_000, description="Calls in the month")
    minutes: float = Field(ge=0, le=10_000, description="Total call duration, minutes")
    messages: float = Field(ge=0, le=2_000, description="Text messages")
    mb_used: float = Field(ge=0, le=500_000, description="Mobile data, MB")
