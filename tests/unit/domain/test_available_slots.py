from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.availability import available_slots
from domain.bookings import Booked
from domain.calendar import Calendar
from domain.people import Psychologist
from domain.policy import BookingPolicy
from domain.schedule import Interval, Weekday, WorkingHours

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = BookingPolicy(max_advance=timedelta(days=365))


def psychologist(time_zone: str, *hours: WorkingHours, active: bool = True) -> Psychologist:
    return Psychologist(
        id=uuid4(),
        name="Dr. Caio",
        email="caio@example.com",
        time_zone=time_zone,
        working_hours=hours,
        default_duration_minutes=60,
        consultation_fee=Decimal("160.00"),
        active=active,
    )


def hours(weekday: Weekday, start: str, end: str) -> WorkingHours:
    return WorkingHours(weekday, time.fromisoformat(start), time.fromisoformat(end))


def utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def window(start: str, end: str) -> Interval:
    return Interval(utc(start), utc(end))


def starts(
    doctor: Psychologist,
    within: Interval,
    *,
    duration_minutes: int = 60,
    step_minutes: int = 60,
    busy: Iterable[Interval] = (),
    now: datetime = LONG_AGO,
    policy: BookingPolicy = POLICY,
) -> list[datetime]:
    slots = available_slots(
        calendar=Calendar(doctor),
        window=within,
        duration_minutes=duration_minutes,
        busy=[Booked.session(interval) for interval in busy],
        now=now,
        policy=policy,
        step_minutes=step_minutes,
    )
    assert all(slot.length == timedelta(minutes=duration_minutes) for slot in slots)
    return [slot.start for slot in slots]


WEEKEND_MORNINGS = (
    hours(Weekday.SATURDAY, "09:00", "10:00"),
    hours(Weekday.SUNDAY, "09:00", "10:00"),
)


@pytest.mark.parametrize(
    ("time_zone", "saturday", "sunday"),
    [
        ("America/New_York", "2026-03-07T14:00", "2026-03-08T13:00"),
        ("America/New_York", "2026-10-31T13:00", "2026-11-01T14:00"),
        ("Europe/Lisbon", "2026-03-28T09:00", "2026-03-29T08:00"),
        ("Europe/Lisbon", "2026-10-24T08:00", "2026-10-25T09:00"),
        ("America/Sao_Paulo", "2026-10-31T12:00", "2026-11-01T12:00"),
    ],
    ids=["New York spring", "New York autumn", "Lisbon spring", "Lisbon autumn", "São Paulo"],
)
def test_a_nine_oclock_slot_is_nine_oclock_local_on_both_sides_of_a_dst_change(
    time_zone: str, saturday: str, sunday: str
) -> None:
    doctor = psychologist(time_zone, *WEEKEND_MORNINGS)
    weekend = Interval(utc(saturday) - timedelta(hours=6), utc(sunday) + timedelta(hours=6))

    assert starts(doctor, weekend) == [utc(saturday), utc(sunday)]


def test_no_slot_starts_at_a_time_the_spring_change_skips() -> None:
    # New York, 8 March 2026: the clock goes from 01:59 EST to 03:00 EDT.
    doctor = psychologist("America/New_York", hours(Weekday.SUNDAY, "01:00", "04:00"))

    assert starts(doctor, window("2026-03-08T00:00", "2026-03-09T00:00"), step_minutes=30) == [
        utc("2026-03-08T06:00"),  # 01:00 EST, ends 03:00 EDT
        utc("2026-03-08T06:30"),  # 01:30 EST, ends 03:30 EDT
        utc("2026-03-08T07:00"),  # 03:00 EDT
    ]


def test_a_time_the_autumn_change_repeats_offers_both_instants() -> None:
    # New York, 1 November 2026: the clock goes from 01:59 EDT back to 01:00 EST.
    doctor = psychologist("America/New_York", hours(Weekday.SUNDAY, "00:00", "03:00"))

    assert starts(doctor, window("2026-11-01T00:00", "2026-11-02T00:00")) == [
        utc("2026-11-01T04:00"),  # 00:00 EDT
        utc("2026-11-01T05:00"),  # 01:00 EDT
        utc("2026-11-01T06:00"),  # 01:00 EST
        utc("2026-11-01T07:00"),  # 02:00 EST, ends as the range does
    ]


def test_the_lisbon_autumn_night_offers_its_repeated_hour_twice() -> None:
    # Lisbon, 25 October 2026: the clock goes from 01:59 WEST back to 01:00 WET.
    doctor = psychologist("Europe/Lisbon", hours(Weekday.SUNDAY, "00:30", "02:00"))

    assert starts(doctor, window("2026-10-24T12:00", "2026-10-25T12:00"), duration_minutes=30) == [
        utc("2026-10-24T23:30"),  # 00:30 WEST
        utc("2026-10-25T00:30"),  # 01:30 WEST
        utc("2026-10-25T01:30"),  # 01:30 WET
    ]


def test_an_inactive_psychologist_has_no_slots() -> None:
    doctor = psychologist(
        "America/Sao_Paulo", hours(Weekday.TUESDAY, "09:00", "17:00"), active=False
    )

    assert starts(doctor, window("2026-05-12T00:00", "2026-05-13T00:00")) == []


def test_slots_follow_several_ranges_a_day() -> None:
    doctor = psychologist(
        "America/Sao_Paulo",
        hours(Weekday.TUESDAY, "09:00", "11:00"),
        hours(Weekday.TUESDAY, "14:00", "16:00"),
    )

    assert starts(doctor, window("2026-05-12T00:00", "2026-05-13T00:00")) == [
        utc("2026-05-12T12:00"),
        utc("2026-05-12T13:00"),
        utc("2026-05-12T17:00"),
        utc("2026-05-12T18:00"),
    ]


