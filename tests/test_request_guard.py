"""What a request must pass before the app reads its body (servicekit.api.guard), on a real
trained service: the key first, then the size, then room among the predictions in flight."""

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from conftest import Trained
from registry import names
from servicekit.api.guard import RequestGuard, route_path
from servicekit.keys import RECHECK_SECONDS, hash_key
from servicekit.metrics import ServiceMetrics
from tests.helpers import client, examples, make_app

KEY = "guard-test-key-1"


@pytest.fixture
def trained(trained_models: dict[str, Trained]) -> Trained:
    return trained_models[names()[0]]


def _scope(path: str, headers: dict[str, str], method: str = "POST") -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


def _call(app: Any, scope: Scope, body: bytes) -> tuple[int, dict[str, str], dict[str, Any], int]:
    """Run one request through the ASGI app; also say how often it asked for the body."""
    reads = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    content = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], headers, json.loads(content), reads


def test_the_key_is_checked_before_the_body_is_read(trained: Trained) -> None:
    app = make_app(trained.definition, trained.runtime(), api_key=KEY)
    body = json.dumps(examples(trained.definition)[0]).encode()
    length = {"content-type": "application/json", "content-length": str(len(body))}
    for headers in (length, length | {"x-api-key": "not-" + KEY}):
        status, _, answer, reads = _call(app, _scope("/predict", headers), body)
        assert (status, answer["error"], reads) == (401, "unauthorized", 0)
    status, _, answer, reads = _call(app, _scope("/predict", length | {"x-api-key": KEY}), body)
    assert status == 200 and reads >= 1
    assert answer["model_version"] == trained.metadata["model_version"]


def test_a_body_over_the_limit_is_refused_from_its_length_unread(trained: Trained) -> None:
    app = make_app(trained.definition, trained.runtime(), api_key=KEY, max_body_bytes=4096)
    headers = {"content-type": "application/json", "content-length": "38000000", "x-api-key": KEY}
    status, _, answer, reads = _call(app, _scope("/predict/batch", headers), b"")
    assert (status, answer["error"], reads) == (413, "payload_too_large", 0)
    assert answer["message"] == "request body is 38000000 bytes; the limit is 4096"


def test_the_default_limit_follows_the_batch_size_and_fits_a_full_batch(trained: Trained) -> None:
    api = client(make_app(trained.definition, trained.runtime(), max_batch_size=200))
    rows = [examples(trained.definition)[i % 2] for i in range(200)]
    full = json.dumps({"instances": rows}, indent=4).encode()  # pretty-printed: 1.4x the size
    assert len(full) < 200 * 1024
    json_type = {"content-type": "application/json"}
    response = api.post("/predict/batch", content=full, headers=json_type)
    assert response.status_code == 200 and response.json()["count"] == 200
    over = api.post("/predict/batch", content=b" " * (200 * 1024 + 1))
    assert over.status_code == 413
    assert over.json()["message"].endswith(f"the limit is {200 * 1024}")


def test_a_chunked_body_is_cut_off_at_the_limit(trained: Trained) -> None:
    api = client(make_app(trained.definition, trained.runtime(), max_body_bytes=8192))
    body = json.dumps(examples(trained.definition)[0]).encode()

    def chunks(data: bytes, size: int = 1000) -> Iterator[bytes]:
        yield from (data[i : i + size] for i in range(0, len(data), size))

    headers = {"content-type": "application/json"}
    small = api.post("/predict", content=chunks(body), headers=headers)
    assert small.status_code == 200  # read within the limit, then handed to the app whole
    padded = body[:-1] + b"," + b" " * 9000 + b'"x": 1}'
    large = api.post("/predict", content=chunks(padded), headers=headers)
    assert large.status_code == 413
    assert large.json()["message"] == "request body is over the limit of 8192 bytes"


def _gate_app() -> tuple[Any, asyncio.Event, list[str]]:
    """An inner app that holds every request until the gate opens."""
    gate, served = asyncio.Event(), []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        await gate.wait()
        served.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return inner, gate, served


def test_predictions_beyond_max_in_flight_get_a_fast_503_and_probes_still_answer() -> None:
    inner, gate, served = _gate_app()
    metrics = ServiceMetrics("guarded")
    guard = RequestGuard(
        inner,
        keys=None,
        protected=frozenset(),
        limited=frozenset({"/predict"}),
        max_body_bytes=1024,
        max_in_flight=2,
        metrics=metrics,
    )

    async def request(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        await guard(_scope(path, {}), receive, send)
        return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]

    async def scenario() -> list[tuple[int, dict[bytes, bytes], bytes]]:
        held = [asyncio.create_task(request("/predict")) for _ in range(2)]
        await asyncio.sleep(0)  # both are now in flight, waiting at the gate
        refused = await request("/predict")
        probe = asyncio.create_task(request("/health"))
        await asyncio.sleep(0)
        gate.set()
        done = [await task for task in held] + [await probe]
        return [refused, *done, await request("/predict")]

    refused, first, second, probe, after = asyncio.run(scenario())
    assert refused[0] == 503 and refused[1][b"retry-after"] == b"1"
    assert json.loads(refused[2])["error"] == "overloaded"
    assert (
        json.loads(refused[2])["message"]
        == "2 predictions in flight, the most this pod takes; retry"
    )
    assert [first[0], second[0], probe[0], after[0]] == [200, 200, 200, 200]
    assert guard.in_flight == 0
    assert sorted(served) == ["/health", "/predict", "/predict", "/predict"]
    rejected = metrics.rejected.labels("guarded", "overloaded")._value.get()
    assert rejected == 1


