"""The wire form of status events, and the rule that drops what a subscriber has seen."""

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from application.live_events import (
    EVERY_EVENT_CHANNEL,
    UnreadableEvent,
    channels_for,
    decode_event,
    encode_event,
)
from domain.appointments import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    MeetingType,
    StatusEvent,
)
from resolvers.live_feeds import NewerOnly

AT = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)


def appointment() -> Appointment:
    return Appointment(
        id=uuid4(),
        patient_id=uuid4(),
        psychologist_id=uuid4(),
        scheduled_at=AT,
        duration_minutes=50,
        appointment_type=AppointmentType.CONSULTATION,
        meeting_type=MeetingType.VIDEO_CALL,
        consultation_fee=Decimal("150.00"),
        status=AppointmentStatus.PENDING,
        version=1,
        created_at=AT,
        updated_at=AT,
    )


def event_of(booked: Appointment, version: int = 2) -> StatusEvent:
    return StatusEvent(
        appointment_id=booked.id,
        version=version,
        status=AppointmentStatus.REJECTED,
        previous_status=AppointmentStatus.PENDING,
        occurred_at=AT,
        reason="SLOT_TAKEN",
        request_id="req-1",
        sequence=41,
    )


def test_an_event_survives_the_wire_with_whom_it_belongs_to() -> None:
    booked = appointment()
    event = event_of(booked)
    published = decode_event(encode_event(booked, event))
    assert published.event == event
    assert (published.patient_id, published.psychologist_id) == (
        booked.patient_id,
        booked.psychologist_id,
    )


def test_an_event_goes_to_its_appointment_people_and_admins() -> None:
    booked = appointment()
    assert channels_for(booked) == (
        f"appointment:{booked.id}",
        f"patient:{booked.patient_id}",
        f"psychologist:{booked.psychologist_id}",
        EVERY_EVENT_CHANNEL,
    )


@pytest.mark.parametrize("message", [b"", b"[]", b'{"version": 2}', b"\xff"])
def test_a_message_that_is_no_status_event_is_unreadable(message: bytes) -> None:
    with pytest.raises(UnreadableEvent):
        decode_event(message)


def test_only_a_newer_version_of_an_appointment_is_admitted() -> None:
    booked, other = appointment(), appointment()
    newer = NewerOnly()
    assert newer.admit(event_of(booked, 2))
    assert not newer.admit(event_of(booked, 2))
    assert not newer.admit(event_of(booked, 1))
    assert newer.admit(event_of(other, 1))
    assert newer.admit(event_of(booked, 3))


def test_the_least_recently_seen_appointments_are_forgotten_first() -> None:
    first, second, third = appointment(), appointment(), appointment()
    newer = NewerOnly(capacity=2)
    for booked in (first, second):
        newer.admit(event_of(booked, 2))
    newer.admit(event_of(first, 3))  # first is now the most recently seen
    newer.admit(event_of(third, 2))  # so second is forgotten
    assert not newer.admit(event_of(first, 3))
    assert newer.admit(event_of(second, 2))
