"""Writing test data straight into the tables, bypassing the use cases."""

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from builders import first_event
from domain.appointments import Appointment
from domain.people import Patient, Psychologist
from infra.db.rows import appointment_to_row, event_to_row, patient_to_row, psychologist_to_row
from infra.db.tables import appointment_events, appointments, patients, psychologists

STAMP = datetime(2030, 1, 1, tzinfo=UTC)


async def save_people(
    engine: AsyncEngine,
    psychologist_list: Iterable[Psychologist] = (),
    patient_list: Iterable[Patient] = (),
) -> None:
    rows_p = [psychologist_to_row(p, STAMP) for p in psychologist_list]
    rows_q = [patient_to_row(p, STAMP) for p in patient_list]
    async with engine.begin() as connection:
        if rows_p:
            await connection.execute(insert(psychologists), rows_p)
        if rows_q:
            await connection.execute(insert(patients), rows_q)


async def save_appointments(engine: AsyncEngine, made: Iterable[Appointment]) -> None:
    made = list(made)
    async with engine.begin() as connection:
        await connection.execute(insert(appointments), [appointment_to_row(a) for a in made])
        await connection.execute(
            insert(appointment_events), [event_to_row(first_event(a)) for a in made]
        )
