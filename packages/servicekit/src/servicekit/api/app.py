"""The app factory: one FastAPI app per service, identical plumbing for all of them."""

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import numpy as np
from fastapi import Body, Depends, FastAPI, Request, Security
from fastapi.security import APIKeyHeader
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.responses import Response

from servicekit.api.docs import install_docs
from servicekit.api.guard import RequestGuard
from servicekit.api.handlers import install_handlers
from servicekit.api.middleware import ServiceMiddleware
from servicekit.api.responses import FastJSONResponse
from servicekit.api.schemas import (
    ErrorResponse,
    HealthResponse,
    ModelMetadata,
    ReadyResponse,
    response_models,
)
from servicekit.definition import ServiceDefinition, Task
from servicekit.errors import ConfigError, ModelNotReadyError, NotFoundError
from servicekit.features import FeatureSpec
from servicekit.keys import ApiKeys, KeyFileError, hash_key
from servicekit.metrics import ServiceMetrics
from servicekit.runtime import ModelRuntime, Predictions
from servicekit.settings import ServiceSettings, get_settings

API_VERSION = "1.0.0"  # the HTTP contract; the model version is in every response


# The error answers each route documents in the OpenAPI document.
ERROR_TEXTS = {
    401: "X-API-Key is missing or not a client's key",
    413: "Body larger than MAX_BODY_BYTES, or a batch larger than MAX_BATCH_SIZE",
    415: "Body is not application/json",
    422: "Invalid input",
    503: "Model not loaded yet, or MAX_IN_FLIGHT predictions running (see Retry-After)",
}
MODEL_ERROR_TEXTS = {401: ERROR_TEXTS[401], 503: "Model not loaded yet"}


def _documented(texts: dict[int, str], keyed: bool) -> dict[int | str, dict[str, Any]]:
    """Error responses for the OpenAPI document; the 401 only where the key is enforced."""
    return {
        code: {"model": ErrorResponse, "description": text}
        for code, text in texts.items()
        if keyed or code != 401
    }


# Behind the key: what costs CPU or tells about the model. Probes, the index and the
# contract stay open (the kubelet and clients need them without a key).
PREDICTION_ROUTES = frozenset({"/predict", "/predict/batch"})
PROTECTED_ROUTES = PREDICTION_ROUTES | {"/model", "/model/card"}
NOT_READY = "the model is not loaded; the service log says why"


def api_keys(settings: ServiceSettings, metrics: ServiceMetrics) -> ApiKeys | None:
    """The clients allowed in, or None for the explicit open mode. Fails closed: AUTH=keys
    (the default) without a single key is an error, not an open service."""
    key = settings.api_key
    fixed = {hash_key(key.get_secret_value()): "default"} if key else {}
    if settings.api_keys_file is None and not fixed:
        if settings.auth == "open":
            return None
        raise ConfigError(
            "AUTH=keys and no key: set API_KEYS_FILE (python -m servicekit.keys new CLIENT) or "
            "API_KEY, or AUTH=open for an open development service"
        )
    on_failure = metrics.keys_reload_failures.labels(metrics.service).inc
    try:
        keys = ApiKeys(settings.api_keys_file, fixed, on_reload_failure=on_failure)
    except KeyFileError as exc:
        raise ConfigError(str(exc)) from None
    if not keys.clients:
        raise ConfigError(f"{settings.api_keys_file}: the keys file lists no client")
    return keys


