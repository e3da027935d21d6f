"""One pure-ASGI middleware for what every request needs.

Path prefix, request id, metrics and the access log.

Pure ASGI rather than BaseHTTPMiddleware: it adds microseconds, not a task per request.
"""

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.logging import request_id_var
from servicekit.metrics import ServiceMetrics

log = logging.getLogger("servicekit.access")

# Where RequestGuard (api/guard.py) leaves the name of the client a key belongs to.
CLIENT_SCOPE_KEY = "servicekit.client"

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes and scrapes would drown the access log; they are still counted in metrics.
_QUIET_ROUTES = frozenset({"/health", "/ready", "/metrics"})


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            candidate: str = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class ServiceMiddleware:
    def __init__(self, app: ASGIApp, prefix: str, metrics: ServiceMetrics) -> None:
        self.app = app
        self.prefix = prefix
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        scope = dict(scope)
        # Serving under /<service>/... without a proxy rewrite: declaring the prefix as the
        # root_path makes routing, OpenAPI `servers` and the docs page all prefix-aware. A
        # root_path the server already set (uvicorn --root-path) leads the path (ASGI), so
        # the prefix is looked for after it.
        root: str = scope.get("root_path", "")
        within = path[len(root) :] if path.startswith(root) else path
        if within == self.prefix or within.startswith(self.prefix + "/"):
            scope["root_path"] = root + self.prefix
        request_id = _incoming_request_id(scope)
        token = request_id_var.set(request_id)
        status = 500  # stays 500 if the app raises before starting a response
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER, request_id.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            self.metrics.observe_request(scope["method"], route, status, elapsed)
            level = logging.DEBUG if route in _QUIET_ROUTES else logging.INFO
            if log.isEnabledFor(level):
                log.log(
                    level,
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": path,
                        "route": route,
                        "status": status,
                        "client": scope.get(CLIENT_SCOPE_KEY),
                        "duration_ms": round(elapsed * 1000, 3),
                    },
                )
            request_id_var.reset(token)


def _route_template(scope: dict[str, Any]) -> str:
    """The matched route's template keeps label cardinality bounded; unknown paths share one."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
