"""The stores the practice's use cases reach through a unit of work: calendars, the people's
profiles, and the audit of schedule changes."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.booking_settings import BookingSettings
from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours
from domain.lifecycle import SessionPolicy
from domain.people import Patient, Psychologist
from domain.schedule import Interval
from domain.viewer import Role


class Calendars(Protocol):
    """A psychologist's calendar, its time off and extra hours read for a period around
    what is being decided. Every write announces a ScheduleChange once committed."""

    async def calendars(self, ids: list[UUID], around: Interval) -> dict[UUID, Calendar]: ...

    async def lock(self, psychologist_id: UUID, around: Interval) -> Calendar | None:
        """The calendar, whose psychologist no other unit of work changes (or decides for)
        until this one ends."""
        ...

    async def set_weekly_hours(
        self, psychologist_id: UUID, weekly: WeeklyHours, *, at: datetime
    ) -> None:
        """In force from its date on; replaces a change made for the same date."""
        ...

    async def add_extra_hours(
        self, psychologist_id: UUID, extra: ExtraHours, *, at: datetime
    ) -> None: ...

    async def remove_extra_hours(
        self, psychologist_id: UUID, extra_id: UUID
    ) -> ExtraHours | None: ...

    async def add_time_off(self, psychologist_id: UUID, off: TimeOff, *, at: datetime) -> None: ...

    async def remove_time_off(self, psychologist_id: UUID, off_id: UUID) -> TimeOff | None: ...

    async def set_settings(
        self, psychologist_id: UUID, settings: BookingSettings, *, at: datetime
    ) -> None: ...

    async def set_session_policy(
        self, psychologist_id: UUID, policy: SessionPolicy, *, at: datetime
    ) -> None: ...


class Profiles(Protocol):
    """Psychologists' and patients' profiles, as their owners and admins change them."""

    async def psychologist(self, psychologist_id: UUID) -> Psychologist | None:
        """Held until the unit of work ends."""
        ...

    async def add_psychologist(self, psychologist: Psychologist, *, at: datetime) -> bool:
        """False when the email or the subject is already taken."""
        ...

    async def update_psychologist(self, psychologist: Psychologist, *, at: datetime) -> bool:
        """False when the new email is another's. Announces a ScheduleChange."""
        ...

    async def patient(self, patient_id: UUID) -> Patient | None: ...

    async def update_patient(self, patient: Patient, *, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who changed a schedule (or its settings, or the profile), when, in which request."""

    psychologist_id: UUID
    action: str
    actor_role: Role
    actor_subject: str
    request_id: str | None
    occurred_at: datetime
    details: Mapping[str, Any]


class Audit(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...


@dataclass(frozen=True, slots=True)
class RecordedChange:
    """One entry of a psychologist's schedule audit; ``sequence`` orders them."""

    sequence: int
    psychologist_id: UUID
    action: str
    actor_role: Role
    actor_subject: str
    request_id: str | None
    occurred_at: datetime
    details: dict[str, Any]
