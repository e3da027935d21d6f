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
    intended_use="Rank a bank's retail customers by their probability of leaving, so that a "
    "retention team can decide whom to contact first.",
    out_of_scope=(
        "Decisions on credit, pricing, or closing an account for an individual customer.",
        "Treating customers differently by gender or age, which are inputs here only because "
        "the dataset holds them.",
        "Customers of other banks or countries than the data describes (France, Spain, Germany).",
    ),
    class_labels=("stays", "churns"),
    tune_threshold=True,
)
