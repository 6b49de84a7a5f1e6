"""Verified claims to the domain's Viewer."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from domain.viewer import InvalidCredentials, Role, Viewer

# The columns that keep a subject (patients, psychologists, idempotency scopes) hold 200.
MAX_SUBJECT_LENGTH = 200
MAX_CLAIM_LENGTH = {"email": 320, "name": 200}
# 9999-12-31T23:59:59Z: the last instant a datetime holds.
LAST_EXPIRY = 253_402_300_799


def viewer_from_claims(claims: Mapping[str, Any]) -> Viewer:
    return Viewer(
        subject=_subject(claims),
        role=_role(claims),
        email=_optional_text(claims, "email"),
        name=_optional_text(claims, "name"),
        expires_at=_expiry(claims),
    )


def _expiry(claims: Mapping[str, Any]) -> datetime | None:
    expires = claims.get("exp")
    if expires is None:
        return None
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise InvalidCredentials("claim exp is not a number")
    if not 0 <= expires <= LAST_EXPIRY:
        raise InvalidCredentials("claim exp is beyond the year 9999")
    return datetime.fromtimestamp(expires, UTC)


def _subject(claims: Mapping[str, Any]) -> str:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidCredentials("claim sub is empty")
    if len(subject) > MAX_SUBJECT_LENGTH or "\x00" in subject:
        raise InvalidCredentials(
            f"claim sub is longer than {MAX_SUBJECT_LENGTH} characters or holds NUL"
        )
    return subject


def _role(claims: Mapping[str, Any]) -> Role:
    role = claims.get("role")
    if not isinstance(role, str):
        raise InvalidCredentials("claim role is not a string")
    try:
        return Role(role.upper())
    except ValueError:
        raise InvalidCredentials(f"unknown role {role[:32]!r}") from None


def _optional_text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCredentials(f"claim {name} is not a string")
    if len(value) > MAX_CLAIM_LENGTH[name] or "\x00" in value:
        raise InvalidCredentials(f"claim {name} is too long or holds NUL")
    return value
