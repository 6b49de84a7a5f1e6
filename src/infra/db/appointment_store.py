"""Writes of appointments and their history, each change in one transaction."""

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.appointments import Appointment, StatusEvent
from domain.errors import DomainError, SlotTaken
from infra.db.rows import appointment_to_row, event_to_row
from infra.db.tables import appointment_events, appointments

EXCLUSION_VIOLATION = "23P01"


class StaleAppointment(DomainError):
    """Someone changed the appointment since it was read: its version moved on."""


def is_exclusion_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == EXCLUSION_VIOLATION


class SqlAppointmentStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, appointment: Appointment, first_event: StatusEvent) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(insert(appointments), [appointment_to_row(appointment)])
            await connection.execute(insert(appointment_events), [event_to_row(first_event)])

    async def record_change(self, changed: Appointment, event: StatusEvent) -> None:
        """Save a status change made by ``Appointment.transition``.

        Raises ``SlotTaken`` when the database refuses an overlapping CONFIRMED pair
        and ``StaleAppointment`` when the stored version is not the one changed.
        """
        try:
            async with self._engine.begin() as connection:
                await _update_if_current(connection, changed)
                await connection.execute(insert(appointment_events), [event_to_row(event)])
        except IntegrityError as error:
            if is_exclusion_violation(error):
                raise SlotTaken(str(changed.id)) from error
            raise


async def _update_if_current(connection: AsyncConnection, changed: Appointment) -> None:
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