def create_app(
    definition: ServiceDefinition,
    settings: ServiceSettings | None = None,
    runtime: ModelRuntime | None = None,
) -> FastAPI:
    """Build the API. A pre-loaded `runtime` skips loading from MODEL_PATH (used by tests)."""
    settings = settings or get_settings(definition.name)
    runtime = runtime or ModelRuntime(definition)
    metrics = ServiceMetrics(definition.name)
    keys = api_keys(settings, metrics)
    metrics.set_cpu_request(settings.cpu_request_millicores)

    def publish_model_state() -> None:
        if runtime.ready:
            meta = runtime.metadata
            metrics.set_model(
                runtime.version,
                meta.get("algorithm", ""),
                meta.get("trained_at", ""),
                meta.get("outcome_shares", {}),
            )
            metrics.set_reference(runtime.reference)

    def load_model() -> None:
        runtime.load(settings.resolved_model_path)
        publish_model_state()
        # Move everything loaded so far (libraries, the model) out of the collector's reach:
        # full collections then scan only request garbage, which keeps batch p99 flat.
        gc.collect()
        gc.freeze()

    publish_model_state()  # a pre-loaded runtime is ready before any lifespan runs

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load in a worker thread so /health answers at once and /ready flips when done.
        loader = None if runtime.ready else asyncio.create_task(asyncio.to_thread(load_model))
        yield
        # Shutdown begins: leave the load balancer before the last requests drain.
        runtime.mark_unready()
        metrics.model_ready.labels(definition.name).set(0)
        if loader is not None:
            await loader

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=API_VERSION,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        default_response_class=FastJSONResponse,
    )
    # Added first, so it runs inside ServiceMiddleware: its refusals get a request id, a log
    # line and a metric like any other answer.
    app.add_middleware(
        RequestGuard,
        keys=keys,
        protected=PROTECTED_ROUTES,
        limited=PREDICTION_ROUTES,
        max_body_bytes=settings.body_limit,
        max_in_flight=settings.max_in_flight,
        metrics=metrics,
    )
    app.add_middleware(ServiceMiddleware, prefix=definition.prefix, metrics=metrics)
    install_handlers(app, metrics, settings.max_batch_size)
    install_docs(app, swagger=settings.docs)
    _install_probes(app, definition, runtime, settings.docs)
    if settings.metrics_port is None:
        _install_metrics(app, metrics)
    # serve() exposes it on METRICS_PORT instead, outside the routes any ingress reaches.
    app.state.metrics_registry = metrics.registry
    _install_predictions(app, definition, runtime, metrics, settings, keyed=keys is not None)
    return app


# Declares the scheme in the OpenAPI document; RequestGuard enforces it before the body is read.
API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False)


def _install_probes(
    app: FastAPI, definition: ServiceDefinition, runtime: ModelRuntime, docs: bool
) -> None:
    links = ("docs", "openapi.json", "ready", "model", "model/card")[0 if docs else 1 :]

    @app.get("/", summary="Service index")
    async def index(request: Request) -> dict[str, Any]:
        root = request.scope.get("root_path", "")
        return {
            "service": definition.name,
            "title": definition.title,
            "model_version": runtime.version if runtime.ready else None,
            "links": {name: f"{root}/{name}" for name in links},
        }

    @app.get("/health", response_model=HealthResponse, summary="Liveness")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/ready",
        response_model=ReadyResponse,
        summary="Readiness: 200 once the model is loaded and warmed up",
        responses={503: {"model": ReadyResponse}},
    )
    async def ready() -> Response:
        if runtime.ready:
            return FastJSONResponse({"status": "ready", "model_version": runtime.version})
        # The reason names no file or exception: those are in the service log.
        body = {"status": "not_ready", "reason": NOT_READY if runtime.error else "model is loading"}
        return FastJSONResponse(body, status_code=503)


