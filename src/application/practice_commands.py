"""What the practice's staff (and patients, for their own profile) ask of the use cases."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from domain.booking_settings import BookingSettings
from domain.schedule import WorkingHours
from domain.viewer import Viewer


@dataclass(frozen=True, slots=True)
class PsychologistFields:
    """Profile fields; None leaves a field as it is (an empty bio clears it)."""

    name: str | None = None
    email: str | None = None
    specialties: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    time_zone: str | None = None
    bio: str | None = None
    default_duration_minutes: int | None = None
    consultation_fee: Decimal | None = None
    # Only an admin sets these two.
    subject: str | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class CreatePsychologist:
    viewer: Viewer
    request_id: str
    name: str
    email: str
    time_zone: str
    working_hours: tuple[WorkingHours, ...]
    default_duration_minutes: int
    consultation_fee: Decimal
    specialties: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    bio: str | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class UpdatePsychologist:
    viewer: Viewer
    request_id: str
    psychologist_id: UUID
    fields: PsychologistFields


@dataclass(frozen=True, slots=True)
class DeactivatePsychologist:
    viewer: Viewer
    request_id: str
    psychologist_id: UUID


@dataclass(frozen=True, slots=True)
class SetWeeklyHours:
    """``effective_from`` None: from today, in the psychologist's zone."""

    viewer: Viewer
    request_id: str
    psychologist_id: UUID
    hours: tuple[WorkingHours, ...]
    effective_from: date | None = None


@dataclass(frozen=True, slots=True)
class TimeOffDates:
    """Whole local days, ``first`` to ``last`` included."""

    first: date
    last: date


@dataclass(frozen=True, slots=True)
class TimeOffInstants:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class AddTimeOff:
    """Covering PENDING or CONFIRMED sessions, it is refused with the list of them, unless
    ``cancel_conflicts``: then each is cancelled as cancelAppointment would, with
    ``cancellation_reason``."""

    viewer: Viewer
    request_id: str
    psychologist_id: UUID
    period: TimeOffDates | TimeOffInstants
    reason: str | None = None
    cancel_conflicts: bool = False
    cancellation_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RemoveTimeOff:
    viewer: Viewer
    request_id: str
    psychologist_id: UUID
    time_off_id: UUID


@dataclass(frozen=True, slots=True)
class AddExtraHours:
    viewer: Viewer
    request_id: str
    psychologist_id: UUID
    day: date
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class RemoveExtraHours:
    viewer: Viewer
    request_id: str
    psychologist_id: UUID
    extra_hours_id: UUID


@dataclass(frozen=True, slots=True)
class SetBookingSettings:
    """Replaces every setting: what is left out goes back to the practice's default."""

    viewer: Viewer
    request_id: str
    psychologist_id: UUID
    settings: BookingSettings


@dataclass(frozen=True, slots=True)
class UpdateMyProfile:
    """A patient's own name, phone and time zone; None leaves a field, "" clears phone
    and time zone."""

    viewer: Viewer
    request_id: str
    name: str | None = None
    phone: str | None = None
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class CreatePatient:
    viewer: Viewer
    request_id: str
    name: str
    email: str
    phone: str | None = None
    time_zone: str | None = None
    subject: str | None = None
