"""Page sizes and cursors: what is accepted, and how the rest is refused."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.listing import DEFAULT_PAGE_SIZE, Key
from resolvers.errors import ClientError
from resolvers.pagination import (
    decode_cursor,
    encode_cursor,
    page_request,
    parse_datetime_key,
    parse_text_key,
)

ORDERING = "appointments:SCHEDULED_AT:ASC"


def decode(cursor: str, argument: str) -> Key:
    return decode_cursor(cursor, ORDERING, parse_datetime_key, argument=argument)


def test_a_cursor_round_trips_its_key() -> None:
    key = (datetime(2030, 5, 1, 9, 30, tzinfo=UTC), uuid4())
    assert decode(encode_cursor(ORDERING, key), "after") == key


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64 !",
        "WyJ4Il0",  # ["x"]
        encode_cursor("appointments:CREATED_AT:ASC", (datetime(2030, 1, 1, tzinfo=UTC), uuid4())),
        encode_cursor("psychologists:NAME:ASC", ("Dr. A", uuid4())),
        encode_cursor(ORDERING, ("2030-01-01T00:00:00", uuid4())),  # no offset
    ],
)
def test_forged_or_foreign_cursors_are_bad_user_input(cursor: str) -> None:
    with pytest.raises(ClientError) as refused:
        decode(cursor, "after")
    assert refused.value.extensions == {"code": "BAD_USER_INPUT", "argument": "after"}


def test_a_text_key_cursor_keeps_its_text() -> None:
    key = ("CONFIRMED", uuid4())
    ordering = "appointments:STATUS:DESC"
    assert (
        decode_cursor(encode_cursor(ordering, key), ordering, parse_text_key, argument="a") == key
    )


def test_the_default_page_is_twenty_forward() -> None:
    request = page_request(first=None, after=None, last=None, before=None, decode=decode)
    assert (request.size, request.backwards) == (DEFAULT_PAGE_SIZE, False)


def test_last_pages_backwards_from_before() -> None:
    key = (datetime(2030, 5, 1, tzinfo=UTC), uuid4())
    request = page_request(
        first=None, after=None, last=5, before=encode_cursor(ORDERING, key), decode=decode
    )
    assert (request.size, request.backwards, request.before) == (5, True, key)


@pytest.mark.parametrize(
    ("first", "last", "argument"),
    [
        (101, None, "first"),
        (None, 101, "last"),
        (-1, None, "first"),
        (None, -3, "last"),
        (2, 2, "last"),
    ],
)
def test_out_of_range_or_conflicting_counts_are_refused(
    first: int | None, last: int | None, argument: str
) -> None:
    with pytest.raises(ClientError) as refused:
        page_request(first=first, after=None, last=last, before=None, decode=decode)
    assert refused.value.extensions == {"code": "BAD_USER_INPUT", "argument": argument}
