"""The people of the domain: patients and psychologists."""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from domain.schedule import WorkingHours


@dataclass(frozen=True, slots=True)
class Psychologist:
    id: UUID
    name: str
    email: str
    time_zone: str
    working_hours: tuple[WorkingHours, ...]
    default_duration_minutes: int
    consultation_fee: Decimal
    specialties: tuple[str, ...] = ()
    active: bool = True
    subject: str | None = None
    languages: tuple[str, ...] = ()
    bio: str | None = None


@dataclass(frozen=True, slots=True)
class Patient:
    id: UUID
    name: str
    email: str
    phone: str | None = None
    subject: str | None = None
    # Where the patient reads the clock; None leaves it to each view.
    time_zone: str | None = None
