from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

from domain.people import Psychologist
from domain.rules import within_working_hours
from domain.schedule import Interval, Weekday, WorkingHours

NEW_YORK = ZoneInfo("America/New_York")
LISBON = ZoneInfo("Europe/Lisbon")


def psychologist(time_zone: str, *hours: WorkingHours) -> Psychologist:
    return Psychologist(
        id=uuid4(),
        name="Dr. Bea",
        email="bea@example.com",
        time_zone=time_zone,
        working_hours=hours,
        default_duration_minutes=60,
        consultation_fee=Decimal("180.00"),
    )


def hours(weekday: Weekday, start: str, end: str) -> WorkingHours:
    return WorkingHours(weekday, time.fromisoformat(start), time.fromisoformat(end))


def utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def lasting(start: datetime, minutes: int) -> Interval:
    return Interval(start, start + timedelta(minutes=minutes))


def in_new_york(*ranges: WorkingHours) -> Psychologist:
    return psychologist("America/New_York", *ranges)


def test_a_session_inside_a_range_is_within_working_hours() -> None:
    doctor = in_new_york(hours(Weekday.TUESDAY, "09:00", "17:00"))

    assert within_working_hours(doctor, lasting(utc("2026-05-12T13:00"), 60))  # 09:00 EDT
    assert within_working_hours(doctor, lasting(utc("2026-05-12T20:00"), 60))  # 16:00 EDT


def test_a_session_ending_after_the_range_is_not_within_working_hours() -> None:
    doctor = in_new_york(hours(Weekday.TUESDAY, "09:00", "17:00"))

    assert not within_working_hours(doctor, lasting(utc("2026-05-12T20:30"), 60))


def test_a_session_may_not_run_from_one_range_into_the_next_even_when_they_touch() -> None:
    doctor = in_new_york(
        hours(Weekday.TUESDAY, "09:00", "12:00"), hours(Weekday.TUESDAY, "12:00", "17:00")
    )

    assert not within_working_hours(doctor, lasting(utc("2026-05-12T15:30"), 60))  # 11:30
    assert within_working_hours(doctor, lasting(utc("2026-05-12T16:00"), 60))  # 12:00


def test_the_weekday_is_the_local_one() -> None:
    # Monday 02:00 UTC is still Sunday 22:00 in New York.
    session = lasting(utc("2026-05-11T02:00"), 60)

    assert within_working_hours(in_new_york(hours(Weekday.SUNDAY, "20:00", "23:30")), session)
    assert not within_working_hours(in_new_york(hours(Weekday.MONDAY, "00:00", "23:30")), session)


def test_a_session_may_not_run_past_local_midnight() -> None:
    doctor = in_new_york(
        hours(Weekday.SUNDAY, "22:00", "23:59"), hours(Weekday.MONDAY, "00:00", "02:00")
    )

    assert not within_working_hours(doctor, lasting(utc("2026-05-11T03:30"), 60))  # 23:30


def test_a_nine_oclock_start_is_nine_oclock_on_both_sides_of_a_dst_change() -> None:
    doctor = in_new_york(
        hours(Weekday.SATURDAY, "09:00", "10:00"), hours(Weekday.SUNDAY, "09:00", "10:00")
    )

    assert within_working_hours(doctor, lasting(utc("2026-03-07T14:00"), 60))  # EST
    assert within_working_hours(doctor, lasting(utc("2026-03-08T13:00"), 60))  # EDT
    assert not within_working_hours(doctor, lasting(utc("2026-03-08T14:00"), 60))


def test_a_session_across_the_spring_gap_counts_the_local_clock() -> None:
    # 01:30 EST plus one hour is 03:30 EDT: the clock skips 02:00-03:00.
    session = lasting(utc("2026-03-08T06:30"), 60)

    assert within_working_hours(in_new_york(hours(Weekday.SUNDAY, "01:00", "04:00")), session)
    assert not within_working_hours(in_new_york(hours(Weekday.SUNDAY, "01:00", "03:00")), session)


def test_both_passes_through_a_repeated_hour_are_within_a_range_that_covers_it() -> None:
    doctor = in_new_york(hours(Weekday.SUNDAY, "01:00", "01:30"))

    assert within_working_hours(doctor, lasting(utc("2026-11-01T05:00"), 30))  # 01:00 EDT
    assert within_working_hours(doctor, lasting(utc("2026-11-01T06:00"), 30))  # 01:00 EST


def test_a_session_that_leaves_the_range_before_the_clock_falls_back_is_not_within() -> None:
    # 01:20 EDT to 01:20 EST: both ends read 01:20, but the clock passes 01:59 between them.
    doctor = in_new_york(hours(Weekday.SUNDAY, "01:00", "01:30"))

    assert not within_working_hours(doctor, lasting(utc("2026-11-01T05:20"), 60))


def test_a_session_through_the_repeated_hour_is_within_when_every_reading_is() -> None:
    # Lisbon, 25 October 2026: 00:30 WEST to 01:30 WET is two hours; to 02:15 WET, too long.
    doctor = psychologist("Europe/Lisbon", hours(Weekday.SUNDAY, "00:00", "02:00"))

    assert within_working_hours(doctor, lasting(utc("2026-10-24T23:30"), 120))
    assert not within_working_hours(doctor, lasting(utc("2026-10-24T23:30"), 165))


def test_a_day_without_working_hours_holds_nothing() -> None:
    doctor = in_new_york(hours(Weekday.MONDAY, "09:00", "17:00"))

    assert not within_working_hours(doctor, lasting(utc("2026-05-12T14:00"), 60))