def test_keys_name_the_client_in_the_access_log_and_refusals_never_log_the_key(
    trained: Trained, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"# clients\nalice {hash_key('alice-key-123')}\nbob {hash_key('bob-key')}\n")
    api = client(make_app(trained.definition, trained.runtime(), api_keys_file=keys))
    body = examples(trained.definition)[0]
    with caplog.at_level(logging.INFO):
        assert api.post("/predict", json=body, headers={"X-API-Key": "alice-key-123"}).is_success
        refused = api.post("/predict", json=body, headers={"X-API-Key": "mallory-guess-42"})
    assert refused.status_code == 401
    access = [r for r in caplog.records if r.name == "servicekit.access"]
    assert [(r.route, r.status, r.client) for r in access] == [
        ("/predict", 200, "alice"),
        ("unmatched", 401, None),
    ]
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert (warning.getMessage(), warning.reason) == ("request refused", "unknown X-API-Key")
    assert "mallory-guess-42" not in json.dumps([vars(r) for r in caplog.records], default=str)
    metrics = api.get("/metrics").text
    assert 'http_requests_rejected_total{reason="unauthorized",service=' in metrics


def test_docs_can_be_turned_off_while_the_contract_stays(trained: Trained) -> None:
    api = client(make_app(trained.definition, trained.runtime(), docs=False))
    assert api.get("/docs").status_code == 404
    assert api.get("/openapi.json").status_code == 200
    links = api.get("/").json()["links"]
    assert list(links) == ["openapi.json", "ready", "model", "model/card"]
    with_docs = client(make_app(trained.definition, trained.runtime()))
    assert "docs" in with_docs.get("/").json()["links"]


def test_open_mode_is_only_by_choice(trained: Trained, tmp_path: Path) -> None:
    from servicekit.errors import ConfigError

    empty = tmp_path / "keys"
    empty.write_text("# nobody yet\n")
    with pytest.raises(ConfigError, match="the keys file lists no client"):
        make_app(trained.definition, trained.runtime(), api_keys_file=empty)
    with pytest.raises(ConfigError, match="keys file does not exist"):
        make_app(trained.definition, trained.runtime(), api_keys_file=tmp_path / "absent")
    app: FastAPI = make_app(trained.definition, trained.runtime(), auth="open")
    assert client(app).post("/predict", json=examples(trained.definition)[0]).is_success


def test_api_key_is_the_client_default_and_a_bad_reload_is_counted_not_obeyed(
    trained: Trained, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"alice {hash_key('alice-key-123')}\n")
    app = make_app(trained.definition, trained.runtime(), api_keys_file=keys, api_key="fixed-9")
    api = client(app)
    body = examples(trained.definition)[0]
    with caplog.at_level(logging.INFO):
        assert api.post("/predict", json=body, headers={"X-API-Key": "fixed-9"}).is_success
        assert api.post("/predict", json=body, headers={"X-API-Key": "alice-key-123"}).is_success
    access = [r.client for r in caplog.records if r.name == "servicekit.access"]
    assert access == ["default", "alice"]
    # A half-written file: alice keeps her access, and the failure shows in the metrics.
    keys.write_text("alice not-a-hash\n")
    time.sleep(RECHECK_SECONDS + 0.2)
    assert api.post("/predict", json=body, headers={"X-API-Key": "alice-key-123"}).is_success
    name = trained.definition.name
    assert f'api_keys_reload_failures_total{{service="{name}"}} 1.0' in api.get("/metrics").text


def _echo_guard(max_body_bytes: int = 100) -> tuple[RequestGuard, ServiceMetrics, list[Message]]:
    """The guard in front of an app that reads two messages and answers with what it got,
    on /predict (limited) and on /other (passed through as it is)."""
    metrics = ServiceMetrics("echoed")
    seen: list[Message] = []

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        seen.extend([await receive(), await receive()])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": seen[0]["body"]})

    guard = RequestGuard(
        echo,
        keys=None,
        protected=frozenset(),
        limited=frozenset({"/predict"}),
        max_body_bytes=max_body_bytes,
        max_in_flight=4,
        metrics=metrics,
    )
    return guard, metrics, seen


