"""Cursors into the global history of status events."""

import base64
import binascii

from resolvers.errors import bad_user_input

_PREFIX = "event:"
# Sequences are 64-bit integers (bigint): a larger number names no event.
MAX_SEQUENCE = 2**63 - 1
# The digits of MAX_SEQUENCE: int() of a longer text is refused before it is computed.
_MAX_DIGITS = len(str(MAX_SEQUENCE))


def encode_event_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{sequence}".encode()).decode().rstrip("=")


def decode_event_cursor(cursor: str, *, argument: str = "after") -> int:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        digits = raw.removeprefix(_PREFIX)
        if (
            not raw.startswith(_PREFIX)
            or not (digits.isascii() and digits.isdigit())
            or len(digits) > _MAX_DIGITS
        ):
            raise ValueError(raw)
        sequence = int(digits)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_user_input(f"{argument} is not an event cursor.", argument=argument) from None
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise bad_user_input(f"{argument} is not an event cursor.", argument=argument)
    return sequence
