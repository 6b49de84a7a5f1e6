"""Relay global IDs: opaque to clients, ``Type:uuid`` inside."""

import base64
import binascii
from uuid import UUID

from resolvers.errors import bad_user_input


def to_global_id(type_name: str, value: UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{value}".encode()).decode().rstrip("=")


def from_global_id(global_id: str, *, argument: str) -> tuple[str, UUID]:
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, raw = base64.urlsafe_b64decode(padded.encode()).decode().split(":", 1)
        return type_name, UUID(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_user_input(f"{argument} is not a valid ID.", argument=argument) from None


def expect_global_id(global_id: str, type_name: str, *, argument: str) -> UUID:
    found_type, value = from_global_id(global_id, argument=argument)
    if found_type != type_name:
        raise bad_user_input(f"{argument} must be the ID of a {type_name}.", argument=argument)
    return value