def _through(guard: RequestGuard, scope: Scope, messages: list[Message]) -> tuple[int, bytes, int]:
    """One request through the guard, the server handing out `messages` in turn: the status,
    the body of the answer, and how many messages were read."""
    reads = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        return messages[reads - 1]

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(guard(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), reads


def _send_chunks(guard: RequestGuard, path: str, chunks: list[bytes]) -> tuple[int, bytes, int]:
    """A chunked request through the guard: its status, body, and how many chunks were read."""
    messages: list[Message] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ] + [{"type": "http.disconnect"}]
    return _through(guard, _scope(path, {"transfer-encoding": "chunked"}), messages)


def test_a_chunked_body_is_counted_across_every_chunk_and_reaches_the_app_whole() -> None:
    guard, metrics, seen = _echo_guard(max_body_bytes=100)
    exactly = [b"a" * 40, b"b" * 40, b"c" * 20]  # 100 bytes: at the limit, not over it
    assert _send_chunks(guard, "/predict", exactly)[:2] == (200, b"".join(exactly))
    # The app gets the body once, whole and final, then the server's own messages.
    assert seen == [
        {"type": "http.request", "body": b"".join(exactly), "more_body": False},
        {"type": "http.disconnect"},
    ]
    status, body, reads = _send_chunks(guard, "/predict", [b"x" * 40] * 5)
    assert (status, reads) == (413, 3)  # refused at the third chunk, the rest never read
    assert json.loads(body)["message"] == "request body is over the limit of 100 bytes"
    assert metrics.rejected.labels("echoed", "payload_too_large")._value.get() == 1


def test_a_length_at_the_limit_passes_and_routes_it_does_not_limit_get_the_servers_receive() -> (
    None
):
    guard, _, seen = _echo_guard(max_body_bytes=100)
    messages: list[Message] = [
        {"type": "http.request", "body": b"z" * 100, "more_body": False},
        {"type": "http.disconnect"},
    ]
    scope = _scope("/other", {"content-length": "100"})
    assert _through(guard, scope, messages)[:2] == (200, b"z" * 100)
    assert len(seen) == 2


def test_the_key_is_required_under_the_service_prefix_too(trained: Trained) -> None:
    api = client(make_app(trained.definition, trained.runtime(), api_key=KEY))
    body = examples(trained.definition)[0]
    prefix = f"/{trained.definition.name}"
    for path in ("/predict", f"{prefix}/predict"):
        assert api.post(path, json=body).status_code == 401, path
        assert api.post(path, json=body, headers={"X-API-Key": KEY}).status_code == 200, path
    assert api.get(f"{prefix}/model").status_code == 401


def test_a_refusal_is_logged_with_the_path_and_the_peer(
    trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    api = client(make_app(trained.definition, trained.runtime(), api_key=KEY))
    body = examples(trained.definition)[0]
    with caplog.at_level(logging.WARNING):
        api.post("/predict", json=body, headers={"X-Forwarded-For": "203.0.113.9"})
        api.post("/predict/batch", json={"instances": [body]})
    first, second = [r for r in caplog.records if r.name == "servicekit.auth"]
    assert (first.path, first.peer, first.forwarded_for) == (
        "/predict",
        "testclient",
        "203.0.113.9",
    )
    assert (second.path, second.peer, second.forwarded_for) == (
        "/predict/batch",
        "testclient",
        None,
    )


def test_the_route_is_the_path_below_the_root_path_only_when_under_it() -> None:
    assert route_path({"path": "/bankchurn/predict", "root_path": "/bankchurn"}) == "/predict"
    assert route_path({"path": "/predict", "root_path": "/bankchurn"}) == "/predict"
    assert route_path({"path": "/predict", "root_path": ""}) == "/predict"


def test_a_body_message_may_leave_out_its_optional_keys_and_a_client_may_leave() -> None:
    guard, metrics, seen = _echo_guard(max_body_bytes=100)
    chunked = _scope("/predict", {"transfer-encoding": "chunked"})
    messages: list[Message] = [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.request"},  # body and more_body are optional: b"" and False
        {"type": "http.disconnect"},
    ]
    assert (_through(guard, chunked, messages)[0], seen[0]["body"]) == (200, b"abc")
    # A client that leaves mid-body is not a body over the limit: the app sees what came.
    seen.clear()
    messages = [{"type": "http.request", "body": b"ab", "more_body": True}]
    _through(guard, chunked, messages + [{"type": "http.disconnect"}] * 2)
    assert seen[0]["body"] == b"ab"
    assert metrics.rejected.labels("echoed", "payload_too_large")._value.get() == 0


def test_a_refusal_without_a_peer_address_still_answers(
    trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(trained.definition, trained.runtime(), api_key=KEY)
    scope = _scope("/predict", {"content-type": "application/json"}) | {"client": None}
    with caplog.at_level(logging.WARNING):
        status, _, answer, _ = _call(app, scope, b"{}")
    assert (status, answer["error"]) == (401, "unauthorized")
    (refusal,) = [r for r in caplog.records if r.name == "servicekit.auth"]
    assert refusal.peer is None
