"""Shared kit for the platform's prediction services.

A service declares what is its own (request schema, feature spec, dataset contract,
estimator) in a `ServiceDefinition`; the kit provides everything else: the FastAPI app,
settings, logging, metrics, error mapping, model loading and the compiled fast path,
plus (with the `train` extra) data loading, training, MLflow tracking and benchmarks.
"""

from servicekit.definition import ServiceDefinition, Task

__all__ = ["ServiceDefinition", "Task"]
