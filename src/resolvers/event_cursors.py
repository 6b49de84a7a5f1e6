"""Cursors into the global history of status events."""

import base64
import binascii

from resolvers.errors import bad_user_input

_PREFIX = "event:"


def encode_event_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{sequence}".encode()).decode().rstrip("=")


def decode_event_cursor(cursor: str, *, argument: str = "after") -> int:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError(raw)
        sequence = int(raw.removeprefix(_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_user_input(f"{argument} is not an event cursor.", argument=argument) from None
    if sequence < 0:
        raise bad_user_input(f"{argument} is not an event cursor.", argument=argument)
    return sequence
