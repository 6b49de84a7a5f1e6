from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.bookings import Booked
from domain.calendar import Calendar
from domain.people import Psychologist
from domain.rules import (
    BookingPolicy,
    RuleCode,
    RuleViolation,
    check_conflicts,
    check_request,
)
from domain.schedule import Interval, Weekday, WorkingHours

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# Monday 10:00 in São Paulo (UTC-3 all year).
NOW = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
POLICY = BookingPolicy()


def at(iso: str) -> datetime:
    """A São Paulo wall-clock time."""
    return datetime.fromisoformat(iso).replace(tzinfo=SAO_PAULO)


def psychologist(*, active: bool = True) -> Psychologist:
    """Works every day 09:00-12:00 and 13:00-18:00 in São Paulo."""
    hours = [
        WorkingHours(day, time.fromisoformat(start), time.fromisoformat(end))
        for day in Weekday
        for start, end in (("09:00", "12:00"), ("13:00", "18:00"))
    ]
    return Psychologist(
        id=uuid4(),
        name="Dr. Ana",
        email="ana@example.com",
        time_zone="America/Sao_Paulo",
        working_hours=tuple(hours),
        default_duration_minutes=50,
        consultation_fee=Decimal("200.00"),
        active=active,
    )


def violations(
    starts_at: datetime,
    *,
    duration_minutes: int = 50,
    active: bool = True,
    now: datetime = NOW,
    policy: BookingPolicy = POLICY,
) -> list[RuleViolation]:
    return check_request(
        calendar=Calendar(psychologist(active=active)),
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        now=now,
        policy=policy,
    )


def held(sessions: list[Interval]) -> list[Booked]:
    return [Booked.session(interval) for interval in sessions]


def codes(found: list[RuleViolation]) -> list[RuleCode]:
    return [violation.code for violation in found]


def session(start: str, minutes: int) -> Interval:
    return Interval(at(start), at(start) + timedelta(minutes=minutes))


def test_a_request_that_breaks_no_rule_has_no_violations() -> None:
    assert violations(at("2026-05-12T10:00")) == []


def test_an_inactive_psychologist_cannot_be_booked() -> None:
    [violation] = violations(at("2026-05-12T10:00"), active=False)

    assert violation.code is RuleCode.PSYCHOLOGIST_UNAVAILABLE
    assert violation.field == "psychologistId"


@pytest.mark.parametrize("minutes", [0, 14, 241, -30])
def test_a_duration_outside_the_policy_is_invalid(minutes: int) -> None:
    [violation] = violations(at("2026-05-12T13:00"), duration_minutes=minutes)

    assert violation.code is RuleCode.INVALID_DURATION
    assert violation.field == "durationMinutes"
    assert violation.message == "A session lasts from 15 to 240 minutes."


@pytest.mark.parametrize("minutes", [15, 240])
def test_the_shortest_and_the_longest_durations_are_allowed(minutes: int) -> None:
    assert violations(at("2026-05-12T13:00"), duration_minutes=minutes) == []


def test_working_hours_are_not_checked_for_an_invalid_duration() -> None:
    assert codes(violations(at("2026-05-12T10:00"), duration_minutes=600)) == [
        RuleCode.INVALID_DURATION
    ]


@pytest.mark.parametrize(
    "starts_at",
    [at("2026-05-12T10:00:30"), at("2026-05-12T10:00:00.000001")],
    ids=["seconds", "microseconds"],
)
def test_a_start_must_be_a_whole_minute(starts_at: datetime) -> None:
    [violation] = violations(starts_at)

    assert violation.code is RuleCode.NOT_WHOLE_MINUTE
    assert violation.field == "scheduledAt"


def test_a_start_in_the_past_is_reported_as_such_and_not_also_as_too_soon() -> None:
    assert codes(violations(at("2026-05-04T09:00"))) == [RuleCode.IN_THE_PAST]


def test_a_start_a_minute_short_of_the_notice_is_too_soon() -> None:
    [violation] = violations(NOW + timedelta(hours=24) - timedelta(minutes=1))

    assert violation.code is RuleCode.TOO_SOON
    assert violation.field == "scheduledAt"
    assert violation.message == "Sessions must be booked at least 24 hours ahead."


def test_a_start_exactly_at_the_notice_is_allowed() -> None:
    assert violations(NOW + timedelta(hours=24)) == []


def test_a_start_exactly_at_the_advance_limit_is_allowed() -> None:
    assert violations(NOW + timedelta(days=180)) == []


def test_a_start_a_minute_past_the_advance_limit_is_too_far_ahead() -> None:
    [violation] = violations(NOW + timedelta(days=180, minutes=1))

    assert violation.code is RuleCode.TOO_FAR_AHEAD
    assert violation.message == "Sessions can be booked at most 180 days ahead."


