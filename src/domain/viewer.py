"""Who is asking: the authenticated caller, as the domain sees it."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    PATIENT = "PATIENT"
    PSYCHOLOGIST = "PSYCHOLOGIST"
    ADMIN = "ADMIN"


@dataclass(frozen=True, slots=True)
class Viewer:
    subject: str
    role: Role
    email: str | None = None
    name: str | None = None
    # When the credentials stop being valid: long-lived connections end there. Not part
    # of who the viewer is, so two tokens of one person compare equal.
    expires_at: datetime | None = field(default=None, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class InvalidCredentials(Exception):
    """The caller's credentials are missing, malformed, expired or not ours.

    ``reason`` is for the server log only: clients get a generic answer.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
