"""Connection arguments: validated page sizes and opaque keyset cursors.

A cursor names the ordering it belongs to, so a cursor from another ordering
or another connection is refused instead of silently paging the wrong index.
"""

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

import orjson

from domain.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Key, PageRequest, SortValue
from resolvers.errors import bad_user_input
from resolvers.scalars import parse_instant

# No sort value the API writes into a cursor is longer (names have at most 200 characters).
MAX_CURSOR_VALUE_LENGTH = 400


def encode_cursor(ordering: str, key: Key) -> str:
    value, row_id = key
    plain = value.isoformat() if isinstance(value, datetime) else value
    raw = orjson.dumps([ordering, plain, str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str, ordering: str, parse_value: Callable[[str], SortValue], *, argument: str
) -> Key:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        found_ordering, value, row_id = orjson.loads(raw)
        if found_ordering != ordering:
            raise ValueError("cursor of another connection or ordering")
        if not isinstance(value, str) or not isinstance(row_id, str):
            raise ValueError("cursor of another shape")
        if len(value) > MAX_CURSOR_VALUE_LENGTH or "\x00" in value:
            raise ValueError("cursor value no key holds")
        return parse_value(value), UUID(row_id)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise bad_user_input(
            f"{argument} is not a cursor of this connection and ordering.", argument=argument
        ) from None


def parse_datetime_key(value: str) -> SortValue:
    return parse_instant(value)


def parse_text_key(value: str) -> SortValue:
    return value


def page_request(
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    decode: Callable[[str, str], Key],
) -> PageRequest:
    """``decode(cursor, argument_name)`` turns a cursor into a key or raises."""
    if first is not None and last is not None:
        raise bad_user_input("Pass either first or last, not both.", argument="last")
    for name, count in (("first", first), ("last", last)):
        if count is not None and not 0 <= count <= MAX_PAGE_SIZE:
            raise bad_user_input(f"{name} must be between 0 and {MAX_PAGE_SIZE}.", argument=name)
    return PageRequest(
        size=first if first is not None else last if last is not None else DEFAULT_PAGE_SIZE,
        backwards=last is not None,
        after=decode(after, "after") if after is not None else None,
        before=decode(before, "before") if before is not None else None,
    )
