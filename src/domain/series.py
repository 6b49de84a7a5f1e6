"""Weekly series: one request for a session at the same local time every week or two."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.appointments import AppointmentType, MeetingType
from domain.schedule import instants_showing, wall_clock

MIN_OCCURRENCES = 2
MAX_OCCURRENCES = 26


class Frequency(StrEnum):
    WEEKLY = "WEEKLY"
    BIWEEKLY = "BIWEEKLY"

    @property
    def weeks(self) -> int:
        return 1 if self is Frequency.WEEKLY else 2


@dataclass(frozen=True, slots=True)
class Series:
    id: UUID
    patient_id: UUID
    psychologist_id: UUID
    frequency: Frequency
    occurrences: int
    first_scheduled_at: datetime
    duration_minutes: int
    appointment_type: AppointmentType
    meeting_type: MeetingType
    created_at: datetime
    request_id: str | None = None


def occurrence_starts(
    first: datetime, count: int, frequency: Frequency, zone: ZoneInfo
) -> list[datetime]:
    """Each session's start: the first one's local wall-clock time, every ``frequency``
    in the psychologist's zone, so a change of daylight saving time keeps the hour.

    A local time that does not exist that day (a spring-forward gap) keeps the first
    one's UTC offset instead.
    """
    reading = wall_clock(first, zone)
    starts = []
    for number in range(count):
        local = reading + timedelta(weeks=frequency.weeks * number)
        instants = instants_showing(local, zone)
        starts.append(
            instants[0] if instants else first + timedelta(weeks=frequency.weeks * number)
        )
    return starts
