"""The session's trained models: generated data, a real training run per service, MLflow store.

`conftest.py` trains them once per session into a temporary directory. When
`MLOPS_TRAINED_MODELS` names a directory, they are kept there and reused by later sessions:
the mutation run (`mutation/run.py`) trains them once from the unmutated kit with
`python -m tests.trained DIR`, so that thousands of short pytest sessions on mutated code
load them instead of training again.
"""

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from servicekit.definition import ServiceDefinition, load_definition
from servicekit.runtime import ModelRuntime

SERVICES = ("bankchurn", "carvision", "telecom")
# Rows per training set: enough for the quality floors, small enough for a quick session.
TRAIN_ROWS = {"bankchurn": 8_000, "carvision": 12_000, "telecom": 3_214}
SEED = 7
CACHE_ENV = "MLOPS_TRAINED_MODELS"
# Written last, so a directory whose training was interrupted is trained again.
COMPLETE_MARKER = "trained.json"


@dataclass(frozen=True)
class Trained:
    definition: ServiceDefinition
    data_path: Path
    model_path: Path
    metadata: dict[str, object]

    def runtime(self) -> ModelRuntime:
        runtime = ModelRuntime(self.definition)
        runtime.load(self.model_path)
        assert runtime.ready, runtime.error
        return runtime


def store_uri(root: Path) -> str:
    """The MLflow tracking URI of a model directory: a sqlite store beside the models."""
    return f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"


def train_all(root: Path) -> dict[str, Trained]:
    """Generate data and train every service into `root`, tracking into the current MLflow URI."""
    from servicekit.training.data import write_generated
    from servicekit.training.train import TrainConfig, train

    out: dict[str, Trained] = {}
    cwd = Path.cwd()
    store = Path(os.environ["MLFLOW_TRACKING_URI"].removeprefix("sqlite:///")).parent
    store.mkdir(parents=True, exist_ok=True)
    # MLflow puts run artifacts under ./mlruns of a sqlite store: keep them beside the store.
    os.chdir(store)
    try:
        for name in SERVICES:
            definition = load_definition(name)
            data = write_generated(definition, TRAIN_ROWS[name], SEED, root / f"{name}.csv")
            result = train(
                definition, TrainConfig(data=data, out_dir=root / name, seed=SEED, cv_folds=3)
            )
            out[name] = Trained(definition, data, result.model_path, result.metadata)
    finally:
        os.chdir(cwd)
    (root / COMPLETE_MARKER).write_text(
        json.dumps({name: str(t.model_path) for name, t in out.items()}, indent=2) + "\n"
    )
    return out


def load_all(root: Path) -> dict[str, Trained] | None:
    """The models a completed `train_all(root)` left, or None if it never completed there."""
    marker = root / COMPLETE_MARKER
    if not marker.is_file():
        return None
    model_paths = json.loads(marker.read_text())
    out: dict[str, Trained] = {}
    for name in SERVICES:
        model_path = Path(model_paths[name])
        metadata = json.loads(model_path.with_name("metadata.json").read_text())
        out[name] = Trained(load_definition(name), root / f"{name}.csv", model_path, metadata)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.trained DIR  (trains the test models into DIR)")
        return 2
    root = Path(argv[0]).resolve()
    os.environ["MLFLOW_TRACKING_URI"] = store_uri(root)
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    trained = load_all(root) or train_all(root)
    print(f"trained models for {', '.join(trained)} in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
