"""Appointments and their history inside a unit of work's transaction."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Insert, and_, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from application.changes import Announcement, StatusChange
from application.errors import StaleAppointment
from application.unit_of_work import IdempotencyKey, Keyed, NewAppointment
from domain.appointments import BLOCKING_STATUSES, Appointment, AppointmentStatus, StatusEvent
from domain.bookings import Booked
from domain.errors import SlotTaken
from domain.schedule import Interval
from domain.viewer import Viewer
from infra.db.event_order import hold_event_order
from infra.db.rows import (
    appointment_from_row,
    appointment_to_row,
    changing_columns,
    event_to_row,
)
from infra.db.scoping import visible_appointments
from infra.db.tables import appointment_events, appointments, patients

EXCLUSION_VIOLATION = "23P01"
# What keeps a session's time from everyone else: CONFIRMED, or held for the psychologist.
HOLDS_SLOT = or_(
    appointments.c.status == AppointmentStatus.CONFIRMED.value,
    appointments.c.awaiting_confirmation_until.is_not(None),
)


def is_exclusion_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == EXCLUSION_VIOLATION


def insert_ignoring_conflicts(table: Any, dialect: str) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


class SqlAppointments:
    """The Appointments port. Every status change it stores is added to ``stored``, which
    the unit of work announces once it has committed."""

    def __init__(self, connection: AsyncConnection, stored: list[Announcement]) -> None:
        self._connection = connection
        self._stored = stored

    async def get(
        self, appointment_id: UUID, *, visible_to: Viewer | None = None, hold: bool = True
    ) -> Appointment | None:
        query = select(appointments).where(appointments.c.id == appointment_id)
        if visible_to is not None:
            query = query.where(visible_appointments(visible_to))
        if hold:
            query = query.with_for_update()
        row = (await self._connection.execute(query)).mappings().first()
        return None if row is None else appointment_from_row(row)

    async def add(self, new: Sequence[NewAppointment]) -> list[StatusChange]:
        """One insert per table; rows whose idempotency key a concurrent request took
        meanwhile are skipped by the unique index, not failed.

        The rows go as parameter sets of one cached statement, which SQLAlchemy sends as a
        single multi-row INSERT ("insertmanyvalues"): compiled once, not once per request as
        a statement built with ``.values(rows)`` would be."""
        if not new:
            return []
        statement = insert_ignoring_conflicts(
            appointments, self._connection.dialect.name
        ).returning(appointments.c.id)
        created = set(
            (await self._connection.execute(statement, [_new_row(item) for item in new]))
            .scalars()
            .all()
        )
        kept = [item for item in new if item.appointment.id in created]
        if not kept:
            return []
        await hold_event_order(self._connection)
        returned = await self._connection.execute(
            insert(appointment_events).returning(
                appointment_events.c.appointment_id, appointment_events.c.id
            ),
            [event_to_row(i.first_event) for i in kept],
        )
        sequences: dict[UUID, int] = {row[0]: row[1] for row in returned.all()}
        changes = [
            StatusChange(
                item.appointment,
                replace(item.first_event, sequence=sequences[item.appointment.id]),
            )
            for item in kept
        ]
        self._stored.extend(changes)
        return changes

    async def record(self, changed: Appointment, event: StatusEvent) -> StatusChange:
        try:
            result = await self._connection.execute(
                update(appointments)
                .where(
                    appointments.c.id == changed.id,
                    appointments.c.version == changed.version - 1,
                )
                .values(
                    status=changed.status.value,
                    version=changed.version,
                    rejection_reason=(
                        changed.rejection_reason.value if changed.rejection_reason else None
                    ),
                    cancellation_reason=changed.cancellation_reason,
                    updated_at=changed.updated_at,
                    **changing_columns(changed),
                )
            )
        except IntegrityError as error:
            if is_exclusion_violation(error):
                raise SlotTaken(str(changed.id)) from error
            raise
        if result.rowcount != 1:
            raise StaleAppointment(str(changed.id))
        await hold_event_order(self._connection)
        inserted = await self._connection.execute(
            insert(appointment_events).returning(appointment_events.c.id), [event_to_row(event)]
        )
        change = StatusChange(changed, replace(event, sequence=inserted.scalar_one()))
        self._stored.append(change)
        return change

    async def keyed(self, keys: Sequence[IdempotencyKey]) -> dict[IdempotencyKey, Keyed]:
        if not keys:
            return {}
        query = select(appointments).where(_keyed_by(keys))
        rows = (await self._connection.execute(query)).mappings().all()
        return {
            (row["idempotency_scope"], row["idempotency_key"]): Keyed(
                appointment_from_row(row), row["idempotency_fingerprint"]
            )
            for row in rows
        }

    async def release_keys(self, keys: Sequence[IdempotencyKey]) -> None:
        if keys:
            await self._connection.execute(
                update(appointments)
                .where(_keyed_by(keys))
                .values(idempotency_scope=None, idempotency_key=None, idempotency_fingerprint=None)
            )

    async def pending_counts(self, patient_ids: Sequence[UUID]) -> dict[UUID, int]:
        if not patient_ids:
            return {}
        wanted = sorted(set(patient_ids))
        held = select(patients.c.id).where(patients.c.id.in_(wanted)).order_by(patients.c.id)
        await self._connection.execute(held.with_for_update(key_share=True))
        query = (
            select(appointments.c.patient_id, func.count())
            .where(
                appointments.c.patient_id.in_(wanted),
                appointments.c.status == AppointmentStatus.PENDING.value,
            )
            .group_by(appointments.c.patient_id)
        )
        counts = dict.fromkeys(wanted, 0)
        counts.update(dict(await self._rows(query)))
        return counts

    async def confirmed_bookings(self, wanted: Mapping[UUID, Interval]) -> dict[UUID, list[Booked]]:
        found: dict[UUID, list[Booked]] = {key: [] for key in wanted}
        if not wanted:
            return found
        match = or_(
            *(
                and_(
                    appointments.c.psychologist_id == psychologist_id,
                    appointments.c.blocked_from < period.end,
                    appointments.c.blocked_until > period.start,
                )
                for psychologist_id, period in wanted.items()
            )
        )
        query = select(
            appointments.c.psychologist_id,
            appointments.c.scheduled_at,
            appointments.c.blocked_from,
            appointments.c.blocked_until,
        ).where(HOLDS_SLOT, match)
        for psychologist_id, start, held_from, held_until in await self._rows(query):
            found[psychologist_id].append(Booked(start, Interval(held_from, held_until)))
        return found

    async def psychologist_confirmed(
        self, psychologist_id: UUID, around: Interval, *, excluding: UUID
    ) -> list[Booked]:
        query = select(
            appointments.c.scheduled_at, appointments.c.blocked_from, appointments.c.blocked_until
        ).where(
            appointments.c.psychologist_id == psychologist_id,
            HOLDS_SLOT,
            appointments.c.id != excluding,
            appointments.c.blocked_from < around.end,
            appointments.c.blocked_until > around.start,
        )
        return [
            Booked(start, Interval(held_from, held_until))
            for start, held_from, held_until in await self._rows(query)
        ]

    async def patient_confirmed(
        self, patient_id: UUID, around: Interval, *, excluding: UUID
    ) -> list[Interval]:
        return await self._confirmed(appointments.c.patient_id == patient_id, around, excluding)

    async def blocking_during(self, psychologist_id: UUID, period: Interval) -> list[Appointment]:
        query = (
            select(appointments)
            .where(
                appointments.c.psychologist_id == psychologist_id,
                appointments.c.status.in_([s.value for s in BLOCKING_STATUSES]),
                appointments.c.scheduled_at < period.end,
                appointments.c.ends_at > period.start,
            )
            .order_by(appointments.c.scheduled_at, appointments.c.id)
            .with_for_update()
        )
        rows = (await self._connection.execute(query)).mappings().all()
        return [appointment_from_row(row) for row in rows]

    async def _rows(self, query: Any) -> Sequence[Any]:
        return (await self._connection.execute(query)).all()

    async def _confirmed(
        self, whose: ColumnElement[bool], around: Interval, excluding: UUID
    ) -> list[Interval]:
        query = select(appointments.c.scheduled_at, appointments.c.ends_at).where(
            whose,
            HOLDS_SLOT,
            appointments.c.id != excluding,
            appointments.c.scheduled_at < around.end,
            appointments.c.ends_at > around.start,
        )
        rows = (await self._connection.execute(query)).all()
        return [Interval(start, end) for start, end in rows]


def _keyed_by(keys: Sequence[IdempotencyKey]) -> ColumnElement[bool]:
    return tuple_(appointments.c.idempotency_scope, appointments.c.idempotency_key).in_(keys)


def _new_row(item: NewAppointment) -> dict[str, Any]:
    key = item.idempotency
    return {
        **appointment_to_row(item.appointment),
        "idempotency_scope": key.scope if key else None,
        "idempotency_key": key.key if key else None,
        "idempotency_fingerprint": key.fingerprint if key else None,
    }
