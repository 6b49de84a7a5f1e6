"""Worker decisions racing on PostgreSQL: several decisions at once, on separate connections,
as several worker processes (or receive loops) make them."""

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import DecideAppointment
from application.deciding import DecideAppointmentHandler
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import AppointmentStatus
from infra.db.rows import appointment_to_row
from infra.db.tables import appointments
from storage import save_appointments, save_people
from use_cases import use_cases_on

PAIRS = 20


def decisions(engine: AsyncEngine) -> DecideAppointmentHandler:
    return use_cases_on(engine).decide


async def test_one_patient_at_one_time_with_two_psychologists_is_confirmed_once(
    engine: AsyncEngine,
) -> None:
    # Two psychologists mean two message groups: nothing in the queue keeps these two
    # decisions apart, so the database must.
    first, second = a_psychologist(), a_psychologist()
    patients = [a_patient() for _ in range(PAIRS)]
    await save_people(engine, [first, second], patients)
    # Each patient at their own half hour, the same with both psychologists.
    starts = [NOW + timedelta(days=3, minutes=30 * n) for n in range(PAIRS)]
    pairs = [
        (
            an_appointment(first, patient, scheduled_at=start, duration_minutes=30),
            an_appointment(second, patient, scheduled_at=start, duration_minutes=30),
        )
        for patient, start in zip(patients, starts, strict=True)
    ]
    await save_appointments(engine, [a for pair in pairs for a in pair])
    decide = decisions(engine)

    # A pair at a time, each pair's two decisions at once on two connections.
    outcomes = [
        await asyncio.gather(
            decide(DecideAppointment(one.id, None)),
            decide(DecideAppointment(other.id, None)),
        )
        for one, other in pairs
    ]

    for (one, other), results in zip(pairs, outcomes, strict=True):
        assert all(result is not None for result in results)
        verdicts = Counter((r.appointment.status, r.event.reason) for r in results if r is not None)
        assert verdicts == {
            (AppointmentStatus.CONFIRMED, None): 1,
            (AppointmentStatus.REJECTED, "PATIENT_CONFLICT"): 1,
        }, (one.id, other.id)


async def test_many_patients_for_one_slot_at_once_confirm_exactly_one(engine: AsyncEngine) -> None:
    psychologist = a_psychologist()
    patients = [a_patient() for _ in range(10)]
    await save_people(engine, [psychologist], patients)
    wanted = [an_appointment(psychologist, patient) for patient in patients]
    await save_appointments(engine, wanted)
    decide = decisions(engine)

    results = await asyncio.gather(*(decide(DecideAppointment(a.id, None)) for a in wanted))

    verdicts = Counter((r.appointment.status, r.event.reason) for r in results if r is not None)
    assert verdicts == {
        (AppointmentStatus.CONFIRMED, None): 1,
        (AppointmentStatus.REJECTED, "SLOT_TAKEN"): len(wanted) - 1,
    }


async def test_a_decision_does_not_wait_for_a_booking_in_progress_for_the_same_people(
    engine: AsyncEngine,
) -> None:
    # A booking's insert holds KEY SHARE locks on the patient's and the psychologist's rows
    # (its foreign keys) until it commits; a decision taking FOR UPDATE on those rows would
    # wait for it, and with the booking then needing another row the decision holds, the
    # two deadlock.
    psychologist, patient = a_psychologist(), a_patient()
    await save_people(engine, [psychologist], [patient])
    decided_now = an_appointment(psychologist, patient)
    booked_meanwhile = an_appointment(
        psychologist, patient, scheduled_at=decided_now.scheduled_at + timedelta(days=1)
    )
    await save_appointments(engine, [decided_now])

    async with engine.connect() as booking:
        transaction = await booking.begin()
        await booking.execute(insert(appointments), [appointment_to_row(booked_meanwhile)])
        async with asyncio.timeout(10):
            result = await decisions(engine)(DecideAppointment(decided_now.id, None))
        await transaction.rollback()

    assert result is not None
    assert result.appointment.status is AppointmentStatus.CONFIRMED
