"""Free slots of many psychologists at once, by the same rules as requests and decisions:
the calendars and the busy times in one query each, whatever the number of psychologists."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.appointments import AppointmentType
from domain.availability import available_slots
from domain.bookings import Booked
from domain.calendar import Calendar
from domain.policy import BookingPolicy
from domain.schedule import Interval

# Enough around a window to see every session whose buffers reach into it, and every
# session of the local dates it touches (for daily limits).
AROUND = timedelta(days=2)


class CalendarReads(Protocol):
    async def calendars(self, ids: Sequence[UUID], around: Interval) -> dict[UUID, Calendar]: ...


class BusyReads(Protocol):
    async def busy_intervals(
        self, psychologist_ids: Sequence[UUID], window: Interval
    ) -> dict[UUID, list[Booked]]:
        """PENDING and CONFIRMED sessions whose held time meets the window."""
        ...


@dataclass(frozen=True, slots=True)
class SlotQuery:
    """``duration_minutes`` None: each psychologist's default length."""

    window: Interval
    duration_minutes: int | None = None
    step_minutes: int = 15
    appointment_type: AppointmentType | None = None


class FreeSlots:
    def __init__(
        self,
        *,
        calendars: CalendarReads,
        busy: BusyReads,
        clock: Callable[[], datetime],
        policy: BookingPolicy,
    ) -> None:
        self._calendars = calendars
        self._busy = busy
        self._clock = clock
        self._policy = policy

    async def __call__(self, ids: Sequence[UUID], query: SlotQuery) -> dict[UUID, list[Interval]]:
        """Each known psychologist's free slots in the window, sorted by start."""
        if not ids:
            return {}
        around = Interval(query.window.start - AROUND, query.window.end + AROUND)
        calendars = await self._calendars.calendars(ids, around)
        busy = await self._busy.busy_intervals(list(calendars), around)
        now = self._clock()
        return {
            key: available_slots(
                calendar=calendar,
                window=query.window,
                duration_minutes=(
                    calendar.psychologist.default_duration_minutes
                    if query.duration_minutes is None
                    else query.duration_minutes
                ),
                busy=busy.get(key, ()),
                now=now,
                policy=self._policy,
                step_minutes=query.step_minutes,
                appointment_type=query.appointment_type,
            )
            for key, calendar in calendars.items()
        }
