"""Properties of free slots, checked against oracles that only read the local clock.

Every scenario is a window around a DST change (or, for São Paulo, around the dates
other zones change, since it has had no DST since 2019), with working hours that often
cover the night hours where the clocks jump.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.availability import available_slots
from domain.bookings import Booked
from domain.calendar import Calendar
from domain.people import Psychologist
from domain.policy import BookingPolicy
from domain.schedule import Interval, Weekday, WorkingHours

MINUTE = timedelta(minutes=1)

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


@dataclass(frozen=True)
class Scenario:
    psychologist: Psychologist
    window: Interval
    duration_minutes: int
    busy: tuple[Interval, ...]
    now: datetime
    policy: BookingPolicy
    step_minutes: int

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.psychologist.time_zone)

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    def slots(self) -> list[Interval]:
        return available_slots(
            calendar=Calendar(self.psychologist),
            window=self.window,
            duration_minutes=self.duration_minutes,
            busy=[Booked.session(interval) for interval in self.busy],
            now=self.now,
            policy=self.policy,
            step_minutes=self.step_minutes,
        )


# Quarter hours of the day, drawn half the time from the small hours, where clocks jump.
quarter_hours = st.one_of(st.integers(0, 16), st.integers(0, 95))


@st.composite
def day_ranges(draw: st.DrawFn, weekday: Weekday) -> list[WorkingHours]:
    bounds = sorted(draw(st.lists(quarter_hours, unique=True, min_size=2, max_size=6)))
    return [
        WorkingHours(weekday, _quarter(start), _quarter(end))
        for start, end in zip(bounds[::2], bounds[1::2], strict=False)
    ]


def _quarter(index: int) -> time:
    return time(index // 4, index % 4 * 15)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(sorted(CHANGES)))
    change = draw(st.sampled_from(CHANGES[zone]))

    def around(low_hours: int, high_hours: int) -> datetime:
        return change + draw(st.integers(low_hours * 60, high_hours * 60)) * MINUTE

    hours = [wh for day in Weekday for wh in draw(day_ranges(day))]
    busy = [
        Interval(start, start + draw(st.integers(5, 240)) * MINUTE)
        for start in [around(-30, 30) for _ in range(draw(st.integers(0, 5)))]
    ]
    notice = draw(st.sampled_from([timedelta(0), timedelta(hours=1), timedelta(hours=24)]))
    advance = notice + draw(st.sampled_from([timedelta(hours=12), timedelta(days=2)]))
    return Scenario(
        psychologist=Psychologist(
            id=UUID(int=1),
            name="Dr. Prop",
            email="prop@example.com",
            time_zone=zone,
            working_hours=tuple(hours),
            default_duration_minutes=60,
            consultation_fee=Decimal("100.00"),
        ),
        window=Interval(around(-30, 0), around(0, 30) + MINUTE),
        duration_minutes=draw(st.sampled_from([15, 30, 45, 60, 90, 120])),
        busy=tuple(busy),
        now=around(-30, 0) - notice,
        policy=BookingPolicy(min_notice=notice, max_advance=advance),
        step_minutes=draw(st.sampled_from([5, 15, 20, 30, 60])),
    )


def local_readings(session: Interval, zone: ZoneInfo) -> list[datetime]:
    """The local time at every minute of the session: sessions, ranges and DST changes
    all fall on whole minutes, so nothing happens between two of these readings."""
    return [(session.start + n * MINUTE).astimezone(zone) for n in range(session.length // MINUTE)]


def holds(wh: WorkingHours, readings: list[datetime]) -> bool:
    day = readings[0].date()
    return wh.weekday == day.weekday() and all(
        reading.date() == day and wh.start <= reading.time() < wh.end for reading in readings
    )


def opens_a_grid_at(wh: WorkingHours, start: datetime, step_minutes: int) -> bool:
    """Whether the local ``start`` is a whole number of steps after ``wh`` opens that day."""
    since_opening = start.replace(tzinfo=None) - datetime.combine(start.date(), wh.start)
    return (
        wh.weekday == start.weekday()
        and since_opening >= timedelta(0)
        and since_opening % (step_minutes * MINUTE) == timedelta(0)
    )


def inside_one_range(psychologist: Psychologist, session: Interval) -> bool:
    readings = local_readings(session, ZoneInfo(psychologist.time_zone))
    return any(holds(wh, readings) for wh in psychologist.working_hours)


def on_the_grid_of_its_range(psychologist: Psychologist, session: Interval, step: int) -> bool:
    zone = ZoneInfo(psychologist.time_zone)
    start = session.start.astimezone(zone)
    return any(
        opens_a_grid_at(wh, start, step) and holds(wh, local_readings(session, zone))
        for wh in psychologist.working_hours
    )


def bookable(scenario: Scenario, start: datetime) -> bool:
    if (
        not scenario.now + scenario.policy.min_notice
        <= start
        <= scenario.now + scenario.policy.max_advance
    ):
        return False
    session = Interval(start, start + scenario.length)
    return (
        scenario.window.contains(session)
        and not any(session.overlaps(busy) for busy in scenario.busy)
        and on_the_grid_of_its_range(scenario.psychologist, session, scenario.step_minutes)
    )


def whole_minutes(window: Interval) -> list[datetime]:
    first = window.start.astimezone(UTC).replace(second=0, microsecond=0)
    if first < window.start:
        first += MINUTE
    return [first + n * MINUTE for n in range((window.end - first) // MINUTE + 1)]


@pytest.mark.parametrize(("zone", "changes"), sorted(CHANGES.items()))
def test_the_scenarios_straddle_real_dst_changes_except_in_sao_paulo(
    zone: str, changes: tuple[datetime, ...]
) -> None:
    def offset(instant: datetime) -> timedelta | None:
        return instant.astimezone(ZoneInfo(zone)).utcoffset()

    jumps = [offset(change - MINUTE) != offset(change) for change in changes]

    assert jumps == ([False, False] if zone == "America/Sao_Paulo" else [True, True])


@given(scenarios())
def test_a_returned_slot_never_overlaps_a_busy_interval(scenario: Scenario) -> None:
    for slot in scenario.slots():
        assert not any(slot.overlaps(busy) for busy in scenario.busy)


@given(scenarios())
def test_a_returned_slot_lies_inside_one_working_hours_range_on_the_local_clock(
    scenario: Scenario,
) -> None:
    for slot in scenario.slots():
        assert inside_one_range(scenario.psychologist, slot)


@given(scenarios())
def test_a_returned_slot_respects_the_notice_and_the_advance_limit(scenario: Scenario) -> None:
    for slot in scenario.slots():
        assert scenario.now + scenario.policy.min_notice <= slot.start
        assert slot.start <= scenario.now + scenario.policy.max_advance


@given(scenarios())
def test_a_returned_slot_lies_inside_the_window_and_lasts_the_duration(
    scenario: Scenario,
) -> None:
    for slot in scenario.slots():
        assert scenario.window.contains(slot)
        assert slot.length == scenario.length


@given(scenarios())
def test_a_returned_slot_starts_on_the_local_grid_of_its_range(scenario: Scenario) -> None:
    for slot in scenario.slots():
        assert on_the_grid_of_its_range(scenario.psychologist, slot, scenario.step_minutes)


@given(scenarios())
def test_slots_are_sorted_distinct_and_in_utc(scenario: Scenario) -> None:
    starts = [slot.start for slot in scenario.slots()]

    assert starts == sorted(set(starts))
    assert all(start.tzinfo is UTC for start in starts)


@given(scenarios())
def test_every_bookable_minute_is_offered_and_nothing_else(scenario: Scenario) -> None:
    expected = [
        Interval(start, start + scenario.length)
        for start in whole_minutes(scenario.window)
        if bookable(scenario, start)
    ]

    assert scenario.slots() == expected
