"""Fixtures shared by every test directory: real generated data and really trained models.

Models are trained once per session (3-fold CV, full MLflow tracking into a temporary
store) and reused by the API, behavioural, quality and fast-path tests. With
MLOPS_TRAINED_MODELS set, they are kept in that directory and reused across sessions
(tests/trained.py).
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.trained import (
    CACHE_ENV,
    SERVICES,
    Trained,
    store_uri,
    train_missing,
)

__all__ = ["SERVICES", "Trained"]


@pytest.fixture(scope="session")
def trained_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = os.environ.get(CACHE_ENV)
    return Path(cache).resolve() if cache else tmp_path_factory.mktemp("trained")


@pytest.fixture(scope="session")
def mlflow_store(trained_root: Path) -> Iterator[str]:
    uri = store_uri(trained_root)
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    yield uri
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous


@pytest.fixture(scope="session")
def trained_models(trained_root: Path, mlflow_store: str) -> dict[str, Trained]:
    return train_missing(trained_root)


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest, trained_models: dict[str, Trained]) -> Trained:
    return trained_models[request.param]
