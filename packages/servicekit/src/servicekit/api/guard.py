"""What a request must pass before the app reads its body: a known key, a bounded size, room.

FastAPI reads and parses a body before it runs any dependency, so a key checked there comes
too late: a few large unauthenticated bodies are enough to OOM-kill a pod. This pure-ASGI layer
sits in front of the routes and answers from the headers alone:

- 401 on the protected routes without a known X-API-Key (the client's name goes to the access
  log; the key never does);
- 413 when Content-Length is over the limit, or, for a chunked body, as soon as the bytes
  received pass it (the rest is never read);
- 503 with Retry-After when MAX_IN_FLIGHT predictions are already running: a saturated pod
  answers at once instead of queueing without bound while the HPA adds pods.
"""

import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.api.handlers import error_response
from servicekit.api.middleware import CLIENT_SCOPE_KEY
from servicekit.keys import ApiKeys
from servicekit.metrics import ServiceMetrics

log = logging.getLogger("servicekit.auth")

KEY_HEADER = b"x-api-key"
RETRY_AFTER_SECONDS = 1


def route_path(scope: Scope) -> str:
    """The path below the root path (the service prefix, once ServiceMiddleware set it)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        keys: ApiKeys | None,
        protected: frozenset[str],
        limited: frozenset[str],
        max_body_bytes: int,
        max_in_flight: int,
        metrics: ServiceMetrics,
    ) -> None:
        self.app = app
        self.keys = keys
        self.protected = protected
        self.limited = limited
        self.max_body_bytes = max_body_bytes
        self.max_in_flight = max_in_flight
        self.metrics = metrics
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_path(scope)
        if self.keys is not None and route in self.protected:
            refusal = self._authenticate(scope)
            if refusal is not None:
                await self._reject(scope, receive, send, 401, "unauthorized", refusal)
                return
        length = _header(scope, b"content-length")
        if length is not None and int(length) > self.max_body_bytes:
            # uvicorn refuses a malformed Content-Length before we see it, so int() holds.
            message = f"request body is {int(length)} bytes; the limit is {self.max_body_bytes}"
            await self._reject(scope, receive, send, 413, "payload_too_large", message)
            return
        if length is None and _header(scope, b"transfer-encoding") is not None:
            body = await self._read_bounded(receive)
            if body is None:
                message = f"request body is over the limit of {self.max_body_bytes} bytes"
                await self._reject(scope, receive, send, 413, "payload_too_large", message)
                return
            receive = _replay(body, receive)
        if route not in self.limited:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            message = f"{self.in_flight} predictions in flight, the most this pod takes; retry"
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            await self._reject(scope, receive, send, 503, "overloaded", message, headers)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _authenticate(self, scope: Scope) -> str | None:
        """None when the key is known (the client is recorded), else why not."""
        assert self.keys is not None
        given = _header(scope, KEY_HEADER)
        if given is None:
            reason = "missing X-API-Key header"
        else:
            client = self.keys.client(given.decode("latin-1"))
            if client is not None:
                scope[CLIENT_SCOPE_KEY] = client
                return None
            reason = "unknown X-API-Key"
        peer = scope.get("client")
        forwarded = _header(scope, b"x-forwarded-for")
        log.warning(
            "request refused",
            extra={
                "reason": reason,
                "path": scope["path"],
                "peer": peer[0] if peer else None,
                "forwarded_for": forwarded.decode("latin-1") if forwarded else None,
            },
        )
        return reason

    async def _read_bounded(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body and the server the rest
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _reject(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        reason: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.metrics.rejected.labels(self.metrics.service, reason).inc()
        await error_response(status, reason, message, headers=headers)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands over the body read already, then the server's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
