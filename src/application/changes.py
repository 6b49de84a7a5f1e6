"""What a unit of work announces once it has committed."""

from dataclasses import dataclass
from uuid import UUID

from domain.appointments import Appointment, StatusEvent


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An appointment as a change left it, and the event that records it (with the sequence
    the store gave it)."""

    appointment: Appointment
    event: StatusEvent


@dataclass(frozen=True, slots=True)
class ScheduleChange:
    """A psychologist's free time may be different now: their hours, time off, settings or
    profile changed."""

    psychologist_id: UUID
    request_id: str | None = None


Announcement = StatusChange | ScheduleChange
