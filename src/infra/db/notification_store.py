"""The NotificationStore port on SQLAlchemy: one connection, one transaction."""

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.notification_ports import (
    DELIVERED,
    FAILED,
    PENDING,
    AttemptResult,
    Delivery,
    DueDelivery,
    DueReminder,
    Endpoint,
    NewDelivery,
    NewEmail,
    OutgoingEmail,
    People,
)
from domain.appointments import Appointment
from domain.notices import Notice, Party, Preferences
from domain.reminders import PlannedReminder
from domain.viewer import Role
from infra.db.appointment_repository import insert_ignoring_conflicts
from infra.db.notification_tables import (
    notification_preferences,
    outgoing_emails,
    reminders,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from infra.db.outages import unavailable_on_outage
from infra.db.rows import appointment_from_row
from infra.db.tables import appointments, patients, psychologists
from infra.db.write_lock import WriteLock

MAX_ERROR = 500


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row["id"],
        url=row["url"],
        description=row["description"],
        event_types=tuple(row["event_types"]),
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        previous_secret_until=row["previous_secret_until"],
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row["id"],
        endpoint_id=row["endpoint_id"],
        appointment_id=row["appointment_id"],
        version=row["version"],
        event_type=row["event_type"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"] if row["status"] == PENDING else None,
        last_attempt_at=row["last_attempt_at"],
        response_status=row["response_status"],
        last_error=row["last_error"],
        delivered_at=row["delivered_at"],
        created_at=row["created_at"],
        payload=row["payload"],
    )


class SqlNotificationStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection
        self._dialect = connection.dialect.name

    async def commit(self) -> None:
        await self._c.commit()

    async def _rows(self, query: Any) -> Sequence[Any]:
        return (await self._c.execute(query)).mappings().all()

    # --- fan-out ----------------------------------------------------------------------

    async def endpoints(self) -> list[Endpoint]:
        rows = await self._rows(select(webhook_endpoints).order_by(webhook_endpoints.c.created_at))
        return [_endpoint(row) for row in rows]

    async def add_deliveries(self, deliveries: Sequence[NewDelivery], *, at: datetime) -> None:
        if not deliveries:
            return
        rows = [
            {
                "id": d.id,
                "endpoint_id": d.endpoint_id,
                "appointment_id": d.appointment_id,
                "version": d.version,
                "event_type": d.event_type,
                "payload": d.payload,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": at,
                "created_at": at,
            }
            for d in deliveries
        ]
        await self._c.execute(insert_ignoring_conflicts(webhook_deliveries, self._dialect), rows)

    async def people(self, patient_id: UUID, psychologist_id: UUID) -> People | None:
        patient = await self._rows(select(patients).where(patients.c.id == patient_id))
        psychologist = await self._rows(
            select(psychologists).where(psychologists.c.id == psychologist_id)
        )
        if not patient or not psychologist:
            return None
        p, d = patient[0], psychologist[0]
        return People(
            patient=Party(p["name"], p["email"], p["time_zone"] or d["time_zone"]),
            psychologist=Party(d["name"], d["email"], d["time_zone"]),
        )

    async def preferences(self, person_ids: Sequence[UUID]) -> dict[UUID, Preferences]:
        rows = await self._rows(
            select(notification_preferences).where(
                notification_preferences.c.person_id.in_(list(person_ids))
            )
        )
        return {
            row["person_id"]: Preferences(
                email_enabled=row["email_enabled"],
                notices=(
                    frozenset(Notice)
                    if row["notices"] is None
                    else frozenset(Notice(n) for n in row["notices"] if n in Notice.__members__)
                ),
            )
            for row in rows
        }

    async def add_emails(self, emails: Sequence[NewEmail], *, at: datetime) -> None:
        if not emails:
            return
        rows = [
            {
                "id": e.id,
                "dedupe_key": e.dedupe_key,
                "appointment_id": e.appointment_id,
                "notice": e.notice.value,
                "recipient": e.recipient.value,
                "to_address": e.to.email,
                "subject": e.content.subject,
                "text_body": e.content.text,
                "html_body": e.content.html,
                "ics": e.content.invite.content.decode() if e.content.invite else None,
                "ics_method": e.content.invite.method if e.content.invite else None,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": at,
                "created_at": at,
            }
            for e in emails
        ]
        await self._c.execute(insert_ignoring_conflicts(outgoing_emails, self._dialect), rows)

    async def plan_reminders(
        self, appointment_id: UUID, planned: Sequence[PlannedReminder], *, at: datetime
    ) -> None:
        wanted = {(int(r.before.total_seconds() // 60), r.session_at): r for r in planned}
        rows = await self._rows(
            select(reminders).where(
                reminders.c.appointment_id == appointment_id, reminders.c.sent_at.is_(None)
            )
        )
        known = {(row["minutes_before"], row["session_at"]): row for row in rows}
        drop = [
            row["id"] for key, row in known.items() if key not in wanted and not row["dropped_at"]
        ]
        revive = [row["id"] for key, row in known.items() if key in wanted and row["dropped_at"]]
        if drop:
            await self._c.execute(
                update(reminders).where(reminders.c.id.in_(drop)).values(dropped_at=at)
            )
        if revive:
            await self._c.execute(
                update(reminders).where(reminders.c.id.in_(revive)).values(dropped_at=None)
            )
        new = [
            {
                "appointment_id": appointment_id,
                "minutes_before": minutes,
                "session_at": session_at,
                "due_at": reminder.due_at,
                "created_at": at,
            }
            for (minutes, session_at), reminder in wanted.items()
            if (minutes, session_at) not in known
        ]
        if new:
            await self._c.execute(insert_ignoring_conflicts(reminders, self._dialect), new)

    # --- webhook deliveries -----------------------------------------------------------

    async def claim_deliveries(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueDelivery]:
        d, e = webhook_deliveries, webhook_endpoints
        earlier = webhook_deliveries.alias("earlier")
        query = (
            select(
                d.c.id,
                d.c.endpoint_id,
                d.c.payload,
                d.c.attempts,
                e.c.url,
                e.c.secret,
                e.c.previous_secret,
                e.c.previous_secret_until,
            )
            .join(e, e.c.id == d.c.endpoint_id)
            .where(
                d.c.status == PENDING,
                d.c.next_attempt_at <= now,
                e.c.enabled.is_(True),
                ~exists().where(
                    earlier.c.endpoint_id == d.c.endpoint_id,
                    earlier.c.appointment_id == d.c.appointment_id,
                    earlier.c.status == PENDING,
                    earlier.c.version < d.c.version,
                ),
            )
            .order_by(d.c.next_attempt_at, d.c.version)
            .limit(limit)
            .with_for_update(skip_locked=True, of=d)
        )
        rows = await self._rows(query)
        if rows:
            await self._c.execute(
                update(d)
                .where(d.c.id.in_([r["id"] for r in rows]))
                .values(next_attempt_at=lease_until)
            )
        await self._c.commit()
        return [
            DueDelivery(
                id=row["id"],
                endpoint_id=row["endpoint_id"],
                url=row["url"],
                payload=row["payload"],
                secrets=(row["secret"],)
                + (
                    (row["previous_secret"],)
                    if row["previous_secret"]
                    and row["previous_secret_until"] is not None
                    and row["previous_secret_until"] > now
                    else ()
                ),
                attempts=row["attempts"],
            )
            for row in rows
        ]

    async def record_attempt(
        self, delivery_id: UUID, result: AttemptResult, *, retry_at: datetime | None
    ) -> None:
        error = result.error[:MAX_ERROR] if result.error else None
        await self._c.execute(
            insert(webhook_attempts).values(
                delivery_id=delivery_id,
                attempted_at=result.at,
                response_status=result.response_status,
                error=error,
                duration_ms=result.duration_ms,
            )
        )
        values: dict[str, Any] = {
            "attempts": webhook_deliveries.c.attempts + 1,
            "last_attempt_at": result.at,
            "response_status": result.response_status,
            "last_error": error,
        }
        if result.succeeded:
            values |= {"status": DELIVERED, "delivered_at": result.at}
        elif retry_at is None:
            values |= {"status": FAILED}
        else:
            values |= {"next_attempt_at": retry_at}
        await self._c.execute(
            update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(values)
        )

    async def disable_endpoint(self, endpoint_id: UUID, reason: str, *, at: datetime) -> None:
        await self._c.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id == endpoint_id)
            .values(enabled=False, disabled_reason=reason[:MAX_ERROR], updated_at=at)
        )

    # --- emails -----------------------------------------------------------------------

    async def claim_emails(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutgoingEmail]:
        m = outgoing_emails
        rows = await self._rows(
            select(m)
            .where(m.c.status == PENDING, m.c.next_attempt_at <= now)
            .order_by(m.c.next_attempt_at, m.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if rows:
            await self._c.execute(
                update(m)
                .where(m.c.id.in_([r["id"] for r in rows]))
                .values(next_attempt_at=lease_until)
            )
        await self._c.commit()
        return [
            OutgoingEmail(
                id=row["id"],
                to_address=row["to_address"],
                subject=row["subject"],
                text=row["text_body"],
                html=row["html_body"],
                ics=row["ics"],
                ics_method=row["ics_method"],
                attempts=row["attempts"],
            )
            for row in rows
        ]

    async def record_email(
        self, email_id: UUID, *, at: datetime, error: str | None, retry_at: datetime | None
    ) -> None:
        values: dict[str, Any] = {
            "attempts": outgoing_emails.c.attempts + 1,
            "last_error": error[:MAX_ERROR] if error else None,
        }
        if error is None:
            values |= {"status": DELIVERED, "sent_at": at}
        elif retry_at is None:
            values |= {"status": FAILED}
        else:
            values |= {"next_attempt_at": retry_at}
        await self._c.execute(
            update(outgoing_emails).where(outgoing_emails.c.id == email_id).values(values)
        )

    # --- reminders --------------------------------------------------------------------

    async def due_reminders(self, *, now: datetime, limit: int) -> list[DueReminder]:
        r = reminders
        rows = await self._rows(
            select(r)
            .where(r.c.sent_at.is_(None), r.c.dropped_at.is_(None), r.c.due_at <= now)
            .order_by(r.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [
            DueReminder(
                id=row["id"],
                appointment_id=row["appointment_id"],
                minutes_before=row["minutes_before"],
                session_at=row["session_at"],
            )
            for row in rows
        ]

    async def appointment(self, appointment_id: UUID) -> Appointment | None:
        rows = await self._rows(select(appointments).where(appointments.c.id == appointment_id))
        return appointment_from_row(rows[0]) if rows else None

    async def close_reminder(self, reminder_id: int, *, sent: bool, at: datetime) -> None:
        await self._c.execute(
            update(reminders)
            .where(reminders.c.id == reminder_id)
            .values({"sent_at" if sent else "dropped_at": at})
        )

    # --- administration ---------------------------------------------------------------

    async def add_endpoint(self, endpoint: Endpoint, secret: str) -> None:
        await self._c.execute(
            insert(webhook_endpoints).values(
                id=endpoint.id,
                url=endpoint.url,
                description=endpoint.description,
                event_types=list(endpoint.event_types),
                secret=secret,
                enabled=endpoint.enabled,
                created_at=endpoint.created_at,
                updated_at=endpoint.updated_at,
            )
        )

    async def endpoint(self, endpoint_id: UUID) -> Endpoint | None:
        rows = await self._rows(
            select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
        )
        return _endpoint(rows[0]) if rows else None

    async def rotate_secret(
        self, endpoint_id: UUID, secret: str, *, previous_until: datetime, at: datetime
    ) -> None:
        e = webhook_endpoints
        await self._c.execute(
            update(e)
            .where(e.c.id == endpoint_id)
            .values(
                previous_secret=e.c.secret,
                previous_secret_until=previous_until,
                secret=secret,
                updated_at=at,
            )
        )

    async def set_enabled(self, endpoint_id: UUID, enabled: bool, *, at: datetime) -> None:
        values: dict[str, Any] = {"enabled": enabled, "updated_at": at}
        values["disabled_reason"] = None if enabled else "Disabled by an admin."
        await self._c.execute(
            update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id).values(values)
        )

    async def redeliver(self, delivery_id: UUID, *, at: datetime) -> bool:
        result = await self._c.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(status=PENDING, attempts=0, next_attempt_at=at, delivered_at=None)
        )
        return bool(result.rowcount)

    async def deliveries(
        self,
        *,
        endpoint_id: UUID | None,
        appointment_id: UUID | None,
        status: str | None,
        limit: int,
    ) -> list[Delivery]:
        d = webhook_deliveries
        conditions = [
            condition
            for condition in (
                d.c.endpoint_id == endpoint_id if endpoint_id else None,
                d.c.appointment_id == appointment_id if appointment_id else None,
                d.c.status == status if status else None,
            )
            if condition is not None
        ]
        rows = await self._rows(
            select(d)
            .where(and_(True, *conditions))
            .order_by(d.c.created_at.desc(), d.c.version.desc())
            .limit(limit)
        )
        return [_delivery(row) for row in rows]

    async def delivery(self, delivery_id: UUID) -> Delivery | None:
        rows = await self._rows(
            select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
        )
        return _delivery(rows[0]) if rows else None

    # --- preferences ------------------------------------------------------------------

    async def person_id(self, role: Role, subject: str) -> UUID | None:
        table = patients if role is Role.PATIENT else psychologists
        if role is Role.ADMIN:
            return None
        rows = await self._rows(select(table.c.id).where(table.c.subject == subject))
        return rows[0]["id"] if rows else None

    async def set_preferences(
        self, person_id: UUID, preferences: Preferences, *, at: datetime
    ) -> None:
        values = {
            "email_enabled": preferences.email_enabled,
            "notices": None
            if preferences.notices == frozenset(Notice)
            else sorted(n.value for n in preferences.notices),
            "updated_at": at,
        }
        p = notification_preferences
        changed = await self._c.execute(update(p).where(p.c.person_id == person_id).values(values))
        if not changed.rowcount:
            await self._c.execute(insert(p).values(person_id=person_id, **values))


class SqlNotifications:
    """Opens a store per use: its own connection and transaction (held by the embedded
    mode's single-writer lock on SQLite)."""

    def __init__(self, engine: AsyncEngine, write_lock: WriteLock) -> None:
        self._engine = engine
        self._lock = write_lock

    def __call__(self) -> AbstractAsyncContextManager[SqlNotificationStore]:
        return self._open()

    @asynccontextmanager
    async def _open(self) -> AsyncIterator[SqlNotificationStore]:
        with unavailable_on_outage():
            async with self._lock, self._engine.connect() as connection:
                await connection.begin()
                yield SqlNotificationStore(connection)
