from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.appointments import RejectionReason
from domain.bookings import Booked
from domain.calendar import Calendar
from domain.people import Psychologist
from domain.policy import BookingPolicy
from domain.rules import decide
from domain.schedule import Interval, Weekday, WorkingHours

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
# Tuesday 12 May 2026, 10:00 in São Paulo: within hours, well past the notice.
FINE = datetime(2026, 5, 12, 10, 0, tzinfo=SAO_PAULO)
LUNCH = datetime(2026, 5, 12, 12, 15, tzinfo=SAO_PAULO)
# Tuesday 5 May 2026, 08:00 in São Paulo: before opening, and 22 hours from now.
TOMORROW_EARLY = datetime(2026, 5, 5, 8, 0, tzinfo=SAO_PAULO)


def psychologist(*, active: bool = True) -> Psychologist:
    """Works every day 09:00-12:00 and 13:00-18:00 in São Paulo."""
    return Psychologist(
        id=uuid4(),
        name="Dr. Ana",
        email="ana@example.com",
        time_zone="America/Sao_Paulo",
        working_hours=tuple(
            WorkingHours(day, start, end)
            for day in Weekday
            for start, end in ((time(9), time(12)), (time(13), time(18)))
        ),
        default_duration_minutes=50,
        consultation_fee=Decimal("200.00"),
        active=active,
    )


def around(starts_at: datetime) -> list[Interval]:
    return [Interval(starts_at - timedelta(minutes=10), starts_at + timedelta(minutes=10))]


def verdict(
    starts_at: datetime = FINE,
    *,
    duration_minutes: int = 50,
    active: bool = True,
    psychologist_busy: Iterable[Interval] = (),
    patient_busy: Iterable[Interval] = (),
    policy: BookingPolicy | None = None,
) -> RejectionReason | None:
    return decide(
        calendar=Calendar(psychologist(active=active)),
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        now=NOW,
        policy=policy or BookingPolicy(),
        psychologist_busy=[Booked.session(interval) for interval in psychologist_busy],
        patient_busy=patient_busy,
    )


def test_a_request_that_breaks_no_rule_is_confirmed() -> None:
    assert verdict() is None


def test_a_session_touching_busy_ones_is_confirmed() -> None:
    before = Interval(FINE - timedelta(hours=1), FINE)
    after = Interval(FINE + timedelta(minutes=50), FINE + timedelta(hours=2))

    assert verdict(psychologist_busy=[before, after], patient_busy=[before, after]) is None


def test_busy_times_may_be_given_as_one_shot_iterators() -> None:
    assert verdict(psychologist_busy=iter(around(FINE))) is RejectionReason.SLOT_TAKEN


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"active": False}, RejectionReason.PSYCHOLOGIST_UNAVAILABLE),
        ({"starts_at": NOW + timedelta(hours=23)}, RejectionReason.TOO_SOON),
        ({"starts_at": NOW - timedelta(hours=1)}, RejectionReason.TOO_SOON),
        ({"starts_at": LUNCH}, RejectionReason.OUTSIDE_WORKING_HOURS),
        ({"duration_minutes": 5}, RejectionReason.OUTSIDE_WORKING_HOURS),
        ({"starts_at": FINE + timedelta(seconds=30)}, RejectionReason.OUTSIDE_WORKING_HOURS),
        ({"psychologist_busy": around(FINE)}, RejectionReason.SLOT_TAKEN),
        ({"patient_busy": around(FINE)}, RejectionReason.PATIENT_CONFLICT),
    ],
    ids=[
        "inactive",
        "too soon",
        "in the past",
        "outside hours",
        "invalid duration",
        "not a whole minute",
        "slot taken",
        "patient conflict",
    ],
)
def test_each_broken_rule_rejects_with_its_reason(
    case: dict[str, object], expected: RejectionReason
) -> None:
    assert verdict(**case) is expected  # type: ignore[arg-type]


def test_too_far_ahead_rejects_with_its_own_reason() -> None:
    policy = BookingPolicy(max_advance=timedelta(days=7))

    assert verdict(FINE, policy=policy) is RejectionReason.TOO_FAR_AHEAD


def test_an_unavailable_psychologist_comes_before_every_other_reason() -> None:
    assert (
        verdict(
            TOMORROW_EARLY,
            active=False,
            psychologist_busy=around(TOMORROW_EARLY),
            patient_busy=around(TOMORROW_EARLY),
        )
        is RejectionReason.PSYCHOLOGIST_UNAVAILABLE
    )


def test_too_soon_comes_before_working_hours_and_conflicts() -> None:
    assert (
        verdict(TOMORROW_EARLY, psychologist_busy=around(TOMORROW_EARLY))
        is RejectionReason.TOO_SOON
    )


def test_working_hours_come_before_conflicts() -> None:
    assert (
        verdict(LUNCH, psychologist_busy=around(LUNCH), patient_busy=around(LUNCH))
        is RejectionReason.OUTSIDE_WORKING_HOURS
    )


def test_a_taken_slot_comes_before_a_patient_conflict() -> None:
    assert (
        verdict(psychologist_busy=around(FINE), patient_busy=around(FINE))
        is RejectionReason.SLOT_TAKEN
    )
