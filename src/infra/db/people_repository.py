"""Psychologists and patients inside a unit of work's transaction."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.people import Patient, Psychologist
from infra.db.appointment_repository import insert_ignoring_conflicts
from infra.db.rows import patient_to_row, psychologist_from_row
from infra.db.tables import patients, psychologists


class SqlPeople:
    """The People port."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def psychologists(self, ids: Sequence[UUID]) -> dict[UUID, Psychologist]:
        query = select(psychologists).where(psychologists.c.id.in_(ids))
        rows = (await self._connection.execute(query)).mappings().all()
        return {row["id"]: psychologist_from_row(row) for row in rows}

    async def lock_psychologist(self, psychologist_id: UUID) -> Psychologist | None:
        # FOR NO KEY UPDATE, not FOR UPDATE: a booking inserting appointments holds KEY
        # SHARE locks on this row (its foreign key) and must not wait for, or deadlock
        # with, a decision.
        query = select(psychologists).where(psychologists.c.id == psychologist_id)
        found = await self._connection.execute(query.with_for_update(key_share=True))
        row = found.mappings().first()
        return None if row is None else psychologist_from_row(row)

    async def lock_patient(self, patient_id: UUID) -> None:
        query = select(patients.c.id).where(patients.c.id == patient_id)
        await self._connection.execute(query.with_for_update(key_share=True))

    async def patient_id(
        self, *, subject: str | None = None, email: str | None = None
    ) -> UUID | None:
        if subject is not None:
            query = select(patients.c.id).where(patients.c.subject == subject)
        elif email is not None:
            query = select(patients.c.id).where(func.lower(patients.c.email) == email.lower())
        else:
            raise ValueError("a patient is found by subject or by email")
        found: UUID | None = (await self._connection.execute(query)).scalar_one_or_none()
        return found

    async def add_patient(self, patient: Patient, *, at: datetime) -> None:
        dialect = self._connection.dialect.name
        await self._connection.execute(
            insert_ignoring_conflicts(patients, dialect), [patient_to_row(patient, at)]
        )
