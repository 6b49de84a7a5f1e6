"""PostgreSQL itself refuses two overlapping CONFIRMED sessions of one psychologist."""

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from builders import NOW, a_patient, a_psychologist, an_appointment
from domain.appointments import Appointment, AppointmentStatus
from domain.errors import SlotTaken
from infra.db.appointment_reads import SqlAppointmentReads
from infra.db.appointment_store import SqlAppointmentStore, StaleAppointment
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


async def _confirm(store: SqlAppointmentStore, appointment: Appointment) -> None:
    changed, event = appointment.transition(AppointmentStatus.CONFIRMED, at=NOW)
    await store.record_change(changed, event)


async def test_an_overlapping_confirmed_pair_is_refused_as_slot_taken(
    engine: AsyncEngine, store: SqlAppointmentStore, appointment_reads: SqlAppointmentReads
) -> None:
    first, second = await _pending_pair(engine, timedelta(0), timedelta(minutes=30))
    await _confirm(store, first)

    with pytest.raises(SlotTaken):
        await _confirm(store, second)

    unchanged = await appointment_reads.histories([second.id])
    assert [e.status for e in unchanged[second.id]] == [AppointmentStatus.PENDING]


async def test_a_session_starting_inside_another_collides_even_with_a_different_start(
    engine: AsyncEngine, store: SqlAppointmentStore
) -> None:
    first, second = await _pending_pair(engine, timedelta(0), timedelta(minutes=59), minutes=15)
    await _confirm(store, first)
    with pytest.raises(SlotTaken):
        await _confirm(store, second)


async def test_touching_sessions_may_both_be_confirmed(
    engine: AsyncEngine, store: SqlAppointmentStore, appointment_reads: SqlAppointmentReads
) -> None:
    first, second = await _pending_pair(engine, timedelta(0), timedelta(hours=1))
    await _confirm(store, first)
    await _confirm(store, second)

    page = await appointment_reads.busy_intervals(first.psychologist_id, first.interval)
    assert len(page) == 1


async def test_overlapping_pending_requests_are_allowed_until_one_is_confirmed(
    engine: AsyncEngine, store: SqlAppointmentStore
) -> None:
    first, second = await _pending_pair(engine, timedelta(0), timedelta(0))
    await _confirm(store, first)
    rejected, event = second.transition(AppointmentStatus.REJECTED, at=NOW, reason="SLOT_TAKEN")
    await store.record_change(rejected, event)


async def test_a_change_to_an_outdated_version_is_refused(
    engine: AsyncEngine, store: SqlAppointmentStore
) -> None:
    first, _ = await _pending_pair(engine, timedelta(0), timedelta(hours=2))
    await _confirm(store, first)
    with pytest.raises(StaleAppointment):
        await _confirm(store, first)
