"""The request use case with fakes of its ports: what it stores, refuses and publishes."""

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest
from application_fakes import FakeDatabase, Published

from application.commands import RequestAppointments, RequestItem
from application.queue_messages import REQUESTED_TOPIC
from application.requesting import MAX_BATCH, RequestAppointmentsHandler
from application.unit_of_work import Transactions
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import AppointmentStatus, AppointmentType, MeetingType
from domain.people import Patient, Psychologist
from domain.policy import BookingPolicy
from domain.requests import AppointmentRequest, InputProblem, PatientProfile
from domain.viewer import Role, Viewer

START = NOW + timedelta(days=3)


@pytest.fixture
def request_appointments(transactions: Transactions) -> RequestAppointmentsHandler:
    return RequestAppointmentsHandler(
        transactions=transactions, clock=lambda: NOW, policy=BookingPolicy(), new_id=uuid4
    )


def known(database: FakeDatabase) -> tuple[Psychologist, Patient]:
    psychologist, patient = a_psychologist(), a_patient()
    database.tables.psychologists[psychologist.id] = psychologist
    database.tables.patients[patient.id] = patient
    return psychologist, patient


def item(psychologist: Psychologist, **overrides: object) -> AppointmentRequest:
    fields: dict[str, object] = {
        "psychologist_id": psychologist.id,
        "scheduled_at": START,
        "appointment_type": AppointmentType.CONSULTATION,
        "meeting_type": MeetingType.VIDEO_CALL,
        "duration_minutes": 60,
    }
    fields.update(overrides)
    return AppointmentRequest(**fields)  # type: ignore[arg-type]


def as_patient(patient: Patient, *items: RequestItem) -> RequestAppointments:
    assert patient.subject is not None
    return RequestAppointments(Viewer(patient.subject, Role.PATIENT), items, "req-1")


async def test_a_valid_request_is_stored_pending_with_its_event_and_outbox_row_then_published(
    database: FakeDatabase, published: Published, request_appointments: RequestAppointmentsHandler
) -> None:
    psychologist, patient = known(database)

    [outcome] = await request_appointments(as_patient(patient, item(psychologist)))

    assert outcome.problems == ()
    assert outcome.appointment is not None
    stored = database.tables.appointments[outcome.appointment.id]
    assert (stored.status, stored.patient_id, stored.request_id) == (
        AppointmentStatus.PENDING,
        patient.id,
        "req-1",
    )
    [event] = database.tables.events
    assert (event.version, event.status, event.previous_status) == (1, "PENDING", None)
    [message] = database.tables.outbox
    assert (message.topic, message.group) == (REQUESTED_TOPIC, str(psychologist.id))
    assert message.payload == {"appointment_id": str(stored.id), "request_id": "req-1"}
    # Published once, after the one commit, with the sequence the store gave the event.
    assert [change.event for change in published.changes] == [event]
    assert published.commits_seen == [1]


async def test_refused_items_store_and_publish_nothing_while_the_valid_ones_go_through(
    database: FakeDatabase, published: Published, request_appointments: RequestAppointmentsHandler
) -> None:
    psychologist, patient = known(database)
    unreadable: RequestItem = [InputProblem(("psychologistId",), "not an ID")]
    items = (
        item(psychologist, scheduled_at=NOW - timedelta(hours=1)),
        unreadable,
        item(psychologist, psychologist_id=uuid4()),
        item(psychologist),
    )

    outcomes = await request_appointments(as_patient(patient, *items))

    assert [[(p.code, p.path) for p in o.problems] for o in outcomes] == [
        [("IN_THE_PAST", ("scheduledAt",))],
        [("INVALID_INPUT", ("psychologistId",))],
        [("NOT_FOUND", ("psychologistId",))],
        [],
    ]
    assert len(database.tables.appointments) == len(published.changes) == 1


async def test_a_time_a_confirmed_session_overlaps_is_slot_taken_at_once(
    database: FakeDatabase, published: Published, request_appointments: RequestAppointmentsHandler
) -> None:
    psychologist, patient = known(database)
    other = an_appointment(
        psychologist,
        a_patient(),
        scheduled_at=START + timedelta(minutes=30),
        status=AppointmentStatus.CONFIRMED,
    )
    database.tables.appointments[other.id] = other

    [outcome] = await request_appointments(as_patient(patient, item(psychologist)))

    assert [(p.code, p.path) for p in outcome.problems] == [("SLOT_TAKEN", ("scheduledAt",))]
    assert list(database.tables.appointments) == [other.id]
    assert published.changes == []


