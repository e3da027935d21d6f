"""Central exception handlers: every error leaves as a JSON `ErrorResponse` that reads well."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.api.responses import FastJSONResponse
from servicekit.errors import ServiceError
from servicekit.logging import request_id_var
from servicekit.metrics import ServiceMetrics

log = logging.getLogger("servicekit.errors")

MAX_LISTED_ERRORS = 5
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Sequence[dict[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> FastJSONResponse:
    body = {
        "error": code,
        "message": message,
        "details": list(details),
        "request_id": request_id_var.get(),
    }
    return FastJSONResponse(body, status_code=status, headers=headers)


def _field(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _batch_too_long(errors: Sequence[Any]) -> int | None:
    """The batch's row count when validation failed on it being over MAX_BATCH_SIZE."""
    for err in errors:
        if err.get("type") == "too_long" and tuple(err.get("loc", ())) == ("body", "instances"):
            return int((err.get("ctx") or {}).get("actual_length", 0))
    return None


def install_handlers(app: FastAPI, metrics: ServiceMetrics, max_batch_size: int) -> None:
    def count_invalid(request: Request) -> None:
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.validation_errors.labels(metrics.service, route).inc()

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> FastJSONResponse:
        count_invalid(request)
        if request.method == "POST" and not _is_json(request):
            got = request.headers.get("content-type", "none")
            return error_response(
                415, "unsupported_media_type", f"Content-Type must be application/json, got {got}"
            )
        rows = _batch_too_long(exc.errors())
        if rows is not None:
            # Too many rows is a size limit like the body's, so it is a 413, not a 422.
            message = f"batch has {rows} rows; the maximum is {max_batch_size}"
            return error_response(413, "batch_too_large", message)
        details = []
        for err in exc.errors():
            message, loc = str(err.get("msg", "invalid value")), err.get("loc", ())
            if err.get("type") == "json_invalid":
                # loc is ("body", <character offset>): say where, but name the body as the field.
                reason = (err.get("ctx") or {}).get("error", "invalid syntax")
                message, loc = f"malformed JSON at character {loc[-1]}: {reason}", ("body",)
            elif err.get("type") == "extra_forbidden":
                message = "unknown field"
            details.append({"field": _field(loc), "message": message})
        listed = "; ".join(f"{d['field']}: {d['message']}" for d in details[:MAX_LISTED_ERRORS])
        more = len(details) - MAX_LISTED_ERRORS
        summary = listed + (f"; and {more} more" if more > 0 else "")
        return error_response(422, "validation_error", summary, details)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> FastJSONResponse:
        return error_response(exc.status_code, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> FastJSONResponse:
        if isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI answers 400 to a JSON body that is not UTF-8; it is malformed JSON like
            # any other, so it gets the one documented answer: 422.
            count_invalid(request)
            at = exc.__cause__.start
            message = f"malformed JSON at byte {at}: not valid UTF-8"
            return error_response(
                422, "validation_error", message, [{"field": "body", "message": message}]
            )
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        # Keep Starlette's headers: a 405 must say what is allowed (RFC 9110, Allow).
        return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> FastJSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return error_response(500, "internal_error", "internal error; see the service log")
