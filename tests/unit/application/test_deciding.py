"""The decision use cases with fakes of their ports."""

from datetime import timedelta

import pytest
from application_fakes import FakeDatabase, Published

from application.commands import DecideAppointment, RejectFailedRequest
from application.deciding import DecideAppointmentHandler, RejectFailedRequestHandler
from application.unit_of_work import Transactions
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import Appointment, AppointmentStatus, RejectionReason
from domain.policy import BookingPolicy
from infra.meetings.room_links import RoomLinks


@pytest.fixture
def decide(transactions: Transactions) -> DecideAppointmentHandler:
    return DecideAppointmentHandler(
        transactions=transactions,
        clock=lambda: NOW,
        policy=BookingPolicy(),
        meetings=RoomLinks("https://meet.example", token=lambda: "room"),
    )


def requested(database: FakeDatabase, **overrides: object) -> Appointment:
    psychologist, patient = a_psychologist(), a_patient()
    database.tables.psychologists[psychologist.id] = psychologist
    database.tables.patients[patient.id] = patient
    appointment = an_appointment(psychologist, patient, **overrides)
    database.tables.appointments[appointment.id] = appointment
    return appointment


def add(database: FakeDatabase, appointment: Appointment) -> Appointment:
    database.tables.appointments[appointment.id] = appointment
    return appointment


async def test_a_pending_request_that_breaks_no_rule_is_confirmed_and_published_after_commit(
    database: FakeDatabase, published: Published, decide: DecideAppointmentHandler
) -> None:
    appointment = requested(database)

    change = await decide(DecideAppointment(appointment.id, "req-7"))

    assert change is not None
    assert (change.appointment.status, change.appointment.version) == (
        AppointmentStatus.CONFIRMED,
        2,
    )
    assert (change.event.request_id, change.event.sequence) == ("req-7", 1)
    assert database.tables.appointments[appointment.id] == change.appointment
    assert published.changes == [change]
    assert published.commits_seen == [1]


async def test_it_holds_the_schedule_then_the_patient_then_the_request(
    database: FakeDatabase, decide: DecideAppointmentHandler
) -> None:
    appointment = requested(database)

    await decide(DecideAppointment(appointment.id, None))

    [unit] = database.units
    # The order a time off holds them in too (schedule, then sessions): no deadlock.
    assert unit.locks == [
        ("psychologist", appointment.psychologist_id),
        ("patient", appointment.patient_id),
        ("appointment", appointment.id),
    ]


async def test_a_confirmed_session_of_the_psychologist_in_the_way_rejects_it_as_slot_taken(
    database: FakeDatabase, published: Published, decide: DecideAppointmentHandler
) -> None:
    appointment = requested(database)
    add(
        database,
        an_appointment(
            appointment.psychologist_id,
            a_patient(),
            scheduled_at=appointment.scheduled_at + timedelta(minutes=30),
            status=AppointmentStatus.CONFIRMED,
        ),
    )

    change = await decide(DecideAppointment(appointment.id, None))

    assert change is not None
    assert change.appointment.status is AppointmentStatus.REJECTED
    assert change.appointment.rejection_reason is RejectionReason.SLOT_TAKEN
    assert published.changes == [change]


async def test_a_request_for_a_time_already_past_the_notice_is_rejected_too_soon(
    database: FakeDatabase, decide: DecideAppointmentHandler
) -> None:
    appointment = requested(database, scheduled_at=NOW + timedelta(hours=2))

    change = await decide(DecideAppointment(appointment.id, None))

    assert change is not None
    assert change.appointment.rejection_reason is RejectionReason.TOO_SOON


async def test_an_already_decided_or_unknown_request_is_acknowledged_without_a_change(
    database: FakeDatabase, published: Published, decide: DecideAppointmentHandler
) -> None:
    decided = requested(database, status=AppointmentStatus.CONFIRMED, version=2)
    unknown = an_appointment(a_psychologist(), a_patient())

    assert await decide(DecideAppointment(decided.id, None)) is None
    assert await decide(DecideAppointment(unknown.id, None)) is None

    assert database.tables.events == []
    assert published.changes == []


async def test_when_the_store_refuses_the_confirmation_it_is_rejected_slot_taken_instead(
    database: FakeDatabase, published: Published, decide: DecideAppointmentHandler
) -> None:
    # The rules saw a free schedule, but another decision committed that time meanwhile:
    # only the store (its exclusion constraint) can tell.
    appointment = requested(database)
    database.refuse_confirmations = True

    change = await decide(DecideAppointment(appointment.id, "req-9"))

    assert change is not None
    assert change.appointment.rejection_reason is RejectionReason.SLOT_TAKEN
    assert change.event.request_id == "req-9"
    first_try, second_try = database.units
    assert not first_try.committed_once
    assert second_try.committed_once
    assert published.changes == [change]


async def test_a_request_that_failed_every_delivery_is_rejected_processing_failed_once(
    database: FakeDatabase, published: Published, transactions: Transactions
) -> None:
    appointment = requested(database)
    reject = RejectFailedRequestHandler(transactions=transactions, clock=lambda: NOW)

    first = await reject(RejectFailedRequest(appointment.id, "req-3"))
    again = await reject(RejectFailedRequest(appointment.id, "req-3"))

    assert first is not None
    assert first.appointment.rejection_reason is RejectionReason.PROCESSING_FAILED
    assert again is None
    assert published.changes == [first]
