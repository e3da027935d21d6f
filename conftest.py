"""Fixtures shared by every test directory: real generated data and really trained models.

Models are trained once per session (3-fold CV, full MLflow tracking into a temporary
store) and reused by the API, behavioural, quality and fast-path tests.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from servicekit.definition import ServiceDefinition, load_definition
from servicekit.runtime import ModelRuntime

SERVICES = ("bankchurn", "carvision", "telecom")
# Rows per training set: enough for the quality floors, small enough for a quick session.
TRAIN_ROWS = {"bankchurn": 8_000, "carvision": 12_000, "telecom": 3_214}


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


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{store}/mlflow.db"
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    yield uri
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous


@pytest.fixture(scope="session")
def trained_models(
    tmp_path_factory: pytest.TempPathFactory, mlflow_store: str
) -> dict[str, Trained]:
    from servicekit.training.data import write_generated
    from servicekit.training.train import TrainConfig, train

    root = tmp_path_factory.mktemp("trained")
    out: dict[str, Trained] = {}
    cwd = Path.cwd()
    # MLflow puts run artifacts under ./mlruns of a sqlite store: keep them in the temp dir.
    os.chdir(Path(mlflow_store.removeprefix("sqlite:///")).parent)
    try:
        for name in SERVICES:
            definition = load_definition(name)
            data = write_generated(definition, TRAIN_ROWS[name], 7, root / f"{name}.csv")
            result = train(
                definition, TrainConfig(data=data, out_dir=root / name, seed=7, cv_folds=3)
            )
            out[name] = Trained(definition, data, result.model_path, result.metadata)
    finally:
        os.chdir(cwd)
    return out


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest, trained_models: dict[str, Trained]) -> Trained:
    return trained_models[request.param]
