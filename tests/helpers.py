"""Small factories for API tests: apps, clients and request bodies derived from a schema."""

from typing import Any

from annotated_types import Le
from fastapi import FastAPI
from fastapi.testclient import TestClient

from servicekit.api import create_app
from servicekit.definition import ServiceDefinition
from servicekit.runtime import ModelRuntime
from servicekit.settings import ServiceSettings


def make_app(
    definition: ServiceDefinition, runtime: ModelRuntime | None = None, **settings: Any
) -> FastAPI:
    return create_app(
        definition, ServiceSettings(service_name=definition.name, **settings), runtime
    )


def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def examples(definition: ServiceDefinition) -> list[dict[str, Any]]:
    return [dict(e) for e in definition.examples]


def bounded_field(definition: ServiceDefinition) -> tuple[str, float]:
    """A numeric request field with an upper bound, and that bound."""
    for name, info in definition.request_model.model_fields.items():
        for meta in info.metadata:
            if isinstance(meta, Le):
                return name, float(meta.le)
    raise AssertionError(f"{definition.name} has no bounded field")


def required_field(definition: ServiceDefinition) -> str:
    return next(n for n, f in definition.request_model.model_fields.items() if f.is_required())
