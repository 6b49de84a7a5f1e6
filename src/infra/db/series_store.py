"""Series of sessions and the payments of a session, inside a unit of work's transaction."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from application.unit_of_work import Idempotency
from domain.appointments import (
    Actor,
    ActorRole,
    Appointment,
    AppointmentType,
    MeetingType,
)
from domain.payments import Payment, PaymentKind, PaymentMethod
from domain.series import Frequency, Series
from domain.viewer import Role, Viewer
from infra.db.appointment_repository import insert_ignoring_conflicts
from infra.db.rows import appointment_from_row
from infra.db.tables import appointment_series, appointments, patients, payments, psychologists


def series_from_row(row: Mapping[Any, Any]) -> Series:
    return Series(
        id=row["id"],
        patient_id=row["patient_id"],
        psychologist_id=row["psychologist_id"],
        frequency=Frequency(row["frequency"]),
        occurrences=row["occurrences"],
        first_scheduled_at=row["first_scheduled_at"],
        duration_minutes=row["duration_minutes"],
        appointment_type=AppointmentType(row["appointment_type"]),
        meeting_type=MeetingType(row["meeting_type"]),
        created_at=row["created_at"],
        request_id=row["request_id"],
    )


def payment_from_row(row: Mapping[Any, Any]) -> Payment:
    return Payment(
        id=row["id"],
        appointment_id=row["appointment_id"],
        kind=PaymentKind(row["kind"]),
        amount=row["amount"],
        method=PaymentMethod(row["method"]),
        reference=row["reference"],
        actor=Actor(ActorRole(row["actor_role"]), row["actor_subject"]),
        recorded_at=row["recorded_at"],
        request_id=row["request_id"],
    )


def visible_series(viewer: Viewer) -> Any:
    """A patient sees their own series, a psychologist theirs, an admin all."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.PATIENT:
        own = select(patients.c.id).where(patients.c.subject == viewer.subject)
        return appointment_series.c.patient_id.in_(own.scalar_subquery())
    mine = select(psychologists.c.id).where(psychologists.c.subject == viewer.subject)
    return appointment_series.c.psychologist_id.in_(mine.scalar_subquery())


class SqlSeries:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, series: Series, idempotency: Idempotency | None) -> bool:
        row = {
            "id": series.id,
            "patient_id": series.patient_id,
            "psychologist_id": series.psychologist_id,
            "frequency": series.frequency.value,
            "occurrences": series.occurrences,
            "first_scheduled_at": series.first_scheduled_at,
            "duration_minutes": series.duration_minutes,
            "appointment_type": series.appointment_type.value,
            "meeting_type": series.meeting_type.value,
            "request_id": series.request_id,
            "created_at": series.created_at,
            "idempotency_scope": idempotency.scope if idempotency else None,
            "idempotency_key": idempotency.key if idempotency else None,
            "idempotency_fingerprint": idempotency.fingerprint if idempotency else None,
        }
        statement = (
            insert_ignoring_conflicts(appointment_series, self._connection.dialect.name)
            .values(row)
            .returning(appointment_series.c.id)
        )
        return (await self._connection.execute(statement)).scalar_one_or_none() is not None

    async def keyed(self, scope: str, key: str) -> tuple[Series, str | None] | None:
        query = select(appointment_series).where(
            appointment_series.c.idempotency_scope == scope,
            appointment_series.c.idempotency_key == key,
        )
        row = (await self._connection.execute(query)).mappings().first()
        return None if row is None else (series_from_row(row), row["idempotency_fingerprint"])

    async def get(self, series_id: UUID, *, visible_to: Viewer) -> Series | None:
        query = select(appointment_series).where(
            appointment_series.c.id == series_id, visible_series(visible_to)
        )
        row = (await self._connection.execute(query)).mappings().first()
        return None if row is None else series_from_row(row)

    async def occurrences(self, series_id: UUID) -> list[Appointment]:
        query = (
            select(appointments)
            .where(appointments.c.series_id == series_id)
            .order_by(appointments.c.series_index)
            .with_for_update()
        )
        rows = (await self._connection.execute(query)).mappings().all()
        return [appointment_from_row(row) for row in rows]


class SqlPayments:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, payment: Payment) -> None:
        await self._connection.execute(
            insert(payments).values(
                id=payment.id,
                appointment_id=payment.appointment_id,
                kind=payment.kind.value,
                amount=payment.amount,
                method=payment.method.value,
                reference=payment.reference,
                actor_role=payment.actor.role.value,
                actor_subject=payment.actor.subject,
                request_id=payment.request_id,
                recorded_at=payment.recorded_at,
            )
        )

    async def find(self, appointment_id: UUID, kind: PaymentKind, reference: str) -> Payment | None:
        query = select(payments).where(
            payments.c.appointment_id == appointment_id,
            payments.c.kind == kind.value,
            payments.c.reference == reference,
        )
        row = (await self._connection.execute(query)).mappings().first()
        return None if row is None else payment_from_row(row)
