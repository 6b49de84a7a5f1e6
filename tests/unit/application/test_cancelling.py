"""The cancel use case with fakes of its ports."""

from datetime import timedelta

import pytest
from application_fakes import FakeDatabase, Published

from application.cancelling import MAX_REASON_LENGTH, CancelAppointmentHandler
from application.commands import CancelAppointment
from application.unit_of_work import Transactions
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import Appointment, AppointmentStatus
from domain.people import Patient, Psychologist
from domain.viewer import Role, Viewer


@pytest.fixture
def cancel(transactions: Transactions) -> CancelAppointmentHandler:
    return CancelAppointmentHandler(transactions=transactions, clock=lambda: NOW)


def booked(
    database: FakeDatabase, **overrides: object
) -> tuple[Appointment, Patient, Psychologist]:
    psychologist, patient = a_psychologist(), a_patient()
    database.tables.psychologists[psychologist.id] = psychologist
    database.tables.patients[patient.id] = patient
    appointment = an_appointment(psychologist, patient, **overrides)
    database.tables.appointments[appointment.id] = appointment
    return appointment, patient, psychologist


def viewer(role: Role, subject: str | None) -> Viewer:
    assert subject is not None
    return Viewer(subject, role)


async def test_the_patient_cancels_their_own_with_a_reason_and_it_is_published(
    database: FakeDatabase, published: Published, cancel: CancelAppointmentHandler
) -> None:
    appointment, patient, _ = booked(database, status=AppointmentStatus.CONFIRMED, version=2)

    outcome = await cancel(
        CancelAppointment(viewer(Role.PATIENT, patient.subject), appointment.id, "ill", "req-5")
    )

    assert outcome.problems == ()
    assert outcome.appointment is not None
    assert (outcome.appointment.status, outcome.appointment.cancellation_reason) == (
        AppointmentStatus.CANCELLED,
        "ill",
    )
    [change] = published.changes
    assert (change.event.previous_status, change.event.request_id) == ("CONFIRMED", "req-5")
    assert database.tables.appointments[appointment.id] == outcome.appointment


async def test_the_psychologist_cancels_their_own_and_an_admin_any(
    database: FakeDatabase, cancel: CancelAppointmentHandler
) -> None:
    first, _, psychologist = booked(database)
    second, _, _ = booked(database)

    by_psychologist = await cancel(
        CancelAppointment(viewer(Role.PSYCHOLOGIST, psychologist.subject), first.id, None, "r")
    )
    by_admin = await cancel(CancelAppointment(Viewer("admin-1", Role.ADMIN), second.id, None, "r"))

    assert by_psychologist.appointment is not None
    assert by_admin.appointment is not None


async def test_someone_elses_appointment_is_not_found_and_stays_as_it_was(
    database: FakeDatabase, published: Published, cancel: CancelAppointmentHandler
) -> None:
    appointment, _, _ = booked(database)
    _, stranger, other_psychologist = booked(database)

    as_patient = await cancel(
        CancelAppointment(viewer(Role.PATIENT, stranger.subject), appointment.id, None, "r")
    )
    as_psychologist = await cancel(
        CancelAppointment(
            viewer(Role.PSYCHOLOGIST, other_psychologist.subject), appointment.id, None, "r"
        )
    )

    for outcome in (as_patient, as_psychologist):
        assert [(p.code, p.path) for p in outcome.problems] == [("NOT_FOUND", ("appointmentId",))]
    assert database.tables.appointments[appointment.id] == appointment
    assert published.changes == []


async def test_a_started_or_finished_appointment_cannot_be_cancelled(
    database: FakeDatabase, published: Published, cancel: CancelAppointmentHandler
) -> None:
    started, _, _ = booked(database, scheduled_at=NOW - timedelta(minutes=5))
    rejected, _, _ = booked(database, status=AppointmentStatus.REJECTED, version=2)
    admin = Viewer("admin-1", Role.ADMIN)

    outcomes = [
        await cancel(CancelAppointment(admin, started.id, None, "r")),
        await cancel(CancelAppointment(admin, rejected.id, None, "r")),
    ]

    assert [[p.code for p in o.problems] for o in outcomes] == [["INVALID_STATE"]] * 2
    assert published.changes == []


async def test_a_reason_too_long_is_refused_before_anything_is_read(
    database: FakeDatabase, cancel: CancelAppointmentHandler
) -> None:
    appointment, _, _ = booked(database)

    outcome = await cancel(
        CancelAppointment(
            Viewer("admin-1", Role.ADMIN), appointment.id, "x" * (MAX_REASON_LENGTH + 1), "r"
        )
    )

    assert [(p.code, p.path) for p in outcome.problems] == [("INVALID_INPUT", ("reason",))]
    assert database.units == []
