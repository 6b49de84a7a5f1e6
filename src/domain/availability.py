"""Free slots: the sessions a psychologist can still be booked for.

The same rules as a request's and the worker's (``domain.rules``), applied to every
candidate start: a slot offered here is one the decision accepts while nothing changes.
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

from domain.appointments import AppointmentType
from domain.bookings import Booked, Bookings
from domain.calendar import Calendar
from domain.policy import BookingPolicy
from domain.rules import day_is_full
from domain.schedule import Interval, instants_showing, wall_clock


def available_slots(
    *,
    calendar: Calendar,
    window: Interval,
    duration_minutes: int,
    busy: Iterable[Booked],
    now: datetime,
    policy: BookingPolicy,
    step_minutes: int = 15,
    appointment_type: AppointmentType | None = None,
) -> list[Interval]:
    """Bookable sessions inside ``window``, sorted by start, in UTC.

    Candidates start on a ``step_minutes`` grid of local wall-clock times counted from
    the start of each range worked that day. A grid time the clock skips (spring
    forward) offers nothing; one it shows twice (fall back) offers both instants,
    because the psychologist really is at work through both. A duration (or a type)
    the psychologist does not offer has no slots.
    """
    if step_minutes < 1:
        raise ValueError("step_minutes must be at least 1")
    in_force = calendar.policy(policy)
    length = timedelta(minutes=duration_minutes)
    bookable = _bookable_part(window, now, in_force, length)
    settings = calendar.settings
    if (
        bookable is None
        or not calendar.psychologist.active
        or not in_force.allows_duration(duration_minutes)
        or not settings.offers_duration(duration_minutes)
        or (appointment_type is not None and not settings.offers(appointment_type))
    ):
        return []
    taken = Bookings(busy, calendar.zone)
    starts = {
        instant
        for reading in _grid(calendar, bookable, timedelta(minutes=step_minutes))
        for instant in instants_showing(reading, calendar.zone)
    }
    sessions = (Interval(start, start + length) for start in sorted(starts))
    return [
        session
        for session in sessions
        if bookable.contains(session)
        and _whole_minute(session.start)
        and not taken.overlaps(settings.blocked(session))
        and not day_is_full(calendar, taken, session.start)
        and not calendar.off_during(session)
        and calendar.holds(session)
    ]


def _bookable_part(
    window: Interval, now: datetime, policy: BookingPolicy, length: timedelta
) -> Interval | None:
    """The part of ``window`` a session may occupy given the notice and advance limits."""
    start = max(window.start, policy.earliest_start(now))
    end = min(window.end, policy.latest_start(now) + length)
    return Interval(start, end) if start < end else None


def _whole_minute(instant: datetime) -> bool:
    return instant.second == 0 and instant.microsecond == 0


def _grid(calendar: Calendar, window: Interval, step: timedelta) -> Iterator[datetime]:
    """Naive local readings on each worked range's grid, for every local date ``window``
    touches."""
    for day in _local_dates(window, calendar):
        for span in calendar.spans_on(day):
            reading = span.start
            while reading < span.end:
                yield reading
                reading += step


def _local_dates(window: Interval, calendar: Calendar) -> Iterator[date]:
    day = wall_clock(window.start, calendar.zone).date()
    last = wall_clock(window.end, calendar.zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)
