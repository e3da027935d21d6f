"""Shared kit for the platform's prediction services.

A service declares what is its own (request schema, feature spec, dataset contract,
estimator) in a `ServiceDefinition`; the kit provides everything else: the FastAPI app,
settings, logging, metrics, error mapping, and loading and scoring the served model (numpy
only), plus (with the `train` extra: scikit-learn, pandas, MLflow) data loading, training,
the export of the served model, tracking and benchmarks.
"""

from servicekit.definition import ServiceDefinition, Task

__all__ = ["ServiceDefinition", "Task"]
