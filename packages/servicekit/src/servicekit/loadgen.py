"""Drive a real service process with HTTP load: what `make bench` and `make capacity` share.

The server runs as its own process pinned to core 0 (a pod at a one-core limit); the client
pins itself to core 1 when there is one. The clients speak raw HTTP/1.1 over keep-alive
sockets, so they add little to the server's figures (httpx adds about 0.3 ms a request).
"""

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

LOADING = "model is loading"  # /ready's reason until the load ends (api/app.py; test_scoring)
SERVER_CORE = 0
CLIENT_CORE = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pin(pid: int, core: int) -> None:
    """Pin a process (0: this one) to `core`; a no-op on a machine without that core."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > core:
        os.sched_setaffinity(pid, {core})


@contextmanager
def pinned(core: int) -> Iterator[None]:
    """This process on `core` for the block, then back on the cores it had."""
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    pin(0, core)
    try:
        yield
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)


@dataclass(frozen=True)
class Server:
    port: int
    pid: int
    ready_s: float  # process start to the first 200 from /ready
    key: str  # the server's one API key: measured as prod runs, with the key checked


@contextmanager
def serving(service: str, model_path: Path) -> Iterator[Server]:
    """Start `python -m <service> serve` on a free port, pinned to one core, and pin this
    process (the client) to another for the block; stop the server after."""
    port, key = free_port(), secrets.token_urlsafe(16)
    env = os.environ | {
        "MODEL_PATH": str(model_path),
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "AUTH": "keys",
        "API_KEY": key,
    }
    started = time.perf_counter()
    # Pinned just after the spawn rather than in a preexec_fn, which needs a fork of this
    # process (unsafe once it has threads).
    process = subprocess.Popen(
        [sys.executable, "-m", service, "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pin(process.pid, SERVER_CORE)
    try:
        with pinned(CLIENT_CORE):
            ready_s = _wait_ready(port, service, started, process)
            yield Server(port, process.pid, ready_s, key)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _wait_ready(port: int, name: str, started: float, process: subprocess.Popen[bytes]) -> float:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10) as http:
        while True:
            try:
                answer = http.get("/ready")
            except httpx.TransportError:
                answer = None
            if answer is not None and answer.status_code == 200:
                return time.perf_counter() - started
            # The app loads its model once (api/app.py): any reason but "loading" is final.
            reason = answer.json().get("reason") if answer is not None else None
            if reason not in (None, LOADING):
                raise RuntimeError(f"{name} cannot serve: {reason}")
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} before it was ready")
            if time.perf_counter() - started > 60:
                raise RuntimeError(f"{name} did not become ready within 60 s")
            time.sleep(0.005)


def rss_mib(pid: int) -> float:
    """Resident set size of a process (Linux /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc), in seconds."""
    # The command name (field 2) may hold spaces; the fields after its closing paren do not.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def request_bytes(path: str, body: bytes, key: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def body_length(head: bytes, path: str) -> int:
    """Content-Length of a 200 response's head; any other status is an error."""
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"{path} answered {head.splitlines()[0]!r}")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    raise RuntimeError(f"{path} answered without a Content-Length")


class Connection:
    """One keep-alive HTTP/1.1 connection on a plain socket, one request at a time."""

    def __init__(self, server: Server) -> None:
        self.key = server.key
        self.sock = socket.create_connection(("127.0.0.1", server.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def post(self, path: str, body: bytes) -> float:
        """Send one request and read its whole answer; the milliseconds it took."""
        start = time.perf_counter()
        self.sock.sendall(request_bytes(path, body, self.key))
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        length = body_length(head, path)
        while len(self.buffer) < length:
            self.buffer += self._recv()
        self.buffer = self.buffer[length:]
        return (time.perf_counter() - start) * 1e3

    def _recv(self) -> bytes:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        return chunk


@dataclass(frozen=True)
class LoadRun:
    """What one closed-loop run measured."""

    connections: int
    seconds: float
    latencies_ms: tuple[float, ...]  # one per answered request
    server_cpu_s: float  # CPU the server process used during the run
    client_cpu_s: float  # CPU this (client) process used during the run

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        """Answered requests per second."""
        return self.requests / self.seconds


def closed_loop(
    server: Server, path: str, body: bytes, connections: int, seconds: float
) -> LoadRun:
    """`connections` keep-alive connections, each sending its next request as soon as its
    last answer is in, for `seconds`; every answer must be a 200."""
    return asyncio.run(_closed_loop(server, path, body, connections, seconds))


async def _closed_loop(
    server: Server, path: str, body: bytes, connections: int, seconds: float
) -> LoadRun:
    request = request_bytes(path, body, server.key)
    latencies: list[float] = []
    opened = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(connections)]

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (sent := time.perf_counter()) < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(body_length(head[:-4], path))
            latencies.append((time.perf_counter() - sent) * 1e3)

    server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
    start = time.perf_counter()
    stop = start + seconds
    try:
        await asyncio.gather(*(client(reader, writer) for reader, writer in opened))
    finally:
        for _, writer in opened:
            writer.close()
    elapsed = time.perf_counter() - start
    return LoadRun(
        connections=connections,
        seconds=elapsed,
        latencies_ms=tuple(latencies),
        server_cpu_s=cpu_seconds(server.pid) - server_cpu,
        client_cpu_s=time.process_time() - client_cpu,
    )
