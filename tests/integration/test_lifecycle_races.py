"""A session's life racing on PostgreSQL, each use case on its own connection: a new time
against another patient's request for it, a cancellation against a new time, an answer
against the expiry. Each is decided exactly once."""

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import CancelAppointment, DecideAppointment
from application.lifecycle_commands import (
    AnswerRequest,
    DecideReschedule,
    ExpireConfirmation,
    RescheduleAppointment,
    SetSessionPolicy,
)
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import AppointmentStatus, EventKind, RejectionReason
from domain.viewer import Role, Viewer
from infra.db.appointment_reads import SqlAppointmentReads
from storage import save_appointments, save_people
from use_cases import Clock, use_cases_on

ADMIN = Viewer("admin-1", Role.ADMIN)
ROUNDS = 8


async def test_a_new_time_and_another_patients_request_for_it_get_it_once(
    engine: AsyncEngine,
) -> None:
    doctor = a_psychologist()
    movers = [a_patient() for _ in range(ROUNDS)]
    rivals = [a_patient() for _ in range(ROUNDS)]
    await save_people(engine, [doctor], movers + rivals)
    cases = use_cases_on(engine)
    reads = SqlAppointmentReads(engine)
    outcomes: Counter[str] = Counter()
    for round_, (mover, rival) in enumerate(zip(movers, rivals, strict=True)):
        old = NOW + timedelta(days=3, hours=2 * round_)
        new = NOW + timedelta(days=20, hours=2 * round_)
        session = an_appointment(doctor, mover, scheduled_at=old)
        request = an_appointment(doctor, rival, scheduled_at=new + timedelta(minutes=30))
        await save_appointments(engine, [session, request])
        await cases.decide(DecideAppointment(session.id, None))
        asked = await cases.reschedule(RescheduleAppointment(ADMIN, session.id, new, "req-move"))
        assert asked.problems == ()

        await asyncio.gather(
            cases.decide_reschedule(DecideReschedule(session.id, new, "req-move")),
            cases.decide(DecideAppointment(request.id, None)),
        )

        found = await reads.by_ids(ADMIN, [session.id, request.id])
        moved = found[session.id].scheduled_at == new
        confirmed = found[request.id].status is AppointmentStatus.CONFIRMED
        assert moved != confirmed, found
        assert found[session.id].status is AppointmentStatus.CONFIRMED
        assert found[session.id].reschedule_to is None
        if not moved:
            assert found[session.id].scheduled_at == old
        else:
            assert found[request.id].rejection_reason is RejectionReason.SLOT_TAKEN
        outcomes["moved" if moved else "kept"] += 1
    assert sum(outcomes.values()) == ROUNDS


async def test_a_cancellation_and_a_new_time_are_decided_once_each_in_some_order(
    engine: AsyncEngine,
) -> None:
    doctor, patient = a_psychologist(), a_patient()
    await save_people(engine, [doctor], [patient])
    cases = use_cases_on(engine)
    reads = SqlAppointmentReads(engine)
    for round_ in range(ROUNDS):
        old = NOW + timedelta(days=3, hours=2 * round_)
        new = NOW + timedelta(days=20, hours=2 * round_)
        session = an_appointment(doctor, patient, scheduled_at=old)
        await save_appointments(engine, [session])
        await cases.decide(DecideAppointment(session.id, None))
        await cases.reschedule(RescheduleAppointment(ADMIN, session.id, new, "req-move"))

        cancelled, decided = await asyncio.gather(
            cases.cancel_appointment(CancelAppointment(ADMIN, session.id, None, "req-cancel")),
            cases.decide_reschedule(DecideReschedule(session.id, new, "req-move")),
        )

        assert cancelled.problems == ()
        final = (await reads.by_ids(ADMIN, [session.id]))[session.id]
        events = (await reads.histories([session.id]))[session.id]
        kinds = [(e.kind, e.status) for e in events[3:]]
        assert final.status is AppointmentStatus.CANCELLED
        assert [e.version for e in events] == list(range(1, final.version + 1))
        if decided is None:
            # The cancellation came first and dropped the new time with it.
            assert kinds == [(EventKind.STATUS_CHANGED, AppointmentStatus.CANCELLED)]
            assert final.scheduled_at == old
        else:
            assert kinds == [
                (EventKind.RESCHEDULED, AppointmentStatus.CONFIRMED),
                (EventKind.STATUS_CHANGED, AppointmentStatus.CANCELLED),
            ]
            assert final.scheduled_at == new


async def test_an_answer_and_the_expiry_decide_a_held_request_once(engine: AsyncEngine) -> None:
    doctor, patient = a_psychologist(), a_patient()
    await save_people(engine, [doctor], [patient])
    clock = Clock(NOW)
    cases = use_cases_on(engine, clock=clock)
    reads = SqlAppointmentReads(engine)
    staff = Viewer(str(doctor.subject), Role.PSYCHOLOGIST)
    await cases.set_session_policy(
        SetSessionPolicy(
            viewer=ADMIN,
            psychologist_id=doctor.id,
            requires_confirmation=True,
            confirmation_timeout_minutes=60,
            cancellation_window_minutes=0,
            late_cancellation_fee=None,
            request_id="req-policy",
        )
    )
    results: Counter[str] = Counter()
    for round_ in range(2 * ROUNDS):
        clock.now = NOW + timedelta(hours=3 * round_)
        session = an_appointment(
            doctor, patient, scheduled_at=NOW + timedelta(days=5, hours=2 * round_)
        )
        await save_appointments(engine, [session])
        held = await cases.decide(DecideAppointment(session.id, None))
        assert held is not None
        assert held.appointment.awaiting_confirmation_until is not None
        # Half the rounds a second before the deadline, half at it.
        clock.now = held.appointment.awaiting_confirmation_until - timedelta(
            seconds=1 if round_ % 2 else 0
        )

        answer, expiry = await asyncio.gather(
            cases.answer_request(AnswerRequest(staff, session.id, True, None, "req-yes")),
            cases.expire_confirmation(ExpireConfirmation(session.id, "req-due")),
        )

        final = (await reads.by_ids(ADMIN, [session.id]))[session.id]
        events = (await reads.histories([session.id]))[session.id]
        decisions = [e for e in events if e.status is not AppointmentStatus.PENDING]
        assert len(decisions) == 1, events
        if final.status is AppointmentStatus.CONFIRMED:
            assert answer.problems == ()
            assert expiry is None
            results["confirmed"] += 1
        else:
            assert final.rejection_reason is RejectionReason.CONFIRMATION_EXPIRED
            assert [p.code for p in answer.problems] == ["INVALID_STATE"]
            results["expired"] += 1
    assert results == {"confirmed": ROUNDS, "expired": ROUNDS}