def test_the_grid_counts_from_the_start_of_each_range() -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "09:10", "10:40"))

    assert starts(
        doctor,
        window("2026-05-12T00:00", "2026-05-13T00:00"),
        duration_minutes=30,
        step_minutes=30,
    ) == [utc("2026-05-12T12:10"), utc("2026-05-12T12:40"), utc("2026-05-12T13:10")]


def test_a_slot_may_not_cross_the_end_of_its_range() -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "09:00", "10:30"))

    assert starts(doctor, window("2026-05-12T00:00", "2026-05-13T00:00"), step_minutes=30) == [
        utc("2026-05-12T12:00"),
        utc("2026-05-12T12:30"),
    ]


def test_overlapping_ranges_offer_each_slot_once() -> None:
    doctor = psychologist(
        "America/Sao_Paulo",
        hours(Weekday.TUESDAY, "09:00", "11:00"),
        hours(Weekday.TUESDAY, "10:00", "12:00"),
    )

    assert starts(doctor, window("2026-05-12T00:00", "2026-05-13T00:00")) == [
        utc("2026-05-12T12:00"),
        utc("2026-05-12T13:00"),
        utc("2026-05-12T14:00"),
    ]


def test_a_busy_interval_removes_the_slots_it_overlaps_but_not_those_it_touches() -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "09:00", "13:00"))
    busy = [
        Interval(utc("2026-05-12T13:00"), utc("2026-05-12T14:00")),  # 10:00-11:00
        Interval(utc("2026-05-12T15:30"), utc("2026-05-12T15:45")),  # 12:30-12:45
    ]

    assert starts(doctor, window("2026-05-12T00:00", "2026-05-13T00:00"), busy=busy) == [
        utc("2026-05-12T12:00"),
        utc("2026-05-12T14:00"),
    ]


def test_a_10_30_slot_is_not_offered_next_to_a_10_00_to_11_00_session() -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "09:00", "13:00"))
    busy = [Interval(utc("2026-05-12T13:00"), utc("2026-05-12T14:00"))]

    offered = starts(
        doctor, window("2026-05-12T00:00", "2026-05-13T00:00"), step_minutes=30, busy=busy
    )

    assert utc("2026-05-12T13:30") not in offered
    assert offered == [
        utc("2026-05-12T12:00"),
        utc("2026-05-12T14:00"),
        utc("2026-05-12T14:30"),
        utc("2026-05-12T15:00"),
    ]


def test_no_slot_starts_before_the_notice() -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "09:00", "13:00"))
    now = utc("2026-05-11T13:10")  # the notice ends Tuesday 10:10

    assert starts(
        doctor,
        window("2026-05-12T00:00", "2026-05-13T00:00"),
        now=now,
        policy=BookingPolicy(),
        step_minutes=30,
    ) == [
        utc("2026-05-12T13:30"),
        utc("2026-05-12T14:00"),
        utc("2026-05-12T14:30"),
        utc("2026-05-12T15:00"),
    ]


def test_a_slot_may_start_exactly_at_the_advance_limit_but_not_after() -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "09:00", "13:00"))
    policy = BookingPolicy(min_notice=timedelta(0), max_advance=timedelta(hours=2))

    assert starts(
        doctor,
        window("2026-05-12T00:00", "2026-05-13T00:00"),
        now=utc("2026-05-12T12:00"),
        policy=policy,
    ) == [utc("2026-05-12T12:00"), utc("2026-05-12T13:00"), utc("2026-05-12T14:00")]


def test_only_slots_wholly_inside_the_window_are_offered() -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "09:00", "13:00"))

    assert starts(doctor, window("2026-05-12T12:30", "2026-05-12T15:30")) == [
        utc("2026-05-12T13:00"),
        utc("2026-05-12T14:00"),
    ]


@pytest.mark.parametrize("minutes", [10, 300])
def test_a_duration_the_policy_refuses_has_no_slots(minutes: int) -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "00:00", "23:00"))

    assert (
        starts(doctor, window("2026-05-12T00:00", "2026-05-13T00:00"), duration_minutes=minutes)
        == []
    )


def test_a_window_past_the_advance_limit_has_no_slots() -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "09:00", "13:00"))

    six_months_on = window("2026-08-11T00:00", "2026-08-12T00:00")

    assert starts(doctor, six_months_on, policy=BookingPolicy()) == []
    assert starts(doctor, six_months_on) != []


def test_slots_are_sorted_and_in_utc_whatever_the_zone() -> None:
    doctor = psychologist(
        "Europe/Lisbon",
        hours(Weekday.TUESDAY, "14:00", "16:00"),
        hours(Weekday.TUESDAY, "09:00", "11:00"),
    )

    offered = starts(doctor, window("2026-05-12T00:00", "2026-05-13T00:00"))

    assert offered == sorted(offered)
    assert all(start.tzinfo is UTC for start in offered)
    assert offered[0] == utc("2026-05-12T08:00")


def test_a_step_below_one_minute_is_a_programming_error() -> None:
    doctor = psychologist("America/Sao_Paulo", hours(Weekday.TUESDAY, "09:00", "13:00"))

    with pytest.raises(ValueError, match="step_minutes"):
        starts(doctor, window("2026-05-12T00:00", "2026-05-13T00:00"), step_minutes=0)
