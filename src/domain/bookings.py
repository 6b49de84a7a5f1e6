"""The sessions already on a psychologist's schedule, as the rules look at them."""

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.schedule import Interval, wall_clock


@dataclass(frozen=True, slots=True)
class Booked:
    """A session on the schedule: when it starts, and the time it holds with its buffers."""

    start: datetime
    blocked: Interval

    @classmethod
    def session(cls, interval: Interval) -> "Booked":
        """A session without buffers."""
        return cls(interval.start, interval)


class Bookings:
    """Sessions merged into disjoint, sorted blocked intervals for overlap tests by
    bisection, and counted per local date of their start."""

    def __init__(self, booked: Iterable[Booked], zone: ZoneInfo) -> None:
        held = list(booked)
        self._merged = merge(b.blocked for b in held)
        self._starts = [interval.start for interval in self._merged]
        self._per_day = Counter(wall_clock(b.start, zone).date() for b in held)

    def overlaps(self, interval: Interval) -> bool:
        # Of disjoint sorted intervals, only the last one starting before ``interval``
        # ends can reach into it.
        last = bisect_left(self._starts, interval.end) - 1
        return last >= 0 and self._merged[last].end > interval.start

    def on(self, day: date) -> int:
        return self._per_day[day]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda interval: interval.start):
        if merged and interval.start <= merged[-1].end:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, interval.end))
        else:
            merged.append(interval)
    return merged
