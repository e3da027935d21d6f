"""vehicles_us dataset: the contract of the real CSV and a seeded generator for it.

Planted effects (checked by the behavioural tests):
- newer cars cost more (about 10% a year of age) and fewer miles cost more;
- condition orders prices: new > like new > excellent > good > fair > salvage;
- 4WD adds about 8%, diesel trucks about 15%; paint colour barely matters;
- each model has its own new price, so the model name carries most of the signal.
The mess of the real file is reproduced: missing model_year, cylinders, odometer,
paint_color and is_4wd (empty means "not 4WD"), and price outliers (1 USD placeholders
and absurd asking prices) that training must drop and count.
"""

import numpy as np

from carvision.schema import BodyType, Condition, Fuel, PaintColor, Transmission
from servicekit.dataset import Column, DatasetContract

HEADER = (
    "price", "model_year", "model", "condition", "cylinders", "fuel", "odometer",
    "transmission", "type", "paint_color", "is_4wd", "date_posted", "days_listed",
)  # fmt: skip


def _allowed(literal: object) -> tuple[str, ...]:
    return tuple(literal.__args__)  # type: ignore[attr-defined]


CONTRACT = DatasetContract(
    header=HEADER,
    columns=(
        Column("model_year", "numeric", required=False, min=1900, max=2030),
        Column("model", "categorical", lowercase=True),
        Column("condition", "categorical", allowed=_allowed(Condition)),
        Column("cylinders", "numeric", required=False, min=2, max=16),
        Column("fuel", "categorical", allowed=_allowed(Fuel)),
        Column("odometer", "numeric", required=False, min=0, max=2_000_000),
        Column("transmission", "categorical", allowed=_allowed(Transmission)),
        Column("type", "categorical", allowed=_allowed(BodyType)),
        Column("paint_color", "categorical", required=False, allowed=_allowed(PaintColor)),
        Column("is_4wd", "numeric", required=False, min=0, max=1),
    ),
    target="price",
    target_kind="continuous",
    target_min=500,  # below: placeholders such as 1 USD; above: typos and fantasy prices
    target_max=200_000,
)

