import orjson
from starlette.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    """orjson rendering: a 1,000-row batch response serialises several times faster."""

    def render(self, content: object) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
