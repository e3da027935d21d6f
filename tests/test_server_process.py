"""A real uvicorn process on loopback, started through the service's own CLI."""

import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import Trained
from registry import names
from tests.helpers import examples, running_service

pytestmark = pytest.mark.slow


@pytest.fixture
def server(
    trained_models: dict[str, Trained],
) -> Iterator[tuple[subprocess.Popen[str], str, Trained]]:
    trained = trained_models[names()[0]]
    with running_service(
        trained.definition, trained.model_path, GRACEFUL_SHUTDOWN_SECONDS="10"
    ) as (process, base):
        yield process, base, trained


def test_serves_predictions_and_logs_json_with_the_request_id(
    server: tuple[subprocess.Popen[str], str, Trained],
) -> None:
    process, base, trained = server
    with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:
        response = http.post(
            f"/{trained.definition.name}/predict",
            json=examples(trained.definition)[0],
            headers={"x-request-id": "process-test-1"},
        )
        assert response.status_code == 200
        assert response.json()["model_version"] == trained.metadata["model_version"]
        assert (
            http.post(
                "/predict", content=b"{", headers={"content-type": "application/json"}
            ).status_code
            == 422
        )
        assert http.get("/health").status_code == 200
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [e for e in lines if e.get("request_id") == "process-test-1"]
    assert access and access[0]["route"] == "/predict" and access[0]["status"] == 200
    assert all(e["service"] == trained.definition.name for e in lines)


def test_sigterm_lets_an_in_flight_request_finish(
    server: tuple[subprocess.Popen[str], str, Trained],
) -> None:
    process, base, trained = server
    body = json.dumps(examples(trained.definition)[0]).encode()
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        sock.sendall(head + body[:10])  # the request is now in flight, its body half sent
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert process.poll() is None, "server quit with a request in flight"
        sock.sendall(body[10:])
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    assert b'"model_version"' in reply
    assert process.wait(timeout=15) == 0


def _get_on(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response on a kept-alive socket (headers, then Content-Length)."""
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))  # fmt: skip
    while len(body) < length:
        body += sock.recv(4096)
    return head


def test_idle_connections_live_for_keep_alive_seconds(trained_models: dict[str, Trained]) -> None:
    """KEEP_ALIVE_SECONDS reaches uvicorn: an idle connection outlives uvicorn's own 5 s
    default (so a proxy that keeps idle connections 60 s closes them first), and the server
    does close it once the setting's time has passed."""
    trained = trained_models[names()[0]]
    with (
        running_service(trained.definition, trained.model_path, KEEP_ALIVE_SECONDS="7") as (
            _,
            base,
        ),
        socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=10) as sock,
    ):
        assert _get_on(sock).startswith(b"HTTP/1.1 200")
        time.sleep(6)  # past uvicorn's default of 5 s
        assert _get_on(sock).startswith(b"HTTP/1.1 200"), "closed before KEEP_ALIVE_SECONDS"
        sock.settimeout(15)
        started = time.monotonic()
        assert sock.recv(1) == b"", "the server never closed the idle connection"
        assert time.monotonic() - started >= 5
