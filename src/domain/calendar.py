"""When a psychologist works: weekly hours that change from given dates, extra hours on
given dates, time off, and the booking settings that go with them."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.booking_settings import BookingSettings
from domain.lifecycle import SessionPolicy
from domain.people import Psychologist
from domain.policy import BookingPolicy
from domain.schedule import Interval, WallClockSpan, WorkingHours, wall_clock, wall_clock_spans


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """A weekly template in force from ``effective_from`` (a local date) until the next one."""

    effective_from: date
    hours: tuple[WorkingHours, ...]


@dataclass(frozen=True, slots=True)
class ExtraHours:
    """Hours added on one local date, beside the weekly template's."""

    id: UUID
    day: date
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("extra hours must end after they start")


@dataclass(frozen=True, slots=True)
class TimeOff:
    """A period the psychologist does not work; ``reason`` is for staff only."""

    id: UUID
    period: Interval
    reason: str | None = None
    all_day: bool = False


@dataclass(frozen=True, slots=True)
class Calendar:
    """Everything that says when a psychologist can be booked.

    The profile's working hours apply until the first dated change; each change applies
    from its date (in the psychologist's zone) on, so earlier weeks keep the template
    they had.
    """

    psychologist: Psychologist
    changes: tuple[WeeklyHours, ...] = ()
    extra_hours: tuple[ExtraHours, ...] = ()
    time_off: tuple[TimeOff, ...] = ()
    settings: BookingSettings = field(default_factory=BookingSettings)
    session_policy: SessionPolicy = field(default_factory=SessionPolicy)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.psychologist.time_zone)

    def hours_on(self, day: date) -> tuple[WorkingHours, ...]:
        """The weekly template in force on ``day``."""
        in_force = self.psychologist.working_hours
        for change in sorted(self.changes, key=lambda change: change.effective_from):
            if change.effective_from > day:
                break
            in_force = change.hours
        return in_force

    def spans_on(self, day: date) -> list[WallClockSpan]:
        """The local ranges worked on ``day``, overlapping ones merged. Touching ones stay
        apart: a session may not run from one range into the next."""
        ranges = [
            (datetime.combine(day, hours.start), datetime.combine(day, hours.end))
            for hours in self.hours_on(day)
            if hours.weekday == day.weekday()
        ]
        ranges += [
            (datetime.combine(day, extra.start), datetime.combine(day, extra.end))
            for extra in self.extra_hours
            if extra.day == day
        ]
        return _merged(ranges)

    def holds(self, session: Interval) -> bool:
        """Whether one range of the local date the session starts on holds it all.

        Every wall-clock reading the session passes through, in the psychologist's zone,
        must fall inside that one range, so a session may not cross the end of a range
        nor the end of the day, and across a DST change it is the local clock that counts.
        """
        zone = self.zone
        day = wall_clock(session.start, zone).date()
        passed = wall_clock_spans(session, zone)
        return any(
            all(span.start <= piece.start and piece.end <= span.end for piece in passed)
            for span in self.spans_on(day)
        )

    def off_during(self, session: Interval) -> bool:
        return any(off.period.overlaps(session) for off in self.time_off)

    def local_date(self, instant: datetime) -> date:
        return wall_clock(instant, self.zone).date()

    def policy(self, practice: BookingPolicy) -> BookingPolicy:
        """The practice's policy with this psychologist's notice and advance."""
        settings = self.settings
        notice = practice.min_notice if settings.min_notice is None else settings.min_notice
        advance = practice.max_advance if settings.max_advance is None else settings.max_advance
        return BookingPolicy(
            min_notice=notice,
            # A notice longer than the advance leaves nothing to book, rather than an error.
            max_advance=max(advance, notice),
            min_duration_minutes=practice.min_duration_minutes,
            max_duration_minutes=practice.max_duration_minutes,
        )


def _merged(ranges: Iterable[tuple[datetime, datetime]]) -> list[WallClockSpan]:
    merged: list[WallClockSpan] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1].end:
            merged[-1] = WallClockSpan(merged[-1].start, max(merged[-1].end, end))
        else:
            merged.append(WallClockSpan(start, end))
    return merged


def all_day(first: date, last: date, zone: ZoneInfo) -> Interval:
    """From the local midnight that opens ``first`` to the one that closes ``last``, in UTC
    (aware datetimes of one zone subtract by their wall clocks, which a DST day defeats)."""
    return Interval(
        datetime.combine(first, time(0), zone).astimezone(UTC),
        datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC),
    )