def _install_metrics(app: FastAPI, metrics: ServiceMetrics) -> None:
    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _openapi_examples(
    examples: Sequence[dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first example as the typical request, the one with the most nulls as the way to
    send unknown values, and all of them as a batch."""
    single = {"typical": {"summary": "A typical request", "value": examples[0]}}
    sparse = max(examples[1:], key=lambda e: sum(v is None for v in e.values()))
    if None in sparse.values():
        summary = "Unknown values as null (leaving the field out means the same)"
        single["with unknowns"] = {"summary": summary, "value": sparse}
    rows = {"instances": list(examples)}
    return single, {"rows": {"summary": f"{len(examples)} rows", "value": rows}}


def request_columns(rows: Sequence[BaseModel], spec: FeatureSpec) -> dict[str, Any]:
    """Rows as columns: numeric inputs as float arrays (None -> NaN), converted once for
    the model and the drift counters alike; categorical inputs as lists."""
    columns: dict[str, Any] = {
        name: np.array([getattr(row, name) for row in rows], dtype=np.float64)
        for name in spec.numeric
    }
    return columns | {name: [getattr(row, name) for row in rows] for name in spec.categorical}


def _items(definition: ServiceDefinition, preds: Predictions) -> list[dict[str, Any]]:
    values = preds.values.tolist()
    if definition.task is Task.BINARY:
        assert preds.classes is not None
        return [
            {"prediction": c, "label": o, "probability": p}
            for c, o, p in zip(preds.classes.tolist(), preds.outcomes, values, strict=True)
        ]
    if definition.task is Task.MULTICLASS:
        assert preds.classes is not None
        labels = definition.class_labels
        return [
            {"prediction": c, "label": o, "probability": row[c],
             "probabilities": dict(zip(labels, row, strict=True))}
            for c, o, row in zip(preds.classes.tolist(), preds.outcomes, values, strict=True)
        ]  # fmt: skip
    return [{"prediction": v, "band": o} for v, o in zip(values, preds.outcomes, strict=True)]


def _install_predictions(
    app: FastAPI,
    definition: ServiceDefinition,
    runtime: ModelRuntime,
    metrics: ServiceMetrics,
    settings: ServiceSettings,
    keyed: bool,
) -> None:
    max_batch_size = settings.max_batch_size
    # The key scheme and its 401 appear in the OpenAPI document only where they are enforced.
    guarded = [Security(API_KEY_HEADER)] if keyed else []
    errors = _documented(ERROR_TEXTS, keyed)
    model_errors = _documented(MODEL_ERROR_TEXTS, keyed)
    spec = definition.features
    Row = definition.request_model
    SingleResponse, BatchRequest, BatchResponse = response_models(definition, max_batch_size)
    single_examples, batch_examples = _openapi_examples(definition.examples)

    def ready_runtime() -> ModelRuntime:
        if not runtime.ready:
            raise ModelNotReadyError(NOT_READY if runtime.error else "model is still loading")
        return runtime

    ReadyModel = Annotated[ModelRuntime, Depends(ready_runtime)]

    @app.get(
        "/model",
        response_model=ModelMetadata,
        summary="Loaded model metadata",
        responses=model_errors,
        dependencies=guarded,
    )
    async def model_metadata(model: ReadyModel) -> dict[str, Any]:
        return {k: v for k, v in model.metadata.items() if k in ModelMetadata.model_fields}

    @app.get(
        "/model/card",
        summary="The loaded model's card (Markdown): purpose, data, metrics, limitations",
        response_class=Response,
        responses={
            200: {"content": {"text/markdown": {"schema": {"type": "string"}}}},
            404: {"model": ErrorResponse, "description": "The model was trained without a card"},
            **model_errors,
        },
        dependencies=guarded,
    )
    async def model_card(model: ReadyModel) -> Response:
        if model.card is None:
            raise NotFoundError("the loaded model has no MODEL_CARD.md (trained before cards)")
        return Response(model.card, media_type="text/markdown; charset=utf-8")

    @app.post(
        "/predict",
        response_model=SingleResponse,
        responses=errors,
        summary="Predict one row",
        dependencies=guarded,
    )
    async def predict(
        payload: Annotated[Row, Body(openapi_examples=single_examples)],  # type: ignore[valid-type]
        model: ReadyModel,
    ) -> Response:
        start = time.perf_counter()
        columns = request_columns([payload], spec)
        preds = model.predict(columns)
        metrics.observe_predictions("single", preds.outcomes, time.perf_counter() - start)
        metrics.observe_inputs(columns)
        return FastJSONResponse({**_items(definition, preds)[0], "model_version": model.version})

    @app.post(
        "/predict/batch",
        response_model=BatchResponse,
        responses=errors,
        summary=f"Predict up to MAX_BATCH_SIZE ({max_batch_size}) rows",
        dependencies=guarded,
    )
    async def predict_batch(
        payload: Annotated[BatchRequest, Body(openapi_examples=batch_examples)],  # type: ignore[valid-type]
        model: ReadyModel,
    ) -> Response:
        rows = payload.instances  # type: ignore[attr-defined]
        start = time.perf_counter()
        columns = request_columns(rows, spec)
        preds = model.predict(columns)
        metrics.observe_predictions("batch", preds.outcomes, time.perf_counter() - start)
        metrics.observe_inputs(columns)
        items = _items(definition, preds)
        body = {"model_version": model.version, "count": len(items), "predictions": items}
        return FastJSONResponse(body)
