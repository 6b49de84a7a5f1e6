"""PostgreSQL itself refuses two overlapping CONFIRMED sessions of one psychologist."""

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.errors import StaleAppointment
from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import Appointment, AppointmentStatus, StatusEvent
from domain.errors import SlotTaken
from infra.db.appointment_reads import SqlAppointmentReads
from infra.db.unit_of_work import SqlUnitsOfWork
from storage import save_appointments, save_people

TEN = NOW.replace(hour=10) + timedelta(days=3)


async def _pending_pair(
    engine: AsyncEngine, first_start: timedelta, second_start: timedelta, minutes: int = 60
) -> tuple[Appointment, Appointment]:
    psychologist, patient = a_psychologist(), a_patient()
    await save_people(engine, [psychologist], [patient])
    pair = (
        an_appointment(psychologist, patient, scheduled_at=TEN + first_start, duration_minutes=60),
        an_appointment(
            psychologist, patient, scheduled_at=TEN + second_start, duration_minutes=minutes
        ),
    )
    await save_appointments(engine, pair)
    return pair


async def _record(units: SqlUnitsOfWork, changed: Appointment, event: StatusEvent) -> None:
    async with units() as unit:
        await unit.appointments.record(changed, event)
        await unit.commit()


async def _confirm(units: SqlUnitsOfWork, appointment: Appointment) -> None:
    await _record(units, *appointment.transition(AppointmentStatus.CONFIRMED, at=NOW))


async def test_an_overlapping_confirmed_pair_is_refused_as_slot_taken(
    engine: AsyncEngine, units: SqlUnitsOfWork, appointment_reads: SqlAppointmentReads
) -> None:
    first, second = await _pending_pair(engine, timedelta(0), timedelta(minutes=30))
    await _confirm(units, first)

    with pytest.raises(SlotTaken):
        await _confirm(units, second)

    unchanged = await appointment_reads.histories([second.id])
    assert [e.status for e in unchanged[second.id]] == [AppointmentStatus.PENDING]


async def test_a_session_starting_inside_another_collides_even_with_a_different_start(
    engine: AsyncEngine, units: SqlUnitsOfWork
) -> None:
    first, second = await _pending_pair(engine, timedelta(0), timedelta(minutes=59), minutes=15)
    await _confirm(units, first)
    with pytest.raises(SlotTaken):
        await _confirm(units, second)


async def test_touching_sessions_may_both_be_confirmed(
    engine: AsyncEngine, units: SqlUnitsOfWork, appointment_reads: SqlAppointmentReads
) -> None:
    first, second = await _pending_pair(engine, timedelta(0), timedelta(hours=1))
    await _confirm(units, first)
    await _confirm(units, second)

    busy = await appointment_reads.busy_intervals([first.psychologist_id], first.interval)
    assert len(busy[first.psychologist_id]) == 1


async def test_overlapping_pending_requests_are_allowed_until_one_is_confirmed(
    engine: AsyncEngine, units: SqlUnitsOfWork
) -> None:
    first, second = await _pending_pair(engine, timedelta(0), timedelta(0))
    await _confirm(units, first)
    await _record(
        units, *second.transition(AppointmentStatus.REJECTED, at=NOW, reason="SLOT_TAKEN")
    )


async def test_a_change_to_an_outdated_version_is_refused(
    engine: AsyncEngine, units: SqlUnitsOfWork
) -> None:
    first, _ = await _pending_pair(engine, timedelta(0), timedelta(hours=2))
    await _confirm(units, first)
    with pytest.raises(StaleAppointment):
        await _confirm(units, first)
