"""OpenAPI and Swagger UI that work both at `/` and under the service prefix.

FastAPI's built-in routes mutate `app.servers` per root_path; serving one cached schema
and adding `servers` per request keeps `/openapi.json` and `/<svc>/openapi.json` consistent.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from starlette.responses import HTMLResponse

from servicekit.api.responses import FastJSONResponse


def install_docs(app: FastAPI) -> None:
    cache: dict[str, Any] = {}

    def schema() -> dict[str, Any]:
        if "schema" not in cache:
            cache["schema"] = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
        return dict(cache["schema"])

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> FastJSONResponse:
        document = schema()
        root_path = request.scope.get("root_path", "").rstrip("/")
        if root_path:
            document["servers"] = [{"url": root_path}]
        return FastJSONResponse(document)

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(openapi_url=f"{root_path}/openapi.json", title=app.title)
