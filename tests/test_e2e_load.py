"""The e2e load generator, on a real local service: it counts right and stops by itself.
(The e2e suite needs a cluster; this part of it does not.)"""

import time

import pytest

from conftest import Trained
from tests.e2e.cluster import Load
from tests.helpers import examples, running_service

pytestmark = pytest.mark.slow


def test_load_stops_at_its_request_bound_and_counts_failures(
    trained_models: dict[str, Trained],
) -> None:
    trained = trained_models["telecom"]
    body = examples(trained.definition)[0]
    with running_service(
        trained.definition, trained.model_path, API_KEY="k", LOG_LEVEL="WARNING"
    ) as (_, base):
        with Load(f"{base}/predict", body, {"X-API-Key": "k"}, workers=3, max_requests=60) as ok:
            ok.wait(timeout=30)
        with Load(f"{base}/predict", body, {}, workers=2, max_requests=10, max_seconds=20) as bad:
            bad.wait(timeout=30)
    assert 60 <= ok.result.requests <= 62  # each worker finishes the request it is in
    assert ok.result.failures == 0
    summary = ok.result.summary()
    assert summary["requests"] == ok.result.requests
    assert 0 < summary["latency_ms"]["p50"] <= summary["latency_ms"]["p99"]
    assert bad.result.failures == bad.result.requests >= 10
    assert bad.result.errors[0].startswith("HTTP 401")


def test_load_stops_at_its_time_bound(trained_models: dict[str, Trained]) -> None:
    trained = trained_models["telecom"]
    body = examples(trained.definition)[0]
    # LOG_LEVEL=WARNING: running_service pipes the server's stdout and nobody reads it here;
    # a request log line per call would fill the pipe and stall the server.
    with running_service(trained.definition, trained.model_path, LOG_LEVEL="WARNING") as (_, base):
        load = Load(f"{base}/predict", body, {}, workers=2, max_seconds=1.5)
        with load:
            load.wait(timeout=30)
            assert not load.running
    assert 1.5 <= load.result.seconds < 10
    assert load.result.failures == 0


def test_successes_are_timed_and_a_crashed_worker_is_recorded(
    trained_models: dict[str, Trained],
) -> None:
    trained = trained_models["telecom"]
    body = examples(trained.definition)[0]
    with running_service(trained.definition, trained.model_path, LOG_LEVEL="WARNING") as (_, base):
        start = time.monotonic()
        with Load(f"{base}/predict", body, {}, workers=2, max_requests=20) as ok:
            ok.wait(timeout=30)
        # A body httpx cannot encode raises TypeError, which no request-error handler expects:
        # the worker dies, and the result says so instead of just counting less.
        with Load(f"{base}/predict", {"bad": {1, 2}}, {}, workers=2, max_seconds=5) as broken:
            broken.wait(timeout=30)
    assert ok.result.succeeded_between(start, time.monotonic()) == ok.result.requests >= 20
    assert ok.result.succeeded_between(0, start) == 0
    assert not ok.result.crashes
    assert len(broken.result.crashes) == 2
    assert broken.result.crashes[0].startswith("TypeError")
    assert broken.result.summary()["crashed_workers"] == 2
