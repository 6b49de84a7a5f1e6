import logging
import sys

import orjson
import pytest

from appointment_api.logs import JsonFormatter, current_request_id
from appointment_api.request_id import choose_request_id

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def record(message: str, **extra: object) -> logging.LogRecord:
    return logging.getLogger("appointment_api.test").makeRecord(
        "appointment_api.test", logging.WARNING, __file__, 1, message, None, None, extra=extra
    )


def test_a_line_is_one_json_object_with_level_logger_and_message() -> None:
    line = orjson.loads(JsonFormatter().format(record("queue unavailable")))

    assert line["level"] == "warning"
    assert line["logger"] == "appointment_api.test"
    assert line["message"] == "queue unavailable"
    assert "request_id" not in line


def test_the_request_id_comes_from_the_context_while_a_request_is_served() -> None:
    token = current_request_id.set("req-from-http")
    try:
        line = orjson.loads(JsonFormatter().format(record("stored")))
    finally:
        current_request_id.reset(token)

    assert line["request_id"] == "req-from-http"


def test_an_explicit_request_id_wins_and_other_extras_are_kept() -> None:
    token = current_request_id.set("req-of-the-task")
    try:
        line = orjson.loads(
            JsonFormatter().format(record("decided", request_id="req-of-message", outbox_id=7))
        )
    finally:
        current_request_id.reset(token)

    assert line["request_id"] == "req-of-message"
    assert line["outbox_id"] == 7


def test_an_exception_is_logged_in_full_on_the_line() -> None:
    try:
        raise ValueError("broken invariant")
    except ValueError:
        failed = record("unexpected error")
        failed.exc_info = sys.exc_info()

    line = orjson.loads(JsonFormatter().format(failed))

    assert "ValueError: broken invariant" in line["exception"]


@pytest.mark.parametrize(
    ("incoming", "traceparent", "expected"),
    [
        ("req-1", f"00-{TRACE_ID}-00f067aa0ba902b7-01", "req-1"),
        (None, f"00-{TRACE_ID}-00f067aa0ba902b7-01", TRACE_ID),
        ("bad id with spaces", f"00-{TRACE_ID}-00f067aa0ba902b7-01", TRACE_ID),
    ],
)
def test_the_request_id_is_the_callers_or_the_trace_id(
    incoming: str | None, traceparent: str, expected: str
) -> None:
    assert choose_request_id(incoming, traceparent) == expected


@pytest.mark.parametrize(
    "traceparent",
    [None, "garbage", f"00-{'0' * 32}-00f067aa0ba902b7-01", f"00-{TRACE_ID}-short-01"],
)
def test_without_a_usable_header_a_fresh_id_is_made(traceparent: str | None) -> None:
    chosen = choose_request_id(None, traceparent)

    assert len(chosen) == 36
    assert chosen != choose_request_id(None, traceparent)
