from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import product
from uuid import uuid4

import pytest

from domain.appointments import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    MeetingType,
    RejectionReason,
    can_transition,
)
from domain.errors import InvalidTransition

CREATED = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
DECIDED = CREATED + timedelta(seconds=3)

ALLOWED = {
    (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED),
    (AppointmentStatus.PENDING, AppointmentStatus.REJECTED),
    (AppointmentStatus.PENDING, AppointmentStatus.CANCELLED),
    (AppointmentStatus.CONFIRMED, AppointmentStatus.CANCELLED),
    (AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED),
    (AppointmentStatus.CONFIRMED, AppointmentStatus.NO_SHOW),
}
REFUSED = set(product(AppointmentStatus, AppointmentStatus)) - ALLOWED


def appointment(status: AppointmentStatus, version: int = 1) -> Appointment:
    return Appointment(
        id=uuid4(),
        patient_id=uuid4(),
        psychologist_id=uuid4(),
        scheduled_at=datetime(2026, 6, 1, 13, 0, tzinfo=UTC),
        duration_minutes=50,
        appointment_type=AppointmentType.CONSULTATION,
        meeting_type=MeetingType.VIDEO_CALL,
        consultation_fee=Decimal("150.00"),
        status=status,
        version=version,
        created_at=CREATED,
        updated_at=CREATED,
    )


def names(pairs: set[tuple[AppointmentStatus, AppointmentStatus]]) -> list[str]:
    return [f"{current}->{target}" for current, target in sorted(pairs)]


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED), ids=names(ALLOWED))
def test_an_allowed_transition_changes_the_status_and_bumps_the_version(
    current: AppointmentStatus, target: AppointmentStatus
) -> None:
    before = appointment(current, version=4)

    after, _ = before.transition(target, at=DECIDED)

    assert can_transition(current, target)
    assert after.status is target
    assert after.version == 5
    assert after.updated_at == DECIDED
    assert after.created_at == CREATED


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED), ids=names(ALLOWED))
def test_an_allowed_transition_records_an_event_of_the_change(
    current: AppointmentStatus, target: AppointmentStatus
) -> None:
    before = appointment(current, version=2)

    after, event = before.transition(target, at=DECIDED, request_id="req-7")

    assert event.appointment_id == before.id
    assert event.version == after.version == 3
    assert event.status is target
    assert event.previous_status is current
    assert event.occurred_at == DECIDED
    assert event.request_id == "req-7"
    assert event.reason is None


@pytest.mark.parametrize(("current", "target"), sorted(REFUSED), ids=names(REFUSED))
def test_a_refused_transition_raises_and_changes_nothing(
    current: AppointmentStatus, target: AppointmentStatus
) -> None:
    before = appointment(current)

    with pytest.raises(InvalidTransition) as refused:
        before.transition(target, at=DECIDED)

    assert not can_transition(current, target)
    assert (refused.value.current, refused.value.target) == (current, target)
    assert before.status is current
    assert before.version == 1


def test_nothing_leaves_a_final_status() -> None:
    final = {
        AppointmentStatus.REJECTED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
    }

    assert all(
        not can_transition(status, target) for status in final for target in AppointmentStatus
    )


def test_a_rejection_keeps_its_reason_on_the_appointment_and_the_event() -> None:
    rejected, event = appointment(AppointmentStatus.PENDING).transition(
        AppointmentStatus.REJECTED, at=DECIDED, reason=RejectionReason.SLOT_TAKEN
    )

    assert rejected.rejection_reason is RejectionReason.SLOT_TAKEN
    assert rejected.cancellation_reason is None
    assert event.reason == "SLOT_TAKEN"


def test_a_cancellation_keeps_its_reason_on_the_appointment_and_the_event() -> None:
    cancelled, event = appointment(AppointmentStatus.CONFIRMED).transition(
        AppointmentStatus.CANCELLED, at=DECIDED, reason="patient is travelling"
    )

    assert cancelled.cancellation_reason == "patient is travelling"
    assert cancelled.rejection_reason is None
    assert event.reason == "patient is travelling"


def test_a_confirmation_carries_no_reason() -> None:
    confirmed, _ = appointment(AppointmentStatus.PENDING).transition(
        AppointmentStatus.CONFIRMED, at=DECIDED
    )

    assert confirmed.rejection_reason is None
    assert confirmed.cancellation_reason is None


def test_each_change_bumps_the_version_once_along_a_whole_life() -> None:
    pending = appointment(AppointmentStatus.PENDING)

    confirmed, first = pending.transition(AppointmentStatus.CONFIRMED, at=DECIDED)
    completed, second = confirmed.transition(
        AppointmentStatus.COMPLETED, at=DECIDED + timedelta(days=30)
    )

    assert [pending.version, confirmed.version, completed.version] == [1, 2, 3]
    assert [first.version, second.version] == [2, 3]
    assert second.previous_status is AppointmentStatus.CONFIRMED
