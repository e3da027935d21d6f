"""The kit's middleware around a small app: prefix, request ids, metrics and the access log."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from servicekit.api.middleware import ServiceMiddleware
from servicekit.logging import request_id_var
from servicekit.metrics import ServiceMetrics


@pytest.fixture
def metrics() -> ServiceMetrics:
    return ServiceMetrics("svc")


@pytest.fixture
def api(metrics: ServiceMetrics) -> TestClient:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, object]:
        return {"item": item_id, "request_id": request_id_var.get()}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    app.add_middleware(ServiceMiddleware, prefix="/svc", metrics=metrics)
    return TestClient(app, raise_server_exceptions=False)


def requests(metrics: ServiceMetrics, route: str, status: str) -> float | None:
    labels = {"service": "svc", "method": "GET", "route": route, "status": status}
    return metrics.registry.get_sample_value("http_requests_total", labels)


def test_the_service_prefix_is_served_like_the_root(api: TestClient) -> None:
    assert api.get("/items/1").json()["item"] == 1
    assert api.get("/svc/items/2").json()["item"] == 2
    # Only the whole path segment is a prefix.
    assert api.get("/svcx/items/3").status_code == 404
    assert api.get("/svc").status_code == 404


def test_the_prefix_is_served_behind_a_servers_root_path(metrics: ServiceMetrics) -> None:
    """As `uvicorn --root-path /gw` presents a request for /gw/svc/items/4."""
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"item": item_id}

    app.add_middleware(ServiceMiddleware, prefix="/svc", metrics=metrics)
    behind = TestClient(app, root_path="/gw")
    assert behind.get("/gw/svc/items/4").json() == {"item": 4}
    assert behind.get("/gw/items/5").json() == {"item": 5}
    labels = {"service": "svc", "method": "GET", "route": "/items/{item_id}", "status": "200"}
    assert metrics.registry.get_sample_value("http_requests_total", labels) == 2


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("trace-42", True),
        ("a.b_c:d-E9", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("has space", False),
        ("", False),
    ],
)
def test_a_valid_request_id_is_kept_and_any_other_replaced(
    api: TestClient, sent: str, kept: bool
) -> None:
    response = api.get("/items/1", headers={"X-Request-ID": sent})
    echoed = response.headers["x-request-id"]
    # The handler sees the id that the response carries.
    assert response.json()["request_id"] == echoed
    if kept:
        assert echoed == sent
    else:
        assert echoed != sent and len(echoed) == 32 and int(echoed, 16) >= 0
    assert request_id_var.get() == "-"


def test_requests_are_counted_by_route_template_and_status(
    api: TestClient, metrics: ServiceMetrics
) -> None:
    for path in ("/items/1", "/svc/items/2", "/items/x", "/nowhere/1", "/nowhere/2", "/boom"):
        api.get(path)
    assert requests(metrics, "/items/{item_id}", "200") == 2
    assert requests(metrics, "/items/{item_id}", "422") == 1
    # Unknown paths share one label value, so scanners cannot grow the series without bound.
    assert requests(metrics, "unmatched", "404") == 2
    # A handler that raises before responding is counted as a 500.
    assert requests(metrics, "/boom", "500") == 1
    duration = metrics.registry.get_sample_value(
        "http_request_duration_seconds_count",
        {"service": "svc", "method": "GET", "route": "/items/{item_id}", "status": "200"},
    )
    assert duration == 2


def test_the_access_log_names_each_request(
    api: TestClient, metrics: ServiceMetrics, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="servicekit.access"):
        api.get("/svc/items/7")
    (record,) = caplog.records
    assert record.levelno == logging.INFO and record.getMessage() == "request"
    fields = {k: getattr(record, k) for k in ("method", "path", "route", "status")}
    assert fields == {"method": "GET", "path": "/svc/items/7", "route": "/items/{item_id}",
                      "status": 200}  # fmt: skip
    # The same duration as the histogram's, in milliseconds to the microsecond.
    labels = {"service": "svc", "method": "GET", "route": "/items/{item_id}", "status": "200"}
    seconds = metrics.registry.get_sample_value("http_request_duration_seconds_sum", labels)
    assert seconds is not None and 0 < seconds < 10
    assert record.duration_ms == round(seconds * 1000, 3)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("level", "logged"),
    [(logging.DEBUG, ["/items/{item_id}", "/health"]), (logging.INFO, ["/items/{item_id}"])],
)
def test_probes_are_logged_only_at_debug(
    api: TestClient, caplog: pytest.LogCaptureFixture, level: int, logged: list[str]
) -> None:
    with caplog.at_level(level, logger="servicekit.access"):
        api.get("/items/1")
        api.get("/health")
    assert [r.route for r in caplog.records] == logged  # type: ignore[attr-defined]


def test_lifespan_events_pass_through(metrics: ServiceMetrics) -> None:
    started: list[bool] = []
    app = FastAPI(on_startup=[lambda: started.append(True)])
    app.add_middleware(ServiceMiddleware, prefix="/svc", metrics=metrics)
    with TestClient(app):
        assert started == [True]


@dataclass(frozen=True)
class CallResult:
    scope: dict[str, Any]
    start: Message
    request_id_after: str


def _call(metrics: ServiceMetrics, scope: dict[str, Any], start: Message) -> CallResult:
    """Run the middleware on one raw ASGI request, in this task's context."""
    seen: list[dict[str, Any]] = []
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(dict(scope))
        await send(start)
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> str:
        await ServiceMiddleware(app, "/svc", metrics)(scope, receive, send)
        return request_id_var.get()

    after = asyncio.run(run())
    return CallResult(seen[0], sent[0], after)


def _scope(path: str, **extra: object) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "headers": [], **extra}


def test_the_prefix_extends_a_root_path_already_in_the_scope(metrics: ServiceMetrics) -> None:
    start = {"type": "http.response.start", "status": 204, "headers": []}
    # ASGI: the path starts with the root_path the server set.
    behind = _call(metrics, _scope("/gw/svc/items/1", root_path="/gw"), start)
    assert behind.scope["root_path"] == "/gw/svc"
    assert "root_path" not in _call(metrics, _scope("/gw/items/1"), start).scope
    # A server that leaves the root_path out of the path.
    legacy = _call(metrics, _scope("/svc/items/1", root_path="/gw"), start)
    assert legacy.scope["root_path"] == "/gw/svc"
    direct = _call(metrics, _scope("/svc/items/1"), start)
    assert direct.scope["root_path"] == "/svc"
    assert "root_path" not in _call(metrics, _scope("/items/1"), start).scope


def test_the_request_id_is_added_to_a_response_without_headers(metrics: ServiceMetrics) -> None:
    sent = _call(metrics, _scope("/x"), {"type": "http.response.start", "status": 204})
    ((name, value),) = sent.start["headers"]
    assert name == b"x-request-id" and len(value) == 32
    # The id belongs to the request: once it is answered, the context is as before.
    assert sent.request_id_after == "-"