async def test_the_same_key_and_request_again_answers_the_first_appointment_and_stores_nothing(
    database: FakeDatabase, published: Published, request_appointments: RequestAppointmentsHandler
) -> None:
    psychologist, patient = known(database)
    keyed = item(psychologist, idempotency_key="key-1")

    [first] = await request_appointments(as_patient(patient, keyed))
    [again] = await request_appointments(as_patient(patient, keyed))
    [changed] = await request_appointments(
        as_patient(patient, item(psychologist, idempotency_key="key-1", notes="other"))
    )

    assert first.appointment is not None
    assert again.appointment == first.appointment
    assert [(p.code, p.path) for p in changed.problems] == [
        ("IDEMPOTENCY_KEY_REUSED", ("idempotencyKey",))
    ]
    assert len(database.tables.appointments) == len(database.tables.outbox) == 1
    assert len(published.changes) == 1


async def test_two_items_of_one_batch_with_one_key_make_one_appointment(
    database: FakeDatabase, request_appointments: RequestAppointmentsHandler
) -> None:
    psychologist, patient = known(database)
    keyed = item(psychologist, idempotency_key="key-1")

    first, second = await request_appointments(as_patient(patient, keyed, keyed))

    assert first.appointment is not None
    assert second.appointment == first.appointment
    assert len(database.tables.appointments) == 1


async def test_a_first_booking_adds_the_patient_from_the_profile_and_needs_one(
    database: FakeDatabase, request_appointments: RequestAppointmentsHandler
) -> None:
    psychologist, _ = known(database)
    newcomer = Viewer("patient-new", Role.PATIENT)
    profile = PatientProfile(" Ana Lima ", "ana@example.com", "+5511999990001")

    [without] = await request_appointments(
        RequestAppointments(newcomer, [item(psychologist)], "req-1")
    )
    [with_profile] = await request_appointments(
        RequestAppointments(newcomer, [item(psychologist, patient=profile)], "req-2")
    )

    assert [(p.code, p.path) for p in without.problems] == [("INVALID_INPUT", ("patient",))]
    assert with_profile.appointment is not None
    added = database.tables.patients[with_profile.appointment.patient_id]
    assert (added.subject, added.name, added.email) == (
        "patient-new",
        "Ana Lima",
        "ana@example.com",
    )


async def test_staff_book_for_a_patient_found_by_email_in_any_case(
    database: FakeDatabase, request_appointments: RequestAppointmentsHandler
) -> None:
    psychologist, patient = known(database)
    profile = PatientProfile(patient.name, patient.email.upper())
    admin = Viewer("admin-1", Role.ADMIN)

    [unnamed] = await request_appointments(
        RequestAppointments(admin, [item(psychologist)], "req-1")
    )
    [named] = await request_appointments(
        RequestAppointments(admin, [item(psychologist, patient=profile)], "req-2")
    )

    assert [(p.code, p.path) for p in unnamed.problems] == [("INVALID_INPUT", ("patient",))]
    assert named.appointment is not None
    assert named.appointment.patient_id == patient.id
    assert len(database.tables.patients) == 1


async def test_psychologists_and_oversized_batches_are_refused_item_by_item(
    database: FakeDatabase, published: Published, request_appointments: RequestAppointmentsHandler
) -> None:
    psychologist, patient = known(database)
    assert psychologist.subject is not None
    own = Viewer(psychologist.subject, Role.PSYCHOLOGIST)

    refused = await request_appointments(RequestAppointments(own, [item(psychologist)], "r"))
    too_many = await request_appointments(
        as_patient(patient, *[item(psychologist)] * (MAX_BATCH + 1))
    )

    assert [p.code for o in refused for p in o.problems] == ["FORBIDDEN"]
    assert {p.code for o in too_many for p in o.problems} == {"BATCH_TOO_LARGE"}
    assert len(too_many) == MAX_BATCH + 1
    assert database.units == []
    assert published.changes == []


async def test_a_key_used_again_answers_as_before_even_once_its_slot_is_confirmed(
    database: FakeDatabase, request_appointments: RequestAppointmentsHandler
) -> None:
    psychologist, patient = known(database)
    keyed = item(psychologist, idempotency_key="key-1")
    [first] = await request_appointments(as_patient(patient, keyed))
    assert first.appointment is not None
    confirmed = replace(first.appointment, status=AppointmentStatus.CONFIRMED, version=2)
    database.tables.appointments[confirmed.id] = confirmed

    [again] = await request_appointments(as_patient(patient, keyed))
    [other] = await request_appointments(
        as_patient(patient, item(psychologist, idempotency_key="key-1", notes="other"))
    )

    assert again.problems == ()
    assert again.appointment is not None
    assert again.appointment.id == first.appointment.id
    assert [p.code for p in other.problems] == ["IDEMPOTENCY_KEY_REUSED"]
