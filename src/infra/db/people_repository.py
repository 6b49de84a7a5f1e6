"""Patients as a booking finds (or adds) them, inside a unit of work's transaction."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.people import Patient
from domain.requests import normal_email
from infra.db.appointment_repository import insert_ignoring_conflicts
from infra.db.rows import patient_to_row
from infra.db.tables import patients


class SqlPeople:
    """The People port."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock_patient(self, patient_id: UUID) -> None:
        query = select(patients.c.id).where(patients.c.id == patient_id)
        await self._connection.execute(query.with_for_update(key_share=True))

    async def patient_id(
        self, *, subject: str | None = None, email: str | None = None
    ) -> UUID | None:
        if subject is not None:
            query = select(patients.c.id).where(patients.c.subject == subject)
        elif email is not None:
            # Stored case-folded (normal_email); lower() still finds rows stored before.
            query = select(patients.c.id).where(func.lower(patients.c.email) == normal_email(email))
        else:
            raise ValueError("a patient is found by subject or by email")
        found: UUID | None = (await self._connection.execute(query)).scalar_one_or_none()
        return found

    async def add_patient(self, patient: Patient, *, at: datetime) -> bool:
        dialect = self._connection.dialect.name
        added = await self._connection.execute(
            insert_ignoring_conflicts(patients, dialect).returning(patients.c.id),
            [patient_to_row(patient, at)],
        )
        return added.first() is not None

    async def patient_ids_by_email(self, emails: Sequence[str]) -> dict[str, UUID]:
        if not emails:
            return {}
        email = func.lower(patients.c.email)
        query = select(email, patients.c.id).where(email.in_(sorted(set(emails))))
        rows = (await self._connection.execute(query)).all()
        return dict(rows)

    async def add_patients(self, added: Sequence[Patient], *, at: datetime) -> set[UUID]:
        if not added:
            return set()
        dialect = self._connection.dialect.name
        inserted = await self._connection.execute(
            insert_ignoring_conflicts(patients, dialect).returning(patients.c.id),
            [patient_to_row(patient, at) for patient in added],
        )
        return set(inserted.scalars().all())
