"""Free slots: the sessions a psychologist can still be booked for."""

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.people import Psychologist
from domain.rules import BookingPolicy, within_working_hours
from domain.schedule import Interval, instants_showing, wall_clock


def available_slots(
    *,
    psychologist: Psychologist,
    window: Interval,
    duration_minutes: int,
    busy: Iterable[Interval],
    now: datetime,
    policy: BookingPolicy,
    step_minutes: int = 15,
) -> list[Interval]:
    """Bookable sessions inside ``window``, sorted by start, in UTC.

    Candidates start on a ``step_minutes`` grid of local wall-clock times counted from
    the start of each working-hours range. A grid time the clock skips (spring
    forward) offers nothing; one it shows twice (fall back) offers both instants,
    because the psychologist really is at work through both. A duration the policy
    refuses has no slots.
    """
    if step_minutes < 1:
        raise ValueError("step_minutes must be at least 1")
    length = timedelta(minutes=duration_minutes)
    bookable = _bookable_part(window, now, policy, length)
    if not psychologist.active or not policy.allows_duration(duration_minutes) or bookable is None:
        return []
    taken = _BusyTimes(busy)
    zone = ZoneInfo(psychologist.time_zone)
    starts = {
        instant
        for reading in _grid(psychologist, bookable, zone, timedelta(minutes=step_minutes))
        for instant in instants_showing(reading, zone)
    }
    sessions = (Interval(start, start + length) for start in sorted(starts))
    return [
        session
        for session in sessions
        if bookable.contains(session)
        and not taken.overlaps(session)
        and within_working_hours(psychologist, session)
    ]


def _bookable_part(
    window: Interval, now: datetime, policy: BookingPolicy, length: timedelta
) -> Interval | None:
    """The part of ``window`` a session may occupy given the notice and advance limits."""
    start = max(window.start, policy.earliest_start(now))
    end = min(window.end, policy.latest_start(now) + length)
    return Interval(start, end) if start < end else None


def _grid(
    psychologist: Psychologist, window: Interval, zone: ZoneInfo, step: timedelta
) -> Iterator[datetime]:
    """Naive local readings on each range's grid, for every local date ``window`` touches."""
    for day in _local_dates(window, zone):
        for hours in psychologist.working_hours:
            if hours.weekday != day.weekday():
                continue
            reading = datetime.combine(day, hours.start)
            closes = datetime.combine(day, hours.end)
            while reading < closes:
                yield reading
                reading += step


def _local_dates(window: Interval, zone: ZoneInfo) -> Iterator[date]:
    day = wall_clock(window.start, zone).date()
    last = wall_clock(window.end, zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


class _BusyTimes:
    """Busy intervals merged into disjoint, sorted ones, for overlap tests by bisection."""

    def __init__(self, busy: Iterable[Interval]) -> None:
        self._merged = _merge(busy)
        self._starts = [interval.start for interval in self._merged]

    def overlaps(self, interval: Interval) -> bool:
        # Of disjoint sorted intervals, only the last one starting before ``interval``
        # ends can reach into it.
        last = bisect_left(self._starts, interval.end) - 1
        return last >= 0 and self._merged[last].end > interval.start


def _merge(busy: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for interval in sorted(busy, key=lambda interval: interval.start):
        if merged and interval.start <= merged[-1].end:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, interval.end))
        else:
            merged.append(interval)
    return merged
