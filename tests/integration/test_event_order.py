"""Status events are committed in the order of their sequence numbers, on PostgreSQL: a
subscriber resuming after sequence N can never miss an event numbered below N that
committed later."""

import asyncio
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.commands import DecideAppointment
from builders import a_patient, a_psychologist, an_appointment, first_event
from infra.db.event_order import hold_event_order
from infra.db.rows import event_to_row
from infra.db.tables import appointment_events
from storage import save_appointments, save_people
from use_cases import use_cases_on

WAITING_ON_ADVISORY_LOCK = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'
"""


async def someone_waits_for_the_event_order(observer: AsyncConnection) -> bool:
    return bool((await observer.execute(text(WAITING_ON_ADVISORY_LOCK))).scalar_one())


async def test_a_decision_appends_its_event_only_after_an_earlier_writer_committed(
    engine: AsyncEngine,
) -> None:
    psychologist, patient = a_psychologist(), a_patient()
    await save_people(engine, [psychologist], [patient])
    earlier = an_appointment(psychologist, patient)
    decided = an_appointment(
        psychologist, patient, scheduled_at=earlier.scheduled_at + timedelta(days=1)
    )
    await save_appointments(engine, [earlier, decided])
    decide = use_cases_on(engine).decide

    async with engine.connect() as writer, engine.connect() as observer:
        transaction = await writer.begin()
        await hold_event_order(writer)
        appended = await writer.execute(
            insert(appointment_events).returning(appointment_events.c.id),
            [event_to_row(replace(first_event(earlier), version=2))],
        )
        earlier_sequence = appended.scalar_one()
        deciding = asyncio.create_task(decide(DecideAppointment(decided.id, None)))
        async with asyncio.timeout(30):
            while not await someone_waits_for_the_event_order(observer):
                assert not deciding.done(), "the decision appended without waiting its turn"
                await observer.commit()  # a fresh snapshot of pg_stat_activity
                await asyncio.sleep(0.02)
        await transaction.commit()

    result = await asyncio.wait_for(deciding, 30)
    assert result is not None
    assert result.event.sequence is not None
    assert result.event.sequence > earlier_sequence
