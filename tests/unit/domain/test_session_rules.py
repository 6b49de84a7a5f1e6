"""The rules of a session's life that need no store: series dates across daylight saving
time, late cancellations, what is owed, when a session can be marked, and meeting links."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import SYSTEM, AppointmentStatus
from domain.lifecycle import (
    SessionPolicy,
    ask_new_time,
    check_session_policy,
    hold,
    outcome_problem,
    paid,
    reschedule_problem,
)
from domain.schedule import wall_clock
from domain.series import Frequency, occurrence_starts
from infra.meetings.room_links import RoomLinks

NEW_YORK = ZoneInfo("America/New_York")
DOCTOR, PATIENT = a_psychologist(), a_patient()


def test_a_weekly_series_keeps_its_local_hour_across_a_change_of_daylight_saving_time() -> None:
    # 10:00 in New York on Monday 4 March 2030; clocks go forward on Sunday 10 March.
    first = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)

    starts = occurrence_starts(first, 3, Frequency.WEEKLY, NEW_YORK)

    assert [wall_clock(s, NEW_YORK).hour for s in starts] == [10, 10, 10]
    assert [s.hour for s in starts] == [15, 14, 14]


def test_a_biweekly_series_is_two_weeks_apart() -> None:
    starts = occurrence_starts(NOW, 3, Frequency.BIWEEKLY, ZoneInfo("UTC"))
    assert starts == [NOW, NOW + timedelta(weeks=2), NOW + timedelta(weeks=4)]


@pytest.mark.parametrize(
    ("hours_before", "late"), [(25, False), (24, False), (23, True), (1, True)]
)
def test_a_cancellation_is_late_strictly_inside_the_window(hours_before: int, late: bool) -> None:
    policy = SessionPolicy(cancellation_window=timedelta(hours=24))
    session = an_appointment(DOCTOR, PATIENT, scheduled_at=NOW + timedelta(hours=hours_before))
    assert policy.is_late(session, now=NOW) is late


def test_without_a_window_no_cancellation_is_late_and_the_fee_defaults_to_the_sessions() -> None:
    session = an_appointment(DOCTOR, PATIENT, scheduled_at=NOW + timedelta(minutes=1))
    assert not SessionPolicy().is_late(session, now=NOW)
    assert SessionPolicy().late_fee(session) == session.consultation_fee


def test_what_is_owed_follows_the_status() -> None:
    session = an_appointment(DOCTOR, PATIENT, consultation_fee=Decimal("150.00"))
    cancelled = an_appointment(DOCTOR, PATIENT, status=AppointmentStatus.CANCELLED)
    late = an_appointment(
        DOCTOR,
        PATIENT,
        status=AppointmentStatus.CANCELLED,
        late_cancellation=True,
        cancellation_fee=Decimal("40.00"),
    )
    assert session.amount_due == Decimal("150.00")
    assert cancelled.amount_due == 0
    assert late.amount_due == Decimal("40.00")
    assert paid(late, Decimal("40.00"))
    assert not paid(cancelled, Decimal("10.00"))


def test_a_session_is_marked_only_once_confirmed_and_started() -> None:
    confirmed = an_appointment(DOCTOR, PATIENT, status=AppointmentStatus.CONFIRMED)
    start = confirmed.scheduled_at
    assert outcome_problem(confirmed, now=start - timedelta(seconds=1)) is not None
    assert outcome_problem(confirmed, now=start) is None
    pending = an_appointment(DOCTOR, PATIENT)
    assert outcome_problem(pending, now=start + timedelta(hours=1)) is not None


def test_a_held_request_is_moved_with_its_hold_and_only_one_new_time_waits_at_once() -> None:
    held, _ = hold(
        an_appointment(DOCTOR, PATIENT),
        until=NOW + timedelta(hours=2),
        at=NOW,
        request_id=None,
        actor=SYSTEM,
    )
    asked, event = ask_new_time(
        held, held.scheduled_at + timedelta(days=1), at=NOW, request_id="r", actor=SYSTEM
    )
    assert asked.holds_slot
    assert (event.version, event.previous_scheduled_at) == (3, held.scheduled_at)
    assert reschedule_problem(asked, now=NOW) is not None


def test_a_policy_outside_its_bounds_is_refused_field_by_field() -> None:
    found = check_session_policy(
        confirmation_timeout_minutes=4,
        cancellation_window_minutes=14 * 24 * 60 + 1,
        late_cancellation_fee=Decimal("-1"),
    )
    assert [p.path for p in found] == [
        ("confirmationTimeoutMinutes",),
        ("cancellationWindowMinutes",),
        ("lateCancellationFee",),
    ]


def test_each_meeting_link_is_a_room_of_its_own_under_the_base_url() -> None:
    links = RoomLinks("https://meet.example.org/")
    session = an_appointment(DOCTOR, PATIENT)
    made = {links.link_for(session) for _ in range(100)}
    assert len(made) == 100
    assert all(link.startswith("https://meet.example.org/session-") for link in made)
    assert all(len(link.rsplit("-", 1)[1]) == 32 for link in made)