# model, body type, usual cylinders, new price (USD), share of 4WD, share of diesel
MODELS = (
    ("ford f-150", "truck", 8, 42000, 0.7, 0.02),
    ("chevrolet silverado 1500", "truck", 8, 41000, 0.7, 0.01),
    ("ram 1500", "pickup", 8, 40000, 0.65, 0.03),
    ("ford f-250 super duty", "truck", 8, 52000, 0.8, 0.45),
    ("ram 2500", "truck", 6, 50000, 0.8, 0.5),
    ("gmc sierra 1500", "truck", 8, 44000, 0.7, 0.01),
    ("toyota tacoma", "pickup", 6, 33000, 0.6, 0.0),
    ("nissan frontier", "pickup", 6, 28000, 0.5, 0.0),
    ("ford ranger", "pickup", 4, 27000, 0.4, 0.0),
    ("toyota camry", "sedan", 4, 26000, 0.0, 0.0),
    ("honda accord", "sedan", 4, 25500, 0.0, 0.0),
    ("honda civic", "sedan", 4, 21000, 0.0, 0.0),
    ("nissan altima", "sedan", 4, 24000, 0.0, 0.0),
    ("toyota corolla", "sedan", 4, 19500, 0.0, 0.0),
    ("hyundai elantra", "sedan", 4, 18500, 0.0, 0.0),
    ("hyundai sonata", "sedan", 4, 23000, 0.0, 0.0),
    ("chevrolet malibu", "sedan", 4, 23500, 0.0, 0.0),
    ("ford fusion", "sedan", 4, 23000, 0.05, 0.0),
    ("volkswagen jetta", "sedan", 4, 20000, 0.0, 0.1),
    ("dodge charger", "sedan", 6, 30000, 0.1, 0.0),
    ("acura tl", "sedan", 6, 35000, 0.1, 0.0),
    ("nissan maxima", "sedan", 6, 34000, 0.0, 0.0),
    ("subaru impreza", "sedan", 4, 20000, 0.95, 0.0),
    ("jeep wrangler", "SUV", 6, 33000, 0.98, 0.0),
    ("jeep grand cherokee", "SUV", 6, 36000, 0.8, 0.05),
    ("jeep cherokee", "SUV", 4, 27000, 0.6, 0.0),
    ("ford explorer", "SUV", 6, 34000, 0.6, 0.0),
    ("ford escape", "SUV", 4, 26000, 0.4, 0.0),
    ("chevrolet tahoe", "SUV", 8, 50000, 0.7, 0.0),
    ("chevrolet suburban", "SUV", 8, 53000, 0.7, 0.0),
    ("gmc yukon", "SUV", 8, 52000, 0.7, 0.0),
    ("cadillac escalade", "SUV", 8, 75000, 0.7, 0.0),
    ("toyota rav4", "SUV", 4, 26000, 0.5, 0.0),
    ("honda cr-v", "SUV", 4, 26000, 0.5, 0.0),
    ("honda pilot", "SUV", 6, 33000, 0.6, 0.0),
    ("toyota highlander", "SUV", 6, 34000, 0.6, 0.0),
    ("toyota 4runner", "SUV", 6, 37000, 0.9, 0.0),
    ("nissan rogue", "SUV", 4, 25000, 0.4, 0.0),
    ("kia sorento", "SUV", 4, 27000, 0.4, 0.0),
    ("bmw x5", "SUV", 6, 58000, 0.95, 0.05),
    ("buick enclave", "SUV", 6, 41000, 0.4, 0.0),
    ("subaru outback", "wagon", 4, 28000, 0.98, 0.0),
    ("honda odyssey", "mini-van", 6, 31000, 0.0, 0.0),
    ("dodge grand caravan", "mini-van", 6, 26000, 0.0, 0.0),
    ("chrysler town & country", "mini-van", 6, 30000, 0.0, 0.0),
    ("ford mustang", "coupe", 8, 30000, 0.0, 0.0),
    ("chevrolet camaro", "coupe", 8, 31000, 0.0, 0.0),
    ("chevrolet corvette", "convertible", 8, 60000, 0.0, 0.0),
    ("volkswagen golf", "hatchback", 4, 21000, 0.0, 0.15),
    ("toyota prius", "hatchback", 4, 25000, 0.0, 0.0),
    ("ford transit cargo", "van", 6, 36000, 0.0, 0.2),
    ("chevrolet express", "van", 8, 33000, 0.0, 0.1),
)  # fmt: skip
CONDITIONS = ("new", "like new", "excellent", "good", "fair", "salvage")
CONDITION_SHARE = (0.003, 0.092, 0.48, 0.39, 0.032, 0.003)
CONDITION_FACTOR = {"new": 1.25, "like new": 1.13, "excellent": 1.0, "good": 0.86,
                    "fair": 0.62, "salvage": 0.42}  # fmt: skip
COLORS = ("white", "black", "silver", "grey", "blue", "red", "green", "brown", "custom",
          "yellow", "orange", "purple")  # fmt: skip
COLOR_SHARE = (0.24, 0.18, 0.148, 0.122, 0.106, 0.104, 0.017, 0.015, 0.014, 0.005, 0.0045, 0.0015)
AGE_DEPRECIATION = 0.10  # per year, multiplicative
MILEAGE_DEPRECIATION = 0.0030  # per thousand miles above the usual 12.5k a year


