from servicekit import ServiceDefinition, Task
from telecom.data import CONTRACT, generate
from telecom.features import FEATURES
from telecom.model import make_estimator
from telecom.schema import EXAMPLES, Usage

DEFINITION = ServiceDefinition(
    name="telecom",
    title="Mobile plan recommendation API",
    description="Recommends the Ultra plan (is_ultra=1) or the Smart plan from a subscriber's "
    "monthly calls, minutes, messages and data usage.",
    task=Task.BINARY,
    request_model=Usage,
    features=FEATURES,
    dataset=CONTRACT,
    make_estimator=make_estimator,
    generate=generate,
    examples=EXAMPLES,
    intended_use="Recommend the Smart or the Ultra plan to a subscriber from one month of "
    "their usage.",
    out_of_scope=(
        "Moving a subscriber to another plan without their consent.",
        "Subscribers of other operators, or tariffs other than these two plans.",
    ),
    class_labels=("smart", "ultra"),
)
