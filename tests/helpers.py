"""Small factories for tests: apps, clients, request bodies, real service processes."""

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
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
    """An app in the open dev mode unless `settings` give keys (AUTH=keys is the default)."""
    settings.setdefault("auth", "open")
    return create_app(
        definition, ServiceSettings(service_name=definition.name, **settings), runtime
    )


def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def examples(definition: ServiceDefinition) -> list[dict[str, Any]]:
    return [dict(e) for e in definition.examples]


def served_value(item: dict[str, Any], definition: ServiceDefinition) -> Any:
    """What the model returned for one response item, as `predict_value` gives it: the
    positive class's probability, every class's probability in class order, or the value."""
    if "probabilities" in item:
        return [item["probabilities"][label] for label in definition.class_labels]
    return float(item["probability"] if "probability" in item else item["prediction"])


def outcome_of(item: dict[str, Any]) -> str:
    """The label a response item is counted under in the metrics: its class or value band."""
    return str(item["band"] if "band" in item else item["label"])


def bounded_field(definition: ServiceDefinition) -> tuple[str, float]:
    """A numeric request field with an upper bound, and that bound."""
    for name, info in definition.request_model.model_fields.items():
        for meta in info.metadata:
            if isinstance(meta, Le) and isinstance(meta.le, int | float):
                return name, float(meta.le)
    raise AssertionError(f"{definition.name} has no bounded field")


def required_field(definition: ServiceDefinition) -> str:
    return next(n for n, f in definition.request_model.model_fields.items() if f.is_required())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], object], seconds: float, what: str, interval: float = 0.1
) -> float:
    """Poll `check` (transport errors count as not yet) until it holds or time runs out;
    return the seconds it took."""
    start = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        if time.monotonic() - start > seconds:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(interval)


@contextmanager
def running_service(
    definition: ServiceDefinition, model_path: Path, **env: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The service's own CLI (`python -m <service> serve`) on a free loopback port, ready."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", definition.name, "serve"],
        env=os.environ
        | {"MODEL_PATH": str(model_path), "HOST": "127.0.0.1", "PORT": str(port), "AUTH": "open"}
        | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:

            def ready() -> bool:
                assert process.poll() is None, f"{definition.name} exited early"
                return http.get("/ready").status_code == 200

            wait_until(ready, 60, f"{definition.name} to become ready")
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def venv_tool(name: str) -> str | None:
    """A command installed by a locked dev dependency (beside this Python), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def uv_binary() -> str:
    """The uv this project installed: `uv run` names itself in UV; `make setup` puts its pinned
    uv in .tools/bin. A uv on PATH is only the last resort (a fresh machine has none)."""
    local = Path(__file__).resolve().parents[1] / ".tools" / "bin" / "uv"
    for candidate in (os.environ.get("UV"), str(local), shutil.which("uv")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise RuntimeError("no uv: run `make setup` (it installs the pinned uv into .tools/bin)")


def checkov_binary() -> str | None:
    """checkov from .tools/checkov (scripts/install-test-tools.sh), else one on PATH."""
    local = Path(__file__).resolve().parents[1] / ".tools" / "checkov" / "bin" / "checkov"
    return str(local) if local.is_file() else shutil.which("checkov")


# Would block: a plain socket's, and a TLS socket's waiting for a record either way.
_WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def post_large_body(
    host: str,
    port: int,
    path: str,
    size: int,
    headers: dict[str, str],
    tls: ssl.SSLContext | None = None,
) -> tuple[bytes, int]:
    """POST `size` bytes of JSON with Content-Length (over TLS with `tls`), sending until the
    server answers; return its status line and how many body bytes it had taken by then (its
    buffers included)."""
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {size}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    chunk, sent = b"[" + b"1," * 32767, 0
    with socket.create_connection((host, port), timeout=30) as raw:
        sock = tls.wrap_socket(raw, server_hostname=host) if tls else raw
        sock.sendall(head.encode())
        sock.setblocking(False)
        reply, deadline = b"", time.monotonic() + 60
        while b"\r\n" not in reply:
            assert time.monotonic() < deadline, f"no answer to a {size}-byte body on {path}"
            try:
                reply += sock.recv(4096)
                continue
            except _WOULD_BLOCK:
                pass
            if sent < size:
                try:
                    sent += sock.send(chunk[: size - sent])
                except (*_WOULD_BLOCK, ssl.SSLError, BrokenPipeError, ConnectionResetError):
                    time.sleep(0.001)
            else:
                time.sleep(0.001)
    return reply.split(b"\r\n", 1)[0], sent