def expected_price(
    new_price: np.ndarray, age: np.ndarray, odometer: np.ndarray, condition: np.ndarray,
    four_wd: np.ndarray, diesel: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Noise-free price of a listing; `generate` adds market noise and outliers on top."""
    usual_miles = 12_500 * np.maximum(age, 0.5)
    extra_k_miles = (odometer - usual_miles) / 1000
    factor = np.vectorize(CONDITION_FACTOR.__getitem__)(condition)
    return np.asarray(
        new_price
        * np.exp(-AGE_DEPRECIATION * age)
        * np.exp(-MILEAGE_DEPRECIATION * np.clip(extra_k_miles, -60, 200))
        * factor
        * np.where(four_wd, 1.08, 1.0)
        * np.where(diesel, 1.15, 1.0)
    )


def generate(rows: int, seed: int):  # type: ignore[no-untyped-def]  # -> pandas.DataFrame
    import pandas as pd

    rng = np.random.default_rng(seed)
    spec = [MODELS[i] for i in rng.integers(0, len(MODELS), rows)]
    model = np.array([m[0] for m in spec])
    body = np.array([m[1] for m in spec])
    new_price = np.array([m[3] for m in spec], dtype=float)
    four_wd = rng.random(rows) < np.array([m[4] for m in spec])
    diesel = rng.random(rows) < np.array([m[5] for m in spec])

    posted = pd.Timestamp("2018-05-01") + pd.to_timedelta(rng.integers(0, 354, rows), unit="D")
    age = np.clip(rng.gamma(2.2, 4.0, rows), 0, 40).round()
    classic = rng.random(rows) < 0.002  # a few collector cars, as in the real file
    age = np.where(classic, rng.integers(45, 100, rows), age)
    model_year = (posted.year.to_numpy() - age).astype(float)
    odometer = np.clip(12_500 * np.maximum(age, 0.3) * rng.lognormal(0, 0.35, rows), 0, 990_000)
    odometer = np.where(classic, rng.uniform(20_000, 150_000, rows), odometer).round()
    # Real shares, then some cars over 12 years old drop one step (excellent -> good -> fair).
    grade = rng.choice(len(CONDITIONS), rows, p=CONDITION_SHARE)
    downgrade = (age > 12) & (rng.random(rows) < 0.2) & np.isin(grade, [2, 3])
    condition = np.array(CONDITIONS)[grade + downgrade]
    cylinders = np.array([m[2] for m in spec], dtype=float)
    cylinders = np.where(rng.random(rows) < 0.08, rng.choice([4.0, 6.0, 8.0], rows), cylinders)
    fuel = np.where(diesel, "diesel", np.where(model == "toyota prius", "hybrid", "gas"))
    fuel = np.where(rng.random(rows) < 0.01, rng.choice(["other", "electric"], rows), fuel)
    transmission = rng.choice(["automatic", "manual", "other"], rows, p=[0.91, 0.055, 0.035])
    body = np.where(rng.random(rows) < 0.03, rng.choice(["other", "offroad", "bus"], rows), body)
    paint = rng.choice(COLORS, rows, p=np.array(COLOR_SHARE) / sum(COLOR_SHARE)).astype(object)

    price = expected_price(new_price, age, odometer, condition, four_wd, diesel)
    price = price * rng.lognormal(0, 0.22, rows)  # market noise: same car, different asks
    price = np.where(classic, rng.uniform(8_000, 60_000, rows), price)
    price = np.maximum(price, 300).round()
    placeholder = rng.random(rows) < 0.012
    fantasy = rng.random(rows) < 0.0008
    price = np.where(placeholder, rng.choice([1, 5, 10, 99, 123], rows), price)
    price = np.where(fantasy, rng.uniform(250_000, 400_000, rows).round(), price)

    def missing(values: np.ndarray, share: float) -> np.ndarray:
        out = values.astype(object)
        out[rng.random(rows) < share] = np.nan
        return out

    frame = pd.DataFrame(
        {
            "price": price.astype(int),
            "model_year": missing(model_year, 0.07),
            "model": model,
            "condition": condition,
            "cylinders": missing(cylinders, 0.10),
            "fuel": fuel,
            "odometer": missing(odometer, 0.15),
            "transmission": transmission,
            "type": body,
            "paint_color": missing(paint, 0.18),
            "is_4wd": np.where(four_wd, 1.0, np.nan),  # the real file leaves non-4WD empty
            "date_posted": posted.strftime("%Y-%m-%d"),
            "days_listed": np.clip(rng.gamma(1.6, 24.5, rows), 0, 271).astype(int),
        }
    )
    return frame[list(HEADER)]
