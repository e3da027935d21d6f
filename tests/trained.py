"""The session's trained models: generated data, a real training run per service, MLflow store.

`conftest.py` trains them once per session into a temporary directory. When
`MLOPS_TRAINED_MODELS` names a directory, they are kept there and reused by later sessions,
service by service: the mutation run (`mutation/run.py`) trains them once from the unmutated
kit with `python -m tests.trained DIR`, so that thousands of short pytest sessions on mutated
code load them instead of training again, and the fork test (scaffold/tests/test_fork.py)
trains only the service it adds.
"""

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from registry import names, registry
from servicekit.definition import ServiceDefinition, load_definition
from servicekit.runtime import ModelRuntime

SERVICES = names()
# Rows per training set (`test_rows` of services.toml): enough for the quality floors, small
# enough for a quick session.
TRAIN_ROWS = {s.name: s.test_rows for s in registry().services}
SEED = 7
CACHE_ENV = "MLOPS_TRAINED_MODELS"


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


def _marker(root: Path, name: str) -> Path:
    """Written last for each service, so one whose training was interrupted trains again."""
    return root / f"{name}.trained.json"


def train_missing(root: Path) -> dict[str, Trained]:
    """Every service's model in `root`: those trained there before are loaded, the others
    generated and trained, tracking into the current MLflow URI."""
    from servicekit.training.data import write_generated
    from servicekit.training.train import TrainConfig, train

    out = load_trained(root)
    cwd = Path.cwd()
    store = Path(os.environ["MLFLOW_TRACKING_URI"].removeprefix("sqlite:///")).parent
    store.mkdir(parents=True, exist_ok=True)
    # MLflow puts run artifacts under ./mlruns of a sqlite store: keep them beside the store.
    os.chdir(store)
    try:
        for name in (n for n in SERVICES if n not in out):
            definition = load_definition(name)
            data = write_generated(definition, TRAIN_ROWS[name], SEED, root / f"{name}.csv")
            result = train(
                definition, TrainConfig(data=data, out_dir=root / name, seed=SEED, cv_folds=3)
            )
            out[name] = Trained(definition, data, result.model_path, result.metadata)
            _marker(root, name).write_text(json.dumps({"rows": TRAIN_ROWS[name]}) + "\n")
    finally:
        os.chdir(cwd)
    return {name: out[name] for name in SERVICES}


def load_trained(root: Path) -> dict[str, Trained]:
    """The models of the services whose training completed in `root` (with today's rows)."""
    out: dict[str, Trained] = {}
    for name in SERVICES:
        marker = _marker(root, name)
        if not marker.is_file() or json.loads(marker.read_text()) != {"rows": TRAIN_ROWS[name]}:
            continue
        model_path = root / name / "model.npz"
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
    trained = train_missing(root)
    print(f"trained models for {', '.join(trained)} in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
