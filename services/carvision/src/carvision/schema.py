"""Request schema: one used-car listing, columns named as in vehicles_us.csv."""

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from servicekit.rows import RequestRow

Condition = Literal["new", "like new", "excellent", "good", "fair", "salvage"]
Fuel = Literal["gas", "diesel", "hybrid", "electric", "other"]
Transmission = Literal["automatic", "manual", "other"]
BodyType = Literal[
    "SUV", "bus", "convertible", "coupe", "hatchback", "mini-van", "offroad", "other",
    "pickup", "sedan", "truck", "van", "wagon",
]  # fmt: skip
PaintColor = Literal[
    "black", "blue", "brown", "custom", "green", "grey", "orange", "purple", "red", "silver",
    "white", "yellow",
]  # fmt: skip
# The dataset spells models in lower case ("ford f-150"); requests are normalised the same way.
ModelName = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=80)
]

EXAMPLES: tuple[dict[str, Any], ...] = (
    {
        "model_year": 2011, "model": "bmw x5", "condition": "good", "cylinders": 6,
        "fuel": "gas", "odometer": 145000, "transmission": "automatic", "type": "SUV",
        "paint_color": None, "is_4wd": True,
    },
    {
        "model_year": 2015, "model": "ford f-150", "condition": "excellent", "cylinders": 8,
        "fuel": "gas", "odometer": 68000, "transmission": "automatic", "type": "truck",
        "paint_color": "white", "is_4wd": True,
    },
    {   # what a sparse listing looks like: unknowns are null (or left out)
        "model_year": None, "model": "honda civic", "condition": "good", "cylinders": None,
        "fuel": "gas", "odometer": None, "transmission": "automatic", "type": "sedan",
        "paint_color": None, "is_4wd": None,
    },
)  # fmt: skip


class Vehicle(RequestRow):
    model_year: int | None = Field(default=None, ge=1900, le=2030, description="null if unknown")
    model: ModelName
    condition: Condition
    cylinders: int | None = Field(default=None, ge=2, le=16)
    fuel: Fuel
    odometer: float | None = Field(default=None, ge=0, le=2_000_000, description="Miles")
    transmission: Transmission
    type: BodyType
    paint_color: PaintColor | None = None
    is_4wd: bool | None = Field(
        default=None, description="null or omitted means not 4WD, as a blank in the dataset"
    )