def test_the_limits_come_from_the_policy() -> None:
    policy = BookingPolicy(min_notice=timedelta(hours=1), max_advance=timedelta(days=1))

    assert violations(NOW + timedelta(hours=1), policy=policy) == []
    [too_soon] = violations(NOW + timedelta(minutes=59), policy=policy)
    [too_far] = violations(NOW + timedelta(days=1, minutes=1), policy=policy)
    assert too_soon.message == "Sessions must be booked at least 1 hour ahead."
    assert too_far.message == "Sessions can be booked at most 24 hours ahead."


def test_a_session_in_the_lunch_break_is_outside_working_hours() -> None:
    [violation] = violations(at("2026-05-12T12:15"), duration_minutes=30)

    assert violation.code is RuleCode.OUTSIDE_WORKING_HOURS
    assert violation.field == "scheduledAt"


def test_a_session_may_not_cross_the_end_of_a_range() -> None:
    assert codes(violations(at("2026-05-12T11:30"), duration_minutes=45)) == [
        RuleCode.OUTSIDE_WORKING_HOURS
    ]


@pytest.mark.parametrize("start", ["2026-05-12T09:00", "2026-05-12T11:10", "2026-05-12T13:00"])
def test_any_of_several_ranges_a_day_can_hold_a_session(start: str) -> None:
    assert violations(at(start)) == []


def test_every_broken_rule_is_reported_at_once() -> None:
    found = violations(at("2026-05-04T09:00:15"), duration_minutes=5, active=False)

    assert codes(found) == [
        RuleCode.PSYCHOLOGIST_UNAVAILABLE,
        RuleCode.INVALID_DURATION,
        RuleCode.NOT_WHOLE_MINUTE,
        RuleCode.IN_THE_PAST,
    ]
    assert {violation.field for violation in found} <= {
        "scheduledAt",
        "durationMinutes",
        "psychologistId",
    }


def test_a_start_without_a_time_zone_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="starts_at must be timezone-aware"):
        violations(datetime(2026, 5, 12, 10, 0))


@pytest.mark.parametrize(
    "policy",
    [
        {"min_notice": timedelta(hours=-1)},
        {"min_notice": timedelta(days=2), "max_advance": timedelta(days=1)},
        {"min_duration_minutes": 0},
        {"min_duration_minutes": 60, "max_duration_minutes": 30},
    ],
    ids=["negative notice", "advance before notice", "empty session", "max below min"],
)
def test_a_policy_that_makes_no_sense_is_refused(policy: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="booking policy needs"):
        BookingPolicy(**policy)  # type: ignore[arg-type]


def test_touching_intervals_do_not_conflict() -> None:
    busy = [session("2026-05-12T10:00", 60)]

    assert (
        check_conflicts(
            calendar=Calendar(psychologist()),
            interval=session("2026-05-12T11:00", 60),
            psychologist_busy=held(busy),
            patient_busy=busy,
        )
        == []
    )
    assert (
        check_conflicts(
            calendar=Calendar(psychologist()),
            interval=session("2026-05-12T09:00", 60),
            psychologist_busy=held(busy),
            patient_busy=busy,
        )
        == []
    )


def test_a_10_30_session_collides_with_a_10_00_to_11_00_one() -> None:
    [violation] = check_conflicts(
        calendar=Calendar(psychologist()),
        interval=session("2026-05-12T10:30", 60),
        psychologist_busy=held([session("2026-05-12T10:00", 60)]),
        patient_busy=[],
    )

    assert violation.code is RuleCode.SLOT_TAKEN
    assert violation.field == "scheduledAt"


def test_a_patient_cannot_be_in_two_sessions_at_once() -> None:
    [violation] = check_conflicts(
        calendar=Calendar(psychologist()),
        interval=session("2026-05-12T10:00", 50),
        psychologist_busy=held([session("2026-05-12T11:00", 60)]),
        patient_busy=[session("2026-05-12T10:45", 60)],
    )

    assert violation.code is RuleCode.PATIENT_CONFLICT
    assert violation.field == "scheduledAt"


def test_both_conflicts_are_reported_together() -> None:
    busy = [session("2026-05-12T09:00", 240)]

    found = check_conflicts(
        calendar=Calendar(psychologist()),
        interval=session("2026-05-12T10:00", 50),
        psychologist_busy=held(busy),
        patient_busy=busy,
    )

    assert codes(found) == [RuleCode.SLOT_TAKEN, RuleCode.PATIENT_CONFLICT]


def test_busy_times_in_another_zone_are_compared_as_instants() -> None:
    in_utc = Interval(
        datetime(2026, 5, 12, 13, 30, tzinfo=UTC), datetime(2026, 5, 12, 14, 0, tzinfo=UTC)
    )

    assert codes(
        check_conflicts(
            calendar=Calendar(psychologist()),
            interval=session("2026-05-12T10:00", 50),
            psychologist_busy=held([in_utc]),
            patient_busy=[],
        )
    ) == [RuleCode.SLOT_TAKEN]
