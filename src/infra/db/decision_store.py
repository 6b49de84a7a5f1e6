"""The worker's decision: one transaction that locks the psychologist's schedule,
re-checks every rule and records CONFIRMED or REJECTED with its event."""

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.appointments import Appointment, AppointmentStatus, RejectionReason, StatusEvent
from domain.rules import BookingPolicy, decide
from domain.schedule import Interval
from infra.db.appointment_store import is_exclusion_violation, update_if_current
from infra.db.event_order import hold_event_order
from infra.db.outages import unavailable_on_outage
from infra.db.rows import appointment_from_row, event_to_row, psychologist_from_row
from infra.db.tables import appointment_events, appointments, patients, psychologists
from infra.db.write_lock import WriteLock
from worker.ports import Decision


class SqlDecisions:
    def __init__(self, engine: AsyncEngine, write_lock: WriteLock, policy: BookingPolicy) -> None:
        self._engine = engine
        self._lock = write_lock
        self._policy = policy

    async def decide(
        self, appointment_id: UUID, *, at: datetime, request_id: str | None
    ) -> Decision | None:
        with unavailable_on_outage():
            return await self._decide(appointment_id, at, request_id)

    async def _decide(
        self, appointment_id: UUID, at: datetime, request_id: str | None
    ) -> Decision | None:
        try:
            async with self._lock, self._engine.begin() as connection:
                current = await _pending(connection, appointment_id)
                if current is None:
                    return None
                reason = await self._verdict(connection, current, at)
                target = AppointmentStatus.REJECTED if reason else AppointmentStatus.CONFIRMED
                return await _record(
                    connection, current, target, reason.value if reason else None, at, request_id
                )
        except IntegrityError as error:
            if not is_exclusion_violation(error):
                raise
        # The database saw an overlap the re-check could not (another decision committed
        # in between): the constraint has the last word, and it means SLOT_TAKEN.
        return await self._reject(appointment_id, RejectionReason.SLOT_TAKEN, at, request_id)

    async def reject_failed(
        self, appointment_id: UUID, *, at: datetime, request_id: str | None
    ) -> Decision | None:
        with unavailable_on_outage():
            return await self._reject(
                appointment_id, RejectionReason.PROCESSING_FAILED, at, request_id
            )

    async def _reject(
        self, appointment_id: UUID, reason: RejectionReason, at: datetime, request_id: str | None
    ) -> Decision | None:
        async with self._lock, self._engine.begin() as connection:
            return await reject_if_pending(connection, appointment_id, reason, at, request_id)

    async def _verdict(
        self, connection: AsyncConnection, current: Appointment, at: datetime
    ) -> RejectionReason | None:
        # Locking the psychologist's row serialises every decision on their schedule, and the
        # patient's row every decision for that patient, which another psychologist's message
        # group may bring at the same moment. Always in this order, so no two wait on each other.
        # FOR NO KEY UPDATE, not FOR UPDATE: a booking inserting appointments holds KEY SHARE
        # locks on these rows (its foreign keys) and must not wait for, or deadlock with, a
        # decision.
        lock = select(psychologists).where(psychologists.c.id == current.psychologist_id)
        row = (await connection.execute(lock.with_for_update(key_share=True))).mappings().one()
        patient = select(patients.c.id).where(patients.c.id == current.patient_id)
        await connection.execute(patient.with_for_update(key_share=True))
        around = Interval(
            current.scheduled_at - timedelta(days=1), current.ends_at + timedelta(days=1)
        )
        return decide(
            psychologist=psychologist_from_row(row),
            starts_at=current.scheduled_at,
            duration_minutes=current.duration_minutes,
            now=at,
            policy=self._policy,
            psychologist_busy=await _confirmed(
                connection,
                appointments.c.psychologist_id == current.psychologist_id,
                around,
                current.id,
            ),
            patient_busy=await _confirmed(
                connection, appointments.c.patient_id == current.patient_id, around, current.id
            ),
        )


async def reject_if_pending(
    connection: AsyncConnection,
    appointment_id: UUID,
    reason: RejectionReason,
    at: datetime,
    request_id: str | None,
) -> Decision | None:
    """Within the caller's transaction: REJECTED with ``reason`` when still PENDING."""
    current = await _pending(connection, appointment_id)
    if current is None:
        return None
    return await _record(
        connection, current, AppointmentStatus.REJECTED, reason.value, at, request_id
    )


async def _pending(connection: AsyncConnection, appointment_id: UUID) -> Appointment | None:
    query = select(appointments).where(appointments.c.id == appointment_id).with_for_update()
    row = (await connection.execute(query)).mappings().first()
    if row is None:
        return None
    current = appointment_from_row(row)
    return current if current.status is AppointmentStatus.PENDING else None


async def _confirmed(
    connection: AsyncConnection, whose: object, around: Interval, excluding: UUID
) -> list[Interval]:
    query = select(appointments.c.scheduled_at, appointments.c.ends_at).where(
        whose,  # type: ignore[arg-type]
        appointments.c.status == AppointmentStatus.CONFIRMED.value,
        appointments.c.id != excluding,
        appointments.c.scheduled_at < around.end,
        appointments.c.ends_at > around.start,
    )
    return [Interval(start, end) for start, end in (await connection.execute(query)).all()]


async def _record(
    connection: AsyncConnection,
    current: Appointment,
    target: AppointmentStatus,
    reason: str | None,
    at: datetime,
    request_id: str | None,
) -> Decision:
    changed, event = current.transition(target, at=at, reason=reason, request_id=request_id)
    await update_if_current(connection, changed)
    await hold_event_order(connection)
    inserted = await connection.execute(
        insert(appointment_events).returning(appointment_events.c.id), [event_to_row(event)]
    )
    sequenced: StatusEvent = replace(event, sequence=inserted.scalar_one())
    return Decision(changed, sequenced)
