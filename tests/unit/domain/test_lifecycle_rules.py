"""Where each change of a session's life may start, the bounds of a session policy, and
what the events of a new time record: the rules the other lifecycle tests leave out."""

from datetime import timedelta
from decimal import Decimal

import pytest

from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import SYSTEM, AppointmentStatus, EventKind, RejectionReason
from domain.lifecycle import (
    MAX_LATE_FEE,
    SessionPolicy,
    answer_problem,
    ask_new_time,
    check_session_policy,
    keep_time,
    move,
    outcome_problem,
    reschedule_problem,
)

DOCTOR, PATIENT = a_psychologist(), a_patient()


def test_only_a_held_pending_request_waits_for_the_psychologists_answer() -> None:
    confirmed = an_appointment(DOCTOR, PATIENT, status=AppointmentStatus.CONFIRMED)
    not_held = an_appointment(DOCTOR, PATIENT)
    held = an_appointment(DOCTOR, PATIENT, awaiting_confirmation_until=NOW + timedelta(hours=1))

    assert answer_problem(confirmed) == "A CONFIRMED appointment is not waiting for an answer."
    assert answer_problem(not_held) == "This request is not waiting for the psychologist's answer."
    assert answer_problem(held) is None


def test_a_marking_refused_for_its_status_says_so_with_its_code() -> None:
    cancelled = an_appointment(DOCTOR, PATIENT, status=AppointmentStatus.CANCELLED)
    assert outcome_problem(cancelled, now=cancelled.scheduled_at) == (
        "INVALID_STATE",
        "A CANCELLED appointment cannot be marked.",
    )
    confirmed = an_appointment(DOCTOR, PATIENT, status=AppointmentStatus.CONFIRMED)
    assert outcome_problem(confirmed, now=NOW) == (
        "NOT_STARTED",
        "A session can be marked only once it has started.",
    )


@pytest.mark.parametrize("status", [AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED])
def test_a_pending_or_confirmed_session_moves_until_it_starts(status: AppointmentStatus) -> None:
    session = an_appointment(DOCTOR, PATIENT, status=status)
    start = session.scheduled_at
    assert reschedule_problem(session, now=start - timedelta(seconds=1)) is None
    assert reschedule_problem(session, now=start) == (
        "A session cannot be moved once it has started."
    )


@pytest.mark.parametrize(
    "status",
    [
        AppointmentStatus.CANCELLED,
        AppointmentStatus.REJECTED,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
    ],
)
def test_a_session_that_is_over_does_not_move(status: AppointmentStatus) -> None:
    session = an_appointment(DOCTOR, PATIENT, status=status)
    assert reschedule_problem(session, now=NOW) == (
        f"A {status.value} appointment cannot be moved."
    )


def test_each_event_of_a_new_time_names_the_old_time_and_the_new_one() -> None:
    session = an_appointment(DOCTOR, PATIENT, status=AppointmentStatus.CONFIRMED)
    old, new = session.scheduled_at, session.scheduled_at + timedelta(days=1)
    asked, asking = ask_new_time(session, new, at=NOW, request_id="r1", actor=SYSTEM)
    moved, moving = move(asked, buffers=(5, 10), at=NOW, request_id="r2", actor=SYSTEM)
    kept, keeping = keep_time(
        asked, RejectionReason.SLOT_TAKEN, at=NOW, request_id="r3", actor=SYSTEM
    )

    assert [
        (e.kind, e.previous_scheduled_at, e.scheduled_at) for e in (asking, moving, keeping)
    ] == [
        (EventKind.RESCHEDULE_REQUESTED, old, new),
        (EventKind.RESCHEDULED, old, new),
        (EventKind.RESCHEDULE_REJECTED, old, new),
    ]
    assert [e.reason for e in (asking, moving, keeping)] == [None, None, "SLOT_TAKEN"]
    assert [e.request_id for e in (asking, moving, keeping)] == ["r1", "r2", "r3"]
    assert (moved.scheduled_at, moved.reschedule_to, moved.buffer_before_minutes) == (new, None, 5)
    assert (kept.scheduled_at, kept.reschedule_to) == (old, None)


@pytest.mark.parametrize(
    ("timeout", "window", "fee"),
    [
        (5, 0, None),
        (7 * 24 * 60, 14 * 24 * 60, Decimal(0)),
        (60, 60, MAX_LATE_FEE),
    ],
)
def test_a_policy_on_its_bounds_is_accepted_made_or_asked_for(
    timeout: int, window: int, fee: Decimal | None
) -> None:
    assert (
        check_session_policy(
            confirmation_timeout_minutes=timeout,
            cancellation_window_minutes=window,
            late_cancellation_fee=fee,
        )
        == []
    )
    SessionPolicy(
        confirmation_timeout=timedelta(minutes=timeout),
        cancellation_window=timedelta(minutes=window),
        late_cancellation_fee=fee,
    )


@pytest.mark.parametrize(
    ("policy", "refused"),
    [
        ({"confirmation_timeout": timedelta(minutes=4)}, "confirmation timeout"),
        ({"confirmation_timeout": timedelta(days=7, seconds=1)}, "confirmation timeout"),
        ({"cancellation_window": timedelta(seconds=-1)}, "cancellation window"),
        ({"cancellation_window": timedelta(days=14, seconds=1)}, "cancellation window"),
        ({"late_cancellation_fee": Decimal("-0.01")}, "late cancellation fee"),
        ({"late_cancellation_fee": MAX_LATE_FEE + Decimal("0.01")}, "late cancellation fee"),
    ],
)
def test_a_policy_outside_its_bounds_cannot_be_made(
    policy: dict[str, object], refused: str
) -> None:
    with pytest.raises(ValueError, match=refused):
        SessionPolicy(**policy)  # type: ignore[arg-type]


@pytest.mark.parametrize("fee", ["NaN", "Infinity", "1.005", "100000.01"])
def test_a_fee_asked_for_is_a_finite_amount_in_cents_within_the_bound(fee: str) -> None:
    [problem] = check_session_policy(
        confirmation_timeout_minutes=60,
        cancellation_window_minutes=0,
        late_cancellation_fee=Decimal(fee),
    )
    assert problem.path == ("lateCancellationFee",)
