"""Free slots of many psychologists at once, by the same rules as requests and decisions:
the calendars and the busy times in one query each, whatever the number of psychologists
and of questions asked about them."""

import asyncio
from collections.abc import Callable, Mapping, Sequence
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
        return (await self.many({query: ids})).get(query, {})

    async def many(
        self, asked: Mapping[SlotQuery, Sequence[UUID]]
    ) -> dict[SlotQuery, dict[UUID, list[Interval]]]:
        """The answers to several questions, each about some psychologists: the calendars
        and the busy times of all of them read once, around every window asked about."""
        ids = list(dict.fromkeys(key for keys in asked.values() for key in keys))
        if not ids:
            return {}
        around = Interval(
            min(query.window.start for query in asked) - AROUND,
            max(query.window.end for query in asked) + AROUND,
        )
        calendars = await self._calendars.calendars(ids, around)
        busy = await self._busy.busy_intervals(list(calendars), around)
        now = self._clock()

        answers: dict[SlotQuery, dict[UUID, list[Interval]]] = {}
        for query, keys in asked.items():
            found = answers.setdefault(query, {})
            for key in keys:
                calendar = calendars.get(key)
                if calendar is None:
                    continue
                found[key] = available_slots(
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
                # A few milliseconds each, but many psychologists and windows add up: let
                # the other requests of this process go on between two of them.
                await asyncio.sleep(0)
        return answers
