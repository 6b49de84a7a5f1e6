"""Free slots of whole calendars (weekly hours changing on a date, extra hours, time off,
buffers, daily limits) around real DST changes, checked against oracles that read only the
local clock, and against the worker's decision: a slot offered is accepted while nothing
changes."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from domain.availability import available_slots
from domain.booking_settings import BookingSettings
from domain.bookings import Booked
from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours
from domain.people import Psychologist
from domain.policy import BookingPolicy
from domain.rules import decide
from domain.schedule import Interval, Weekday, WorkingHours

MINUTE = timedelta(minutes=1)
# Instants where the clocks change (for São Paulo: dates others change, it has no DST).
CHANGES = {
    "America/New_York": (
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    ),
    "Europe/Lisbon": (
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    ),
    "America/Sao_Paulo": (
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    ),
}
quarter_hours = st.one_of(st.integers(0, 16), st.integers(0, 95))


def quarter(index: int) -> time:
    return time(index // 4, index % 4 * 15)


@dataclass(frozen=True)
class Scenario:
    calendar: Calendar
    window: Interval
    duration_minutes: int
    busy: tuple[Booked, ...]
    now: datetime
    policy: BookingPolicy
    step_minutes: int

    @property
    def zone(self) -> ZoneInfo:
        return self.calendar.zone

    def slots(self) -> list[Interval]:
        return available_slots(
            calendar=self.calendar,
            window=self.window,
            duration_minutes=self.duration_minutes,
            busy=self.busy,
            now=self.now,
            policy=self.policy,
            step_minutes=self.step_minutes,
        )


@st.composite
def week(draw: st.DrawFn) -> tuple[WorkingHours, ...]:
    found = []
    for day in Weekday:
        bounds = sorted(draw(st.lists(quarter_hours, unique=True, min_size=0, max_size=6)))
        found += [
            WorkingHours(day, quarter(start), quarter(end))
            for start, end in zip(bounds[::2], bounds[1::2], strict=False)
        ]
    return tuple(found)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone_name = draw(st.sampled_from(sorted(CHANGES)))
    zone = ZoneInfo(zone_name)
    change = draw(st.sampled_from(CHANGES[zone_name]))

    def around(low_hours: int, high_hours: int) -> datetime:
        return change + draw(st.integers(low_hours * 60, high_hours * 60)) * MINUTE

    def local_day(low: int, high: int) -> date:
        return change.astimezone(zone).date() + timedelta(days=draw(st.integers(low, high)))

    changes = tuple(
        WeeklyHours(day, draw(week()))
        for day in sorted({local_day(-2, 2) for _ in range(draw(st.integers(0, 2)))})
    )
    extras = []
    for n in range(draw(st.integers(0, 3))):
        start, end = sorted(draw(st.lists(quarter_hours, unique=True, min_size=2, max_size=2)))
        extras.append(ExtraHours(UUID(int=10 + n), local_day(-2, 2), quarter(start), quarter(end)))
    time_off = [
        TimeOff(UUID(int=20 + n), Interval(start, start + draw(st.integers(15, 24 * 60)) * MINUTE))
        for n, start in enumerate(around(-30, 30) for _ in range(draw(st.integers(0, 3))))
    ]
    settings = BookingSettings(
        buffer_before=draw(st.sampled_from([0, 5, 15, 30, 60])) * MINUTE,
        buffer_after=draw(st.sampled_from([0, 10, 15, 45])) * MINUTE,
        max_sessions_per_day=draw(st.one_of(st.none(), st.integers(1, 4))),
    )
    busy = [
        Booked(start, Interval(start - before * MINUTE, start + (length + after) * MINUTE))
        for start, length, before, after in [
            (
                around(-40, 40),
                draw(st.integers(15, 180)),
                draw(st.sampled_from([0, 10, 30])),
                draw(st.sampled_from([0, 10, 30])),
            )
            for _ in range(draw(st.integers(0, 6)))
        ]
    ]
    notice = draw(st.sampled_from([timedelta(0), timedelta(hours=1), timedelta(hours=24)]))
    advance = notice + draw(st.sampled_from([timedelta(hours=12), timedelta(days=2)]))
    psychologist = Psychologist(
        id=UUID(int=1),
        name="Dr. Prop",
        email="prop@example.com",
        time_zone=zone_name,
        working_hours=draw(week()),
        default_duration_minutes=60,
        consultation_fee=Decimal("100.00"),
    )
    return Scenario(
        calendar=Calendar(psychologist, changes, tuple(extras), tuple(time_off), settings),
        window=Interval(around(-30, 0), around(0, 30) + MINUTE),
        duration_minutes=draw(st.sampled_from([15, 30, 45, 60, 90])),
        busy=tuple(busy),
        now=around(-30, 0) - notice,
        policy=BookingPolicy(min_notice=notice, max_advance=advance),
        step_minutes=draw(st.sampled_from([5, 15, 20, 30, 60])),
    )


def ranges_in_force(scenario: Scenario, day: date) -> list[tuple[datetime, datetime]]:
    """The oracle's own reading of the calendar: the latest change dated on or before
    ``day`` (else the profile's hours), plus that day's extra hours, overlaps merged."""
    calendar = scenario.calendar
    template = calendar.psychologist.working_hours
    for change in sorted(calendar.changes, key=lambda c: c.effective_from):
        if change.effective_from <= day:
            template = change.hours
    ranges = sorted(
        [
            (datetime.combine(day, h.start), datetime.combine(day, h.end))
            for h in template
            if h.weekday == day.weekday()
        ]
        + [
            (datetime.combine(day, e.start), datetime.combine(day, e.end))
            for e in calendar.extra_hours
            if e.day == day
        ]
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in ranges:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def inside_hours(scenario: Scenario, slot: Interval) -> bool:
    """Every minute of the slot, read on the local clock, inside one range of its day."""
    readings = [
        (slot.start + n * MINUTE).astimezone(scenario.zone).replace(tzinfo=None)
        for n in range(slot.length // MINUTE)
    ]
    day = readings[0].date()
    return any(
        all(opens <= reading and reading + MINUTE <= closes for reading in readings)
        for opens, closes in ranges_in_force(scenario, day)
    )


def local_date(scenario: Scenario, instant: datetime) -> date:
    return instant.astimezone(scenario.zone).date()


@given(scenarios())
def test_a_slot_never_meets_a_session_with_the_buffers_of_both(scenario: Scenario) -> None:
    settings = scenario.calendar.settings
    for slot in scenario.slots():
        held = Interval(slot.start - settings.buffer_before, slot.end + settings.buffer_after)
        assert not any(held.overlaps(booked.blocked) for booked in scenario.busy)


@given(scenarios())
def test_a_slot_never_meets_time_off(scenario: Scenario) -> None:
    for slot in scenario.slots():
        assert not any(slot.overlaps(off.period) for off in scenario.calendar.time_off)


@given(scenarios())
def test_a_slot_lies_inside_the_hours_in_force_on_its_local_date(scenario: Scenario) -> None:
    for slot in scenario.slots():
        assert inside_hours(scenario, slot), slot


@given(scenarios())
def test_a_slot_never_exceeds_the_daily_limit(scenario: Scenario) -> None:
    limit = scenario.calendar.settings.max_sessions_per_day
    if limit is None:
        return
    for slot in scenario.slots():
        day = local_date(scenario, slot.start)
        assert sum(local_date(scenario, b.start) == day for b in scenario.busy) < limit


@given(scenarios())
def test_a_slot_offered_is_confirmed_by_the_decision_while_nothing_changes(
    scenario: Scenario,
) -> None:
    # The busy sessions as the worker would see them: all confirmed.
    for slot in scenario.slots():
        verdict = decide(
            calendar=scenario.calendar,
            starts_at=slot.start,
            duration_minutes=scenario.duration_minutes,
            now=scenario.now,
            policy=scenario.policy,
            psychologist_busy=scenario.busy,
            patient_busy=(),
        )
        assert verdict is None, (slot, verdict)


@given(scenarios())
def test_every_start_the_decision_accepts_on_the_grid_is_offered(scenario: Scenario) -> None:
    """The converse on the candidates' grid: nothing bookable is held back."""
    offered = {slot.start for slot in scenario.slots()}
    zone = scenario.zone
    first = local_date(scenario, scenario.window.start) - timedelta(days=1)
    for offset in range(4):
        day = first + timedelta(days=offset)
        for opens, closes in ranges_in_force(scenario, day):
            reading = opens
            while reading < closes:
                for fold in (0, 1):
                    start = reading.replace(tzinfo=zone, fold=fold).astimezone(UTC)
                    if start.astimezone(zone).replace(tzinfo=None) != reading:
                        continue
                    session = Interval(start, start + scenario.duration_minutes * MINUTE)
                    accepted = scenario.window.contains(session) and (
                        decide(
                            calendar=scenario.calendar,
                            starts_at=start,
                            duration_minutes=scenario.duration_minutes,
                            now=scenario.now,
                            policy=scenario.policy,
                            psychologist_busy=scenario.busy,
                            patient_busy=(),
                        )
                        is None
                    )
                    assert accepted == (start in offered), (start, accepted)
                reading += scenario.step_minutes * MINUTE
