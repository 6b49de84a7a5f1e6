"""The read benchmark's pure parts: the open-loop generator's HTTP parsing and
percentiles, its result line, the profile summary and R3's week."""

import json
from datetime import UTC, datetime

import pytest
from bench.errors import BenchError
from bench.open_loop import MARKER, complete_answer, percentile
from bench.operations import slot_week
from bench.profile import layer_of, summarize
from bench.steady import parse


def test_an_answer_with_a_content_length_is_complete_once_its_body_is_in() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"
    assert complete_answer(bytearray(head + b"hel")) is None
    status, body, used = complete_answer(bytearray(head + b"helloHTTP")) or (0, b"", 0)
    assert (status, body, used) == (200, b"hello", len(head) + 5)


def test_a_chunked_answer_is_joined_and_complete_only_after_its_last_chunk() -> None:
    head = b"HTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"3\r\nabc\r\n2\r\nde\r\n"
    assert complete_answer(bytearray(head + chunks)) is None
    found = complete_answer(bytearray(head + chunks + b"0\r\n\r\n"))
    assert found == (429, b"abcde", len(head + chunks) + 5)


def test_headers_still_coming_are_not_an_answer() -> None:
    assert complete_answer(bytearray(b"HTTP/1.1 200 OK\r\ncontent-le")) is None


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def line(**figures: float) -> str:
    base = {
        "planned": 100,
        "completed": 100,
        "failures": 0,
        "p50_us": 2000.0,
        "p99_us": 5000.0,
        "max_us": 9000.0,
        "worst_send_lag_us": 300.0,
    }
    return "noise\n" + MARKER + json.dumps({**base, **figures}) + "\n"


def test_the_result_line_gives_milliseconds_and_the_tail_ratio() -> None:
    result = parse(line(), 50.0)
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (2.0, 5.0, 9.0)
    assert result.tail_ratio == 2.5
    assert result.meets_goal
    assert not parse(line(p99_us=7000.0), 50.0).meets_goal


@pytest.mark.parametrize("figures", [{"failures": 1}, {"completed": 99}])
def test_a_failed_or_missing_request_stops_the_run(figures: dict[str, float]) -> None:
    with pytest.raises(BenchError):
        parse(line(**figures), 50.0)


def test_no_result_line_stops_the_run() -> None:
    with pytest.raises(BenchError):
        parse("Traceback ...", 50.0)


RAW = "\n".join(
    [
        "main (app.py:1);run (uvicorn/main.py:2);execute (graphql/execution/executor.py:3) 6",
        "main (app.py:1);run (uvicorn/main.py:2);fetch (asyncpg/connection.py:4) 3",
        "main (app.py:1);page (resolvers/appointments.py:9) 1",
        "_bootstrap (threading.py:995);wait (threading.py:320) 5",
        "not a line",
    ]
)


def test_the_profile_is_summed_by_layer_and_by_function() -> None:
    found = summarize(RAW)
    assert found.samples == 10
    # Another thread's samples are counted apart, not in the shares.
    assert found.other_threads == 5
    layers = {share.name: share.fraction for share in found.layers}
    assert layers["graphql-core"] == 0.6
    assert layers["asyncpg"] == 0.3
    assert layers["resolvers (GraphQL types, loaders)"] == pytest.approx(0.1)
    assert found.self_time[0].name == "execute (graphql/execution/executor.py)"
    inclusive = {share.name: share.samples for share in found.inclusive}
    # On every stack (the server's loop): says nothing, left out.
    assert "main (app.py)" not in inclusive
    # On 9 of 10 stacks: above the 80% cut, left out too; the rest are counted.
    assert "run (uvicorn/main.py)" not in inclusive
    assert inclusive["execute (graphql/execution/executor.py)"] == 6


def test_a_file_outside_the_known_layers_is_other() -> None:
    assert layer_of("json/decoder.py") == "other (stdlib, C)"
    assert layer_of("") == "other"


@pytest.mark.parametrize(
    ("now", "monday"),
    [
        (datetime(2026, 12, 3, 16, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC)),
        (datetime(2026, 12, 5, 23, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC)),
        (datetime(2026, 12, 6, 0, tzinfo=UTC), datetime(2026, 12, 14, tzinfo=UTC)),
    ],
)
def test_the_slot_week_starts_on_a_monday_two_days_ahead_at_least(
    now: datetime, monday: datetime
) -> None:
    start, end = slot_week(now)
    assert start == monday
    assert (end - start).days == 7
    assert start.weekday() == 0
