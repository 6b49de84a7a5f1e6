"""The calendar's rules: dated weekly hours, extra hours, time off, and the booking settings
(notice, advance, buffers, durations, types, daily limit) as the decision applies them."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.appointments import AppointmentType, RejectionReason
from domain.booking_settings import BookingSettings, Offering
from domain.bookings import Booked
from domain.calendar import Calendar, ExtraHours, TimeOff, WeeklyHours, all_day
from domain.people import Psychologist
from domain.policy import BookingPolicy
from domain.rules import decide
from domain.schedule import Interval, Weekday, WorkingHours

LISBON = ZoneInfo("Europe/Lisbon")
NOW = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)  # a Wednesday
MONDAY = date(2030, 5, 6)


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), LISBON)


def weekdays(start: str, end: str) -> tuple[WorkingHours, ...]:
    return tuple(
        WorkingHours(day, time.fromisoformat(start), time.fromisoformat(end))
        for day in list(Weekday)[:5]
    )


def calendar(**overrides: object) -> Calendar:
    psychologist = Psychologist(
        id=uuid4(),
        name="Dr. Inês",
        email="ines@example.com",
        time_zone="Europe/Lisbon",
        working_hours=weekdays("09:00", "17:00"),
        default_duration_minutes=50,
        consultation_fee=Decimal("90.00"),
    )
    return Calendar(psychologist, **overrides)  # type: ignore[arg-type]


def verdict(
    cal: Calendar,
    starts_at: datetime,
    *,
    minutes: int = 50,
    kind: AppointmentType = AppointmentType.CONSULTATION,
    busy: tuple[Booked, ...] = (),
    policy: BookingPolicy | None = None,
) -> RejectionReason | None:
    return decide(
        calendar=cal,
        starts_at=starts_at,
        duration_minutes=minutes,
        appointment_type=kind,
        now=NOW,
        policy=policy or BookingPolicy(),
        psychologist_busy=busy,
        patient_busy=(),
    )


def test_a_dated_change_applies_from_its_date_and_earlier_weeks_keep_their_hours() -> None:
    cal = calendar(changes=(WeeklyHours(MONDAY + timedelta(days=7), weekdays("13:00", "19:00")),))

    assert verdict(cal, at(MONDAY, "10:00")) is None
    assert verdict(cal, at(MONDAY, "18:00")) is RejectionReason.OUTSIDE_WORKING_HOURS
    assert verdict(cal, at(MONDAY + timedelta(days=7), "10:00")) is (
        RejectionReason.OUTSIDE_WORKING_HOURS
    )
    assert verdict(cal, at(MONDAY + timedelta(days=7), "18:00")) is None


def test_extra_hours_open_a_date_outside_the_weekly_hours() -> None:
    saturday = MONDAY + timedelta(days=5)
    cal = calendar(extra_hours=(ExtraHours(uuid4(), saturday, time(10), time(12)),))

    assert verdict(cal, at(saturday, "10:30")) is None
    assert verdict(cal, at(saturday + timedelta(days=7), "10:30")) is (
        RejectionReason.OUTSIDE_WORKING_HOURS
    )


def test_extra_hours_overlapping_the_weekly_ones_make_one_range() -> None:
    cal = calendar(extra_hours=(ExtraHours(uuid4(), MONDAY, time(16), time(19)),))

    assert verdict(cal, at(MONDAY, "16:45")) is None


def test_time_off_rejects_as_the_psychologist_being_unavailable() -> None:
    off = TimeOff(uuid4(), all_day(MONDAY, MONDAY, LISBON), "Dentist")

    assert verdict(calendar(time_off=(off,)), at(MONDAY, "10:00")) is (
        RejectionReason.PSYCHOLOGIST_UNAVAILABLE
    )
    assert verdict(calendar(time_off=(off,)), at(MONDAY + timedelta(days=1), "10:00")) is None


def test_a_whole_day_off_lasts_from_local_midnight_to_local_midnight_across_dst() -> None:
    # Lisbon springs forward on 30 March 2031: that day is 23 hours long.
    spring = all_day(date(2031, 3, 30), date(2031, 3, 30), LISBON)

    assert spring.length == timedelta(hours=23)
    assert spring.start == datetime(2031, 3, 30, 0, 0, tzinfo=UTC)
    autumn = all_day(date(2031, 10, 26), date(2031, 10, 27), LISBON)
    assert autumn.length == timedelta(hours=49)


def test_buffers_keep_sessions_apart_by_the_sum_of_both_buffers() -> None:
    cal = calendar(settings=BookingSettings(buffer_before=timedelta(minutes=10)))
    ten = at(MONDAY, "10:00")
    other = Booked(ten, Interval(ten, ten + timedelta(minutes=50) + timedelta(minutes=15)))

    # 10:00-10:50 plus its own 15 after; this one needs 10 before: 11:15 at the earliest.
    assert verdict(cal, at(MONDAY, "11:05"), busy=(other,)) is RejectionReason.SLOT_TAKEN
    assert verdict(cal, at(MONDAY, "11:15"), busy=(other,)) is None


def test_the_notice_and_advance_of_the_psychologist_replace_the_practices() -> None:
    cal = calendar(
        settings=BookingSettings(min_notice=timedelta(hours=2), max_advance=timedelta(days=10))
    )
    tomorrow = date(2030, 5, 2)

    assert verdict(cal, at(tomorrow, "09:00")) is None
    assert verdict(calendar(), at(tomorrow, "09:00")) is RejectionReason.TOO_SOON
    assert verdict(cal, at(MONDAY + timedelta(days=7), "10:00")) is RejectionReason.TOO_FAR_AHEAD


def test_durations_and_types_not_offered_have_their_own_reasons() -> None:
    cal = calendar(
        settings=BookingSettings(
            durations=(50, 80),
            offerings=(Offering(AppointmentType.THERAPY_SESSION, Decimal("120.00")),),
        )
    )
    kind = AppointmentType.THERAPY_SESSION

    assert verdict(cal, at(MONDAY, "10:00"), minutes=80, kind=kind) is None
    assert verdict(cal, at(MONDAY, "10:00"), minutes=60, kind=kind) is (
        RejectionReason.DURATION_NOT_OFFERED
    )
    assert verdict(cal, at(MONDAY, "10:00"), kind=AppointmentType.EMERGENCY) is (
        RejectionReason.APPOINTMENT_TYPE_NOT_OFFERED
    )
    assert cal.settings.fee_for(kind, Decimal("90.00")) == Decimal("120.00")
    assert cal.settings.fee_for(AppointmentType.FOLLOW_UP, Decimal("90.00")) == Decimal("90.00")


def test_a_full_day_rejects_with_the_daily_limit() -> None:
    cal = calendar(settings=BookingSettings(max_sessions_per_day=2))
    morning = [at(MONDAY, "09:00"), at(MONDAY, "10:00")]
    busy = tuple(Booked.session(Interval(s, s + timedelta(minutes=50))) for s in morning)

    assert verdict(cal, at(MONDAY, "14:00"), busy=busy) is RejectionReason.DAILY_LIMIT_REACHED
    assert verdict(cal, at(MONDAY + timedelta(days=1), "14:00"), busy=busy) is None


@pytest.mark.parametrize(
    "settings",
    [
        {"buffer_before": timedelta(hours=5)},
        {"buffer_after": timedelta(minutes=-1)},
        {"max_sessions_per_day": 0},
    ],
)
def test_settings_out_of_bounds_cannot_be_made(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"buffer|daily"):
        BookingSettings(**settings)  # type: ignore[arg-type]
