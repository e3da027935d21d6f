"""OpenAPI and Swagger UI that work both at `/` and under the service prefix.

FastAPI's built-in routes mutate `app.servers` per root_path; serving one cached schema
and adding `servers` per request keeps `/openapi.json` and `/<svc>/openapi.json` consistent.
FastAPI also writes the document without any None, which turns an example's null into an
omitted field; the request examples are put back as written.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse

from servicekit.api.responses import FastJSONResponse


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once; `servers` is added per request, not here."""
    document: dict[str, Any] | None = getattr(app.state, "openapi_document", None)
    if document is None:
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        _restore_request_examples(app, document)
        app.state.openapi_document = document
    return dict(document)


def install_docs(app: FastAPI, swagger: bool) -> None:
    """/openapi.json always (the contract); the Swagger page only where `swagger` (its assets
    come from a CDN, which prod does not serve pages from)."""

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> FastJSONResponse:
        document = openapi_document(app)
        root_path = request.scope.get("root_path", "").rstrip("/")
        if root_path:
            document["servers"] = [{"url": root_path}]
        return FastJSONResponse(document)

    if not swagger:
        return

    @app.get("/docs", include_in_schema=False)
    async def swagger_page(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(openapi_url=f"{root_path}/openapi.json", title=app.title)


def _restore_request_examples(app: FastAPI, document: dict[str, Any]) -> None:
    for route in app.routes:
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        # Body(openapi_examples=...) gives fastapi.params.Body, which carries them.
        examples = getattr(route.body_field.field_info, "openapi_examples", None)
        if not examples:
            continue
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            operation["requestBody"]["content"]["application/json"]["examples"] = examples
