"""A real uvicorn process on loopback, started through the service's own CLI."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import Trained
from registry import names
from servicekit.keys import hash_key
from servicekit.loadgen import rss_mib
from tests.helpers import examples, free_port, post_large_body, running_service, wait_until

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


def test_large_bodies_without_a_key_are_refused_unread_and_the_process_does_not_grow(
    trained_models: dict[str, Trained], tmp_path: Path
) -> None:
    """The issue's measurement: three concurrent 38 MB bodies without a key took one process
    from 67 MB to 324 MB before each got its 401. Now the key is checked first, the size next."""
    trained = trained_models[names()[0]]
    keys = tmp_path / "keys"
    keys.write_text(f"tester {hash_key('tester-key')}\n")
    size = 38_000_000
    with running_service(
        trained.definition, trained.model_path, AUTH="keys", API_KEYS_FILE=str(keys)
    ) as (process, base):
        port = int(base.rsplit(":", 1)[1])
        before = rss_mib(process.pid)

        def post(headers: dict[str, str]) -> tuple[bytes, int]:
            return post_large_body("127.0.0.1", port, "/predict/batch", size, headers)

        with ThreadPoolExecutor(3) as pool:
            unkeyed = list(pool.map(post, [{}] * 3))
        keyed = post({"X-API-Key": "tester-key"})
        after = rss_mib(process.pid)
        with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:
            ok = http.post("/predict", json=examples(trained.definition)[0],
                           headers={"X-API-Key": "tester-key"})  # fmt: skip
            metrics = http.get("/metrics").text
        alive = process.poll() is None
    print(f"RSS {before:.0f} -> {after:.0f} MiB; body bytes taken: {unkeyed}, {keyed}")
    assert [status for status, _ in unkeyed] == [b"HTTP/1.1 401 Unauthorized"] * 3
    # The reason phrase is the Python version's (3.13 says "Content Too Large"): the code counts.
    assert keyed[0].startswith(b"HTTP/1.1 413 ")
    assert after - before < 16, f"RSS grew by {after - before:.0f} MiB"
    assert ok.status_code == 200 and alive
    assert 'http_requests_rejected_total{reason="unauthorized",service=' in metrics


def test_keys_rotate_in_a_live_process_without_a_restart(
    trained_models: dict[str, Trained], tmp_path: Path
) -> None:
    trained = trained_models[names()[0]]
    keys = tmp_path / "keys"
    keys.write_text(f"web {hash_key('key-2026-11')}\n")
    body = examples(trained.definition)[0]

    def status(http: httpx.Client, key: str) -> int:
        return http.post("/predict", json=body, headers={"X-API-Key": key}).status_code

    def replace(text: str) -> None:  # an atomic swap, as a Secret volume does
        keys.with_suffix(".next").write_text(text)
        keys.with_suffix(".next").replace(keys)

    with (
        running_service(
            trained.definition, trained.model_path, AUTH="keys", API_KEYS_FILE=str(keys)
        ) as (process, base),
        httpx.Client(base_url=base, trust_env=False, timeout=5) as http,
    ):
        assert (status(http, "key-2026-11"), status(http, "key-2026-12")) == (200, 401)
        replace(f"web {hash_key('key-2026-11')}\nweb-2 {hash_key('key-2026-12')}\n")
        wait_until(lambda: status(http, "key-2026-12") == 200, 10, "the new key to work")
        assert status(http, "key-2026-11") == 200  # both during the switch
        replace(f"web-2 {hash_key('key-2026-12')}\n")
        wait_until(lambda: status(http, "key-2026-11") == 401, 10, "the old key to stop")
        assert status(http, "key-2026-12") == 200
        assert process.poll() is None
    output, _ = process.communicate(timeout=20)
    reloads = [json.loads(line) for line in output.splitlines() if "keys file reloaded" in line]
    assert [(r["added"], r["removed"]) for r in reloads] == [(["web-2"], []), ([], ["web"])]
    assert "key-2026" not in output


def _serve_fails(trained: Trained, **env: str) -> str:
    """The service's serve command with these settings: it must exit 2; its stderr."""
    result = subprocess.run(
        [sys.executable, "-m", trained.definition.name, "serve"],
        env=os.environ | {"MODEL_PATH": str(trained.model_path)} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout
    return result.stderr


def test_without_keys_the_server_refuses_to_start_with_one_line(
    trained_models: dict[str, Trained],
) -> None:
    trained = trained_models[names()[0]]
    name = trained.definition.name
    assert _serve_fails(trained, AUTH="keys", API_KEY="") == (
        f"{name} serve: error: AUTH=keys and no key: set API_KEYS_FILE (python -m "
        "servicekit.keys new CLIENT) or API_KEY, or AUTH=open for an open development service\n"
    )
    assert _serve_fails(trained, AUTH="open", MAX_IN_FLIGHT="0") == (
        f"{name} serve: error: MAX_IN_FLIGHT: Input should be greater than or equal to 1\n"
    )


def test_metrics_port_serves_the_exposition_and_the_api_port_none(
    trained_models: dict[str, Trained],
) -> None:
    trained = trained_models[names()[0]]
    name = trained.definition.name
    metrics_port = free_port()
    with (
        running_service(trained.definition, trained.model_path, METRICS_PORT=str(metrics_port)) as (
            _,
            base,
        ),
        httpx.Client(trust_env=False, timeout=5) as http,
    ):
        assert http.post(f"{base}/predict", json=examples(trained.definition)[0]).status_code == 200
        assert http.get(f"{base}/metrics").status_code == 404
        assert http.get(f"{base}/{name}/metrics").status_code == 404
        scraped = http.get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        # The same registry the API writes to: the prediction above is counted there.
        served = [
            line
            for line in scraped.text.splitlines()
            if line.startswith("http_requests_total{") and 'route="/predict"' in line
        ]
        assert served and float(served[0].rsplit(" ", 1)[1]) == 1.0


def test_a_metrics_port_that_clashes_or_is_taken_stops_the_start_with_one_line(
    trained_models: dict[str, Trained],
) -> None:
    trained = trained_models[names()[0]]
    name = trained.definition.name
    assert _serve_fails(trained, AUTH="open", PORT="8000", METRICS_PORT="8000") == (
        f"{name} serve: error: METRICS_PORT 8000 is PORT too; give it its own port\n"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert _serve_fails(trained, AUTH="open", HOST="127.0.0.1", METRICS_PORT=str(port)) == (
            f"{name} serve: error: METRICS_PORT {port}: Address already in use\n"
        )
