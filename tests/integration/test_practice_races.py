"""Calendars and decisions racing on PostgreSQL, on separate connections as separate
processes make them: a time off against a request waiting for its decision, and the
exclusion constraint over sessions with their buffers."""

import asyncio
from collections import Counter
from datetime import timedelta
from uuid import UUID

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import DecideAppointment
from application.practice_commands import AddTimeOff, TimeOffInstants
from application.time_off import TimeOffAnswer
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import Appointment, AppointmentStatus
from domain.errors import SlotTaken
from domain.viewer import Role, Viewer
from infra.db.tables import appointments, psychologists
from infra.db.unit_of_work import SqlUnitsOfWork
from storage import save_appointments, save_people
from use_cases import use_cases_on

ADMIN = Viewer("admin-1", Role.ADMIN)
PAIRS = 12
TEN = NOW.replace(hour=10) + timedelta(days=3)


async def pending_requests(engine: AsyncEngine, count: int) -> list[Appointment]:
    """One PENDING request with each of ``count`` psychologists, three days from now."""
    made = []
    for _ in range(count):
        psychologist, patient = a_psychologist(), a_patient()
        await save_people(engine, [psychologist], [patient])
        made.append(an_appointment(psychologist, patient))
    await save_appointments(engine, made)
    return made


async def stored(engine: AsyncEngine, appointment_id: UUID) -> tuple[str, str | None]:
    query = select(appointments.c.status, appointments.c.rejection_reason).where(
        appointments.c.id == appointment_id
    )
    async with engine.connect() as connection:
        status, reason = (await connection.execute(query)).one()
    return status, reason


async def test_a_time_off_racing_a_decision_is_either_refused_or_the_request_rejected(
    engine: AsyncEngine,
) -> None:
    requests = await pending_requests(engine, PAIRS)
    cases = use_cases_on(engine)

    async def time_off_over(appointment: Appointment) -> TimeOffAnswer:
        period = TimeOffInstants(appointment.scheduled_at - timedelta(hours=1), appointment.ends_at)
        return await cases.add_time_off(
            AddTimeOff(ADMIN, "req-off", appointment.psychologist_id, period, "Ill")
        )

    answers = []
    for index, appointment in enumerate(requests):
        # Each pair at once on two connections, the decision started first every other time.
        deciding = cases.decide(DecideAppointment(appointment.id, None))
        if index % 2:
            off, _ = await asyncio.gather(time_off_over(appointment), deciding)
        else:
            _, off = await asyncio.gather(deciding, time_off_over(appointment))
        answers.append(off)

    for appointment, off in zip(requests, answers, strict=True):
        status, reason = await stored(engine, appointment.id)
        if off.time_off is not None:
            # Blocked first: the decision saw the time off.
            assert (status, reason) == ("REJECTED", "PSYCHOLOGIST_UNAVAILABLE")
        else:
            # Decided first (or still PENDING when the time off looked): never both.
            assert status == "CONFIRMED"
            assert [a.id for a in off.conflicts] == [appointment.id]
            assert [p.code for p in off.problems] == ["TIME_OFF_CONFLICTS"]


async def test_sessions_whose_buffers_meet_are_refused_by_the_database_itself(
    engine: AsyncEngine,
) -> None:
    psychologist, patient, other = a_psychologist(), a_patient(), a_patient()
    await save_people(engine, [psychologist], [patient, other])
    # 10:00-11:00 holding 15 minutes after it; 11:10-12:10 holding 10 before it: the two
    # sessions do not overlap, their held times do. 11:15-12:15 only touches the first.
    first = an_appointment(psychologist, patient, scheduled_at=TEN, buffer_after_minutes=15)
    meeting = an_appointment(
        psychologist, other, scheduled_at=TEN + timedelta(minutes=70), buffer_before_minutes=10
    )
    touching = an_appointment(psychologist, other, scheduled_at=TEN + timedelta(minutes=75))
    await save_appointments(engine, [first, meeting, touching])
    units = SqlUnitsOfWork(engine)

    async def confirm(appointment: Appointment) -> None:
        async with units() as unit:
            changed, event = appointment.transition(AppointmentStatus.CONFIRMED, at=NOW)
            await unit.appointments.record(changed, event)
            await unit.commit()

    await confirm(first)
    with pytest.raises(SlotTaken):
        await confirm(meeting)
    await confirm(touching)


async def test_racing_decisions_whose_buffers_meet_confirm_exactly_one(
    engine: AsyncEngine,
) -> None:
    psychologist = a_psychologist()
    patients = [a_patient() for _ in range(6)]
    await save_people(engine, [psychologist], patients)
    async with engine.begin() as connection:
        await connection.execute(
            update(psychologists)
            .where(psychologists.c.id == psychologist.id)
            .values(buffer_after_minutes=30)
        )
    # Sessions 20 minutes apart, each needing 30 free minutes after the one before.
    wanted = [
        an_appointment(
            psychologist, patient, scheduled_at=TEN + timedelta(minutes=80 * n), duration_minutes=60
        )
        for n, patient in enumerate(patients[:2])
    ] + [
        an_appointment(psychologist, patient, scheduled_at=TEN, duration_minutes=60)
        for patient in patients[2:]
    ]
    await save_appointments(engine, wanted)
    decide = use_cases_on(engine).decide

    results = await asyncio.gather(*(decide(DecideAppointment(a.id, None)) for a in wanted))

    verdicts = Counter((r.appointment.status, r.event.reason) for r in results if r is not None)
    assert verdicts == {
        (AppointmentStatus.CONFIRMED, None): 1,
        (AppointmentStatus.REJECTED, "SLOT_TAKEN"): len(wanted) - 1,
    }
    [kept] = [r.appointment for r in results if r and r.appointment.status == "CONFIRMED"]
    assert kept.buffer_after_minutes == 30
