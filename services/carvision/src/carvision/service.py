from carvision.data import CONTRACT, generate
from carvision.features import FEATURES
from carvision.model import make_estimator
from carvision.schema import EXAMPLES, Vehicle
from servicekit import ServiceDefinition, Task

DEFINITION = ServiceDefinition(
    name="carvision",
    title="Used-car price prediction API",
    description="Expected listing price in USD of a used vehicle, from the vehicles_us columns. "
    "Unknown model names are accepted and treated as a missing model.",
    task=Task.REGRESSION,
    request_model=Vehicle,
    features=FEATURES,
    dataset=CONTRACT,
    make_estimator=make_estimator,
    generate=generate,
    examples=EXAMPLES,
    intended_use="Suggest a listing price for a used vehicle from the facts of its "
    "advertisement: a starting point for a seller, or a marketplace's price hint.",
    out_of_scope=(
        "Valuations for lending, insurance, taxes or legal disputes.",
        "Vehicles unlike the advertisements trained on: other markets or currencies, fleets, "
        "collector cars.",
    ),
    value_bands=(
        (5_000.0, "under_5k"),
        (15_000.0, "5k_15k"),
        (30_000.0, "15k_30k"),
        (float("inf"), "30k_plus"),
    ),
)
