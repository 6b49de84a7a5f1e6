"""The use cases of a session's life on in-memory fakes of the ports: what each stores,
queues and announces, and what it refuses."""

from dataclasses import replace
from datetime import timedelta

from application_fakes import FakeDatabase, Published
from practice_world import practice

from application.commands import DecideAppointment, RejectFailedRequest
from application.lifecycle_commands import (
    AnswerRequest,
    ExpireConfirmation,
    MarkOutcome,
    RescheduleAppointment,
)
from application.queue_messages import CONFIRMATION_DUE_TOPIC, RESCHEDULE_TOPIC
from application.unit_of_work import Transactions
from builders import NOW, a_patient, an_appointment
from domain.appointments import ActorRole, AppointmentStatus, EventKind, RejectionReason
from domain.lifecycle import SessionPolicy
from domain.viewer import Role, Viewer


def seeded(database: FakeDatabase, transactions: Transactions, **appointment: object):  # type: ignore[no-untyped-def]
    world = practice(database, transactions)
    patient = a_patient()
    database.tables.patients[patient.id] = patient
    session = an_appointment(
        world.psychologist,
        patient,
        scheduled_at=NOW + timedelta(days=3, hours=2),  # 11:00 in São Paulo
        **appointment,
    )
    database.tables.appointments[session.id] = session
    return world, patient, session


async def test_a_held_request_queues_its_own_expiry_and_announces_the_hold(
    database: FakeDatabase, transactions: Transactions, published: Published
) -> None:
    world, _, session = seeded(database, transactions)
    database.tables.session_policies[world.psychologist.id] = SessionPolicy(
        requires_confirmation=True, confirmation_timeout=timedelta(hours=2)
    )

    change = await world.cases.decide(DecideAppointment(session.id, "req-1"))

    assert change is not None
    assert change.appointment.awaiting_confirmation_until == NOW + timedelta(hours=2)
    assert change.event.kind is EventKind.AWAITING_CONFIRMATION
    assert change.event.actor is not None
    assert change.event.actor.role is ActorRole.SYSTEM
    [queued] = [m for m in database.tables.outbox if m.topic == CONFIRMATION_DUE_TOPIC]
    assert queued.available_at == NOW + timedelta(hours=2)
    assert [c.event.kind for c in published.changes] == [EventKind.AWAITING_CONFIRMATION]
    # A second delivery of the request finds it decided: nothing more.
    assert await world.cases.decide(DecideAppointment(session.id, "req-1")) is None


async def test_an_expiry_delivered_early_looks_again_at_the_deadline(
    database: FakeDatabase, transactions: Transactions
) -> None:
    world, _, session = seeded(
        database, transactions, awaiting_confirmation_until=NOW + timedelta(minutes=10)
    )

    early = await world.cases.expire_confirmation(ExpireConfirmation(session.id, "req"))

    assert early is None
    assert database.tables.appointments[session.id].status is AppointmentStatus.PENDING
    [again] = database.tables.outbox
    assert (again.topic, again.available_at) == (
        CONFIRMATION_DUE_TOPIC,
        NOW + timedelta(minutes=10),
    )


async def test_an_answer_after_the_deadline_records_the_expiry_and_is_refused(
    database: FakeDatabase, transactions: Transactions, published: Published
) -> None:
    world, _, session = seeded(database, transactions, awaiting_confirmation_until=NOW)

    outcome = await world.cases.answer_request(
        AnswerRequest(Viewer("admin-1", Role.ADMIN), session.id, True, None, "req")
    )

    assert [p.code for p in outcome.problems] == ["INVALID_STATE"]
    stored = database.tables.appointments[session.id]
    assert stored.rejection_reason is RejectionReason.CONFIRMATION_EXPIRED
    assert [c.appointment.status for c in published.changes] == [AppointmentStatus.REJECTED]


async def test_a_new_time_is_queued_for_the_worker_and_the_session_keeps_its_time(
    database: FakeDatabase, transactions: Transactions
) -> None:
    world, patient, session = seeded(database, transactions, status=AppointmentStatus.CONFIRMED)
    to = session.scheduled_at + timedelta(days=1)

    outcome = await world.cases.reschedule(
        RescheduleAppointment(Viewer(str(patient.subject), Role.PATIENT), session.id, to, "req-m")
    )

    assert outcome.appointment is not None
    assert (outcome.appointment.scheduled_at, outcome.appointment.reschedule_to) == (
        session.scheduled_at,
        to,
    )
    [queued] = database.tables.outbox
    assert (queued.topic, queued.payload["to"], queued.request_id) == (
        RESCHEDULE_TOPIC,
        to.isoformat(),
        "req-m",
    )


async def test_a_refused_outcome_changes_nothing_and_commits_nothing(
    database: FakeDatabase, transactions: Transactions
) -> None:
    world, _, session = seeded(database, transactions, status=AppointmentStatus.CONFIRMED)
    commits = database.commits

    outcome = await world.cases.mark_outcome(
        MarkOutcome(
            Viewer("admin-1", Role.ADMIN), session.id, AppointmentStatus.COMPLETED, None, "r"
        )
    )

    assert [p.code for p in outcome.problems] == ["NOT_STARTED"]
    assert database.commits == commits
    assert database.tables.appointments[session.id] == session


async def test_a_new_time_that_could_not_be_decided_is_refused_and_the_session_stays(
    database: FakeDatabase, transactions: Transactions
) -> None:
    world, _, session = seeded(database, transactions, status=AppointmentStatus.CONFIRMED)
    to = session.scheduled_at + timedelta(days=1)
    database.tables.appointments[session.id] = replace(session, reschedule_to=to)

    other_time = await world.cases.reject_failed(
        RejectFailedRequest(session.id, "req", new_time=to + timedelta(hours=1))
    )
    refused = await world.cases.reject_failed(RejectFailedRequest(session.id, "req", new_time=to))

    assert other_time is None
    assert refused is not None
    assert refused.event.kind is EventKind.RESCHEDULE_REJECTED
    assert refused.event.reason == RejectionReason.PROCESSING_FAILED.value
    assert (refused.appointment.status, refused.appointment.reschedule_to) == (
        AppointmentStatus.CONFIRMED,
        None,
    )
