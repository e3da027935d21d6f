import json
import logging

from servicekit.logging import JsonFormatter, request_id_var


def test_json_lines_carry_service_request_id_and_extras() -> None:
    record = logging.makeLogRecord(
        {"name": "x", "levelname": "INFO", "msg": "hello %s", "args": ("you",),
         "route": "/predict", "color_message": "dup"}
    )  # fmt: skip
    token = request_id_var.set("req-1")
    try:
        line = json.loads(JsonFormatter("telecom").format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "hello you"
    assert line["service"] == "telecom" and line["request_id"] == "req-1"
    assert line["route"] == "/predict" and "color_message" not in line
