"""Read queries for series and payments, scoped by viewer."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.appointments import Appointment
from domain.payments import Payment
from domain.series import Series
from domain.viewer import Viewer
from infra.db.rows import appointment_from_row
from infra.db.scoping import visible_appointments
from infra.db.series_store import payment_from_row, series_from_row, visible_series
from infra.db.tables import appointment_series, appointments, payments


class SqlLifecycleReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def series_by_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> dict[UUID, Series]:
        query = select(appointment_series).where(
            appointment_series.c.id.in_(list(ids)), visible_series(viewer)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return {row["id"]: series_from_row(row) for row in rows}

    async def occurrences(self, viewer: Viewer, series_id: UUID) -> list[Appointment]:
        query = (
            select(appointments)
            .where(appointments.c.series_id == series_id, visible_appointments(viewer))
            .order_by(appointments.c.series_index)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [appointment_from_row(row) for row in rows]

    async def payments(self, ids: Sequence[UUID]) -> dict[UUID, list[Payment]]:
        """Payments of appointments the caller has already been allowed to read."""
        query = (
            select(payments)
            .where(payments.c.appointment_id.in_(list(ids)))
            .order_by(payments.c.recorded_at, payments.c.id)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        found: dict[UUID, list[Payment]] = {key: [] for key in ids}
        for row in rows:
            found[row["appointment_id"]].append(payment_from_row(row))
        return found
