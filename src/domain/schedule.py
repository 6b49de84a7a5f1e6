"""Time values of the schedule: intervals and weekly working hours."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import IntEnum
from zoneinfo import ZoneInfo

_TICK = timedelta(microseconds=1)


class Weekday(IntEnum):
    """ISO order, matching ``date.weekday()``."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span ``[start, end)`` of aware datetimes: touching spans do not overlap."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("interval bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("interval must end after it starts")

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: "Interval") -> bool:
        return self.start <= other.start and other.end <= self.end

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """One range of a weekday, in the psychologist's local wall-clock time."""

    weekday: Weekday
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("working hours must end after they start")


@dataclass(frozen=True, slots=True)
class WallClockSpan:
    """A naive ``[start, end)`` span of local wall-clock readings."""

    start: datetime
    end: datetime


def wall_clock(instant: datetime, zone: tzinfo) -> datetime:
    """What the clock in ``zone`` reads at ``instant``, as a naive datetime."""
    return instant.astimezone(zone).replace(tzinfo=None)


def instants_showing(reading: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every instant, in UTC, at which the clock in ``zone`` shows the naive ``reading``.

    None in a spring-forward gap, two in a fall-back overlap, one otherwise.
    """
    candidates = {reading.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
    return sorted(instant for instant in candidates if wall_clock(instant, zone) == reading)


def wall_clock_spans(interval: Interval, zone: ZoneInfo) -> list[WallClockSpan]:
    """The wall-clock readings ``interval`` passes through in ``zone``.

    One span per stretch of constant UTC offset, so a DST change inside the interval
    splits it where the clock jumps.
    """
    return [
        WallClockSpan(wall_clock(piece.start, zone), wall_clock(piece.start, zone) + piece.length)
        for piece in _constant_offset_pieces(interval, zone)
    ]


def _constant_offset_pieces(interval: Interval, zone: ZoneInfo) -> list[Interval]:
    change = _offset_change(interval, zone)
    if change is None:
        return [interval]
    return [
        *_constant_offset_pieces(Interval(interval.start, change), zone),
        *_constant_offset_pieces(Interval(change, interval.end), zone),
    ]


def _offset_change(interval: Interval, zone: ZoneInfo) -> datetime | None:
    """The first instant whose UTC offset differs from the interval's opening one.

    Found by bisection when the offsets at both ends differ; an offset that changes
    and changes back inside one interval goes unseen, which no time zone does within
    the hours a session lasts.
    """
    opening = _utc_offset(interval.start, zone)
    before, after = interval.start, interval.end - _TICK
    if _utc_offset(after, zone) == opening:
        return None
    while after - before > _TICK:
        middle = before + (after - before) // 2
        if _utc_offset(middle, zone) == opening:
            before = middle
        else:
            after = middle
    return after


def _utc_offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return wall_clock(instant, zone) - wall_clock(instant, UTC)
