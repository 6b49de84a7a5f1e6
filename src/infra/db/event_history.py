"""The status history as subscriptions read it: the newest event, or a replay after a cursor."""

from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.appointments import StatusEvent
from domain.viewer import Role, Viewer
from infra.db.connection_budget import connect
from infra.db.rows import event_from_row
from infra.db.scoping import visible_appointments, visible_appointments_of
from infra.db.tables import appointment_events, appointments

_visible_events = appointment_events.join(
    appointments, appointments.c.id == appointment_events.c.appointment_id
)


@cache
def _latest(role: Role) -> Select[Any]:
    """The newest visible event of one appointment: built once per role and reused, so
    each subscription set up skips building the statement and computing its cache key."""
    return (
        select(appointment_events)
        .select_from(_visible_events)
        .where(appointment_events.c.appointment_id == bindparam("appointment_id"))
        .where(visible_appointments_of(role, bindparam("subject")))
        .order_by(appointment_events.c.version.desc())
        .limit(1)
    )


class SqlEventHistory:
    def __init__(self, engine: AsyncEngine) -> None:
        # One statement per read needs no transaction: on PostgreSQL it runs as it is,
        # without a BEGIN and a ROLLBACK around it (two round trips fewer per subscription).
        self._engine = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )

    async def latest(self, viewer: Viewer, appointment_id: UUID) -> StatusEvent | None:
        parameters = {"appointment_id": appointment_id, "subject": viewer.subject}
        async with connect(self._engine) as connection:
            result = await connection.execute(_latest(viewer.role), parameters)
            row = result.mappings().first()
        return None if row is None else event_from_row(row)

    async def after(
        self, viewer: Viewer, sequence: int, *, psychologist_id: UUID | None, limit: int
    ) -> list[StatusEvent]:
        query = (
            select(appointment_events)
            .select_from(_visible_events)
            .where(appointment_events.c.id > sequence)
            .where(visible_appointments(viewer))
            .order_by(appointment_events.c.id)
            .limit(limit)
        )
        if psychologist_id is not None:
            query = query.where(appointments.c.psychologist_id == psychologist_id)
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [event_from_row(row) for row in rows]
