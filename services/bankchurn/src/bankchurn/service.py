from bankchurn.data import CONTRACT, generate
from bankchurn.features import FEATURES
from bankchurn.model import make_estimator
from bankchurn.schema import EXAMPLES, Customer
from servicekit import ServiceDefinition, Task

DEFINITION = ServiceDefinition(
    name="bankchurn",
    title="Bank churn prediction API",
    description="Probability that a bank customer leaves (Exited=1), from the Churn_Modelling "
    "columns. The decision threshold is tuned for F1 on validation data at training time.",
    task=Task.BINARY,
    request_model=Customer,
    features=FEATURES,
    dataset=CONTRACT,
    make_estimator=make_estimator,
    generate=generate,
    examples=EXAMPLES,
    class_labels=("stays", "churns"),
    tune_threshold=True,
)
