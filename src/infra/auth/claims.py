"""Verified claims to the domain's Viewer."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from domain.viewer import InvalidCredentials, Role, Viewer


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
    return datetime.fromtimestamp(expires, UTC)


def _subject(claims: Mapping[str, Any]) -> str:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidCredentials("claim sub is empty")
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
    if value is None or isinstance(value, str):
        return value
    raise InvalidCredentials(f"claim {name} is not a string")
