"""Writes of appointments and their history, each change in one transaction."""

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.appointments import (
    Appointment,
    AppointmentStatus,
    StatusEvent,
    cancellation_problem,
)
from domain.errors import DomainError, SlotTaken
from domain.viewer import Viewer
from infra.db.event_order import hold_event_order
from infra.db.rows import appointment_from_row, appointment_to_row, event_to_row
from infra.db.scoping import visible_appointments
from infra.db.tables import appointment_events, appointments
from infra.db.write_lock import WriteLock
from resolvers.ports import Cancelled, CancelRefused

EXCLUSION_VIOLATION = "23P01"


class StaleAppointment(DomainError):
    """Someone changed the appointment since it was read: its version moved on."""


def is_exclusion_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == EXCLUSION_VIOLATION


class SqlAppointmentStore:
    def __init__(self, engine: AsyncEngine, write_lock: WriteLock | None = None) -> None:
        self._engine = engine
        self._lock = write_lock or WriteLock.for_dialect(engine.dialect.name)

    async def cancel(
        self,
        viewer: Viewer,
        appointment_id: UUID,
        *,
        reason: str | None,
        at: datetime,
        request_id: str,
    ) -> Cancelled | CancelRefused:
        """Cancel one appointment the viewer may see, checking its state under a row lock."""
        async with self._lock, self._engine.begin() as connection:
            query = (
                select(appointments)
                .where(appointments.c.id == appointment_id, visible_appointments(viewer))
                .with_for_update()
            )
            row = (await connection.execute(query)).mappings().first()
            if row is None:
                return CancelRefused("NOT_FOUND", "No such appointment.")
            current = appointment_from_row(row)
            problem = cancellation_problem(current, now=at)
            if problem is not None:
                return CancelRefused("INVALID_STATE", problem)
            changed, event = current.transition(
                AppointmentStatus.CANCELLED, at=at, reason=reason, request_id=request_id
            )
            await update_if_current(connection, changed)
            await hold_event_order(connection)
            result = await connection.execute(
                insert(appointment_events).returning(appointment_events.c.id),
                [event_to_row(event)],
            )
            return Cancelled(changed, replace(event, sequence=result.scalar_one()))

    async def add(self, appointment: Appointment, first_event: StatusEvent) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(insert(appointments), [appointment_to_row(appointment)])
            await hold_event_order(connection)
            await connection.execute(insert(appointment_events), [event_to_row(first_event)])

    async def record_change(self, changed: Appointment, event: StatusEvent) -> None:
        """Save a status change made by ``Appointment.transition``.

        Raises ``SlotTaken`` when the database refuses an overlapping CONFIRMED pair
        and ``StaleAppointment`` when the stored version is not the one changed.
        """
        try:
            async with self._engine.begin() as connection:
                await update_if_current(connection, changed)
                await hold_event_order(connection)
                await connection.execute(insert(appointment_events), [event_to_row(event)])
        except IntegrityError as error:
            if is_exclusion_violation(error):
                raise SlotTaken(str(changed.id)) from error
            raise


async def update_if_current(connection: AsyncConnection, changed: Appointment) -> None:
    result = await connection.execute(
        update(appointments)
        .where(appointments.c.id == changed.id, appointments.c.version == changed.version - 1)
        .values(
            status=changed.status.value,
            version=changed.version,
            rejection_reason=changed.rejection_reason.value if changed.rejection_reason else None,
            cancellation_reason=changed.cancellation_reason,
            updated_at=changed.updated_at,
        )
    )
    if result.rowcount != 1:
        raise StaleAppointment(str(changed.id))
