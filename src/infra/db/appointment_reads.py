"""Read queries for appointments and their history, scoped by viewer."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.appointments import BLOCKING_STATUSES, Appointment, StatusEvent
from domain.bookings import Booked
from domain.listing import (
    AppointmentFilter,
    AppointmentOrder,
    AppointmentOrderField,
    OrderDirection,
    Page,
    PageRequest,
)
from domain.schedule import Interval
from domain.viewer import Viewer
from infra.db.connection_budget import connect
from infra.db.keyset import paginate, trim
from infra.db.rows import appointment_from_row, event_from_row
from infra.db.scoping import visible_appointments
from infra.db.tables import appointment_events, appointments

ORDER_COLUMNS: dict[AppointmentOrderField, ColumnElement[Any]] = {
    AppointmentOrderField.SCHEDULED_AT: appointments.c.scheduled_at,
    AppointmentOrderField.CREATED_AT: appointments.c.created_at,
    AppointmentOrderField.UPDATED_AT: appointments.c.updated_at,
    AppointmentOrderField.STATUS: appointments.c.status,
}


def filter_conditions(wanted: AppointmentFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.patient_id is not None:
        conditions.append(appointments.c.patient_id == wanted.patient_id)
    if wanted.psychologist_id is not None:
        conditions.append(appointments.c.psychologist_id == wanted.psychologist_id)
    if wanted.statuses:
        conditions.append(appointments.c.status.in_([s.value for s in wanted.statuses]))
    if wanted.appointment_types:
        conditions.append(
            appointments.c.appointment_type.in_([t.value for t in wanted.appointment_types])
        )
    if wanted.scheduled_from is not None:
        conditions.append(appointments.c.scheduled_at >= wanted.scheduled_from)
    if wanted.scheduled_to is not None:
        conditions.append(appointments.c.scheduled_at < wanted.scheduled_to)
    if wanted.is_paid is not None:
        conditions.append(appointments.c.is_paid == wanted.is_paid)
    return conditions


class SqlAppointmentReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def page(
        self,
        viewer: Viewer,
        wanted: AppointmentFilter,
        order: AppointmentOrder,
        page: PageRequest,
        *,
        with_total: bool,
    ) -> Page[Appointment]:
        where = and_(visible_appointments(viewer), *filter_conditions(wanted))
        query = paginate(
            select(appointments).where(where),
            (ORDER_COLUMNS[order.field], appointments.c.id),
            descending=order.direction is OrderDirection.DESC,
            page=page,
        )
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
            total = None
            if with_total:
                count = select(func.count()).select_from(appointments).where(where)
                total = (await connection.execute(count)).scalar_one()
        kept, has_next, has_previous = trim(rows, page)
        return Page(
            items=[appointment_from_row(row) for row in kept],
            has_next=has_next,
            has_previous=has_previous,
            total=total,
        )

    async def by_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> dict[UUID, Appointment]:
        query = select(appointments).where(appointments.c.id.in_(ids), visible_appointments(viewer))
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
        return {row["id"]: appointment_from_row(row) for row in rows}

    async def histories(self, ids: Sequence[UUID]) -> dict[UUID, list[StatusEvent]]:
        """Histories of appointments the caller has already been allowed to read."""
        query = (
            select(appointment_events)
            .where(appointment_events.c.appointment_id.in_(ids))
            .order_by(appointment_events.c.appointment_id, appointment_events.c.version)
        )
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
        histories: dict[UUID, list[StatusEvent]] = {key: [] for key in ids}
        for row in rows:
            histories[row["appointment_id"]].append(event_from_row(row))
        return histories

    async def busy_intervals(
        self, psychologist_ids: Sequence[UUID], window: Interval
    ) -> dict[UUID, list[Booked]]:
        """Every PENDING or CONFIRMED session of each psychologist whose held time (the
        session with its buffers) meets the window, in one query whatever the number of
        psychologists."""
        query = select(
            appointments.c.psychologist_id,
            appointments.c.scheduled_at,
            appointments.c.blocked_from,
            appointments.c.blocked_until,
        ).where(
            appointments.c.psychologist_id.in_(list(psychologist_ids)),
            appointments.c.status.in_([s.value for s in BLOCKING_STATUSES]),
            appointments.c.blocked_from < window.end,
            appointments.c.blocked_until > window.start,
        )
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).all()
        busy: dict[UUID, list[Booked]] = {key: [] for key in psychologist_ids}
        for psychologist_id, start, held_from, held_until in rows:
            busy[psychologist_id].append(Booked(start, Interval(held_from, held_until)))
        return busy
