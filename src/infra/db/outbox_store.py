"""The transactional outbox: rows written in a use case's transaction, relayed to the queue."""

import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.queue_messages import CONFIRMATION_DUE_TOPIC
from application.unit_of_work import OutboxMessage
from infra.db.outages import unavailable_on_outage
from infra.db.outbox_notices import NOTIFYING_INSERT
from infra.db.tables import outbox
from infra.db.write_lock import WriteLock
from worker.ports import PendingMessage, QueueUnavailable

MAX_BACKOFF = timedelta(seconds=30)


def not_waiting_for_deadline(now: datetime) -> ColumnElement[bool]:
    """A row put off until a deadline (an expiry to check) is not behind before it."""
    return or_(outbox.c.topic != CONFIRMATION_DUE_TOPIC, outbox.c.available_at <= now)


def relay_backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(MAX_BACKOFF.total_seconds(), 0.25 * 2**attempts)
    return timedelta(seconds=rng.uniform(0, ceiling))


class OutboxRows:
    """The Outbox port of a unit of work: rows that commit, or not, with its change. They
    are written together, in one statement, when the unit of work commits."""

    def __init__(self, connection: AsyncConnection, *, notify: bool = False) -> None:
        """``notify``: the write also notifies the relays that listen (PostgreSQL)."""
        self._connection = connection
        self._notify = notify
        self._rows: list[dict[str, Any]] = []
        self.written = False

    async def add(self, messages: Sequence[OutboxMessage], *, at: datetime) -> None:
        self._rows += [
            {
                "topic": message.topic,
                "message_group": message.group,
                "payload": dict(message.payload),
                "request_id": message.request_id,
                "created_at": at,
                "available_at": message.available_at,
            }
            for message in messages
        ]

    async def flush(self) -> None:
        """Write what was added (the unit of work calls this just before it commits)."""
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        if self._notify:
            await self._connection.execute(
                NOTIFYING_INSERT,
                {
                    "topics": [row["topic"] for row in rows],
                    "groups": [row["message_group"] for row in rows],
                    "payloads": [orjson.dumps(row["payload"]).decode() for row in rows],
                    "request_ids": [row["request_id"] for row in rows],
                    "created": [row["created_at"] for row in rows],
                    "available": [row["available_at"] for row in rows],
                },
            )
        else:
            await self._connection.execute(insert(outbox), rows)
        self.written = True


class SqlOutbox:
    def __init__(self, engine: AsyncEngine, write_lock: WriteLock, rng: random.Random) -> None:
        self._engine = engine
        self._lock = write_lock
        self._rng = rng

    async def relay_batch(
        self,
        send: Callable[[Sequence[PendingMessage]], Awaitable[Mapping[int, str]]],
        *,
        limit: int,
        now: datetime,
    ) -> int:
        with unavailable_on_outage():
            return await self._relay_batch(send, limit, now)

    async def _relay_batch(
        self,
        send: Callable[[Sequence[PendingMessage]], Awaitable[Mapping[int, str]]],
        limit: int,
        now: datetime,
    ) -> int:
        due = (
            select(outbox)
            .where(
                outbox.c.dispatched_at.is_(None),
                or_(outbox.c.available_at.is_(None), outbox.c.available_at <= now),
            )
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self._lock, self._engine.begin() as connection:
            rows = (await connection.execute(due)).mappings().all()
            if not rows:
                return 0
            ids = [row["id"] for row in rows]
            pending = [
                PendingMessage(
                    id=row["id"],
                    topic=row["topic"],
                    group=row["message_group"],
                    payload=row["payload"],
                    request_id=row["request_id"],
                )
                for row in rows
            ]
            try:
                refused = await send(pending)
            except QueueUnavailable as error:
                await self._put_off(connection, rows, now, str(error))
                await connection.commit()
                raise
            if refused:
                await self._put_off(
                    connection,
                    [row for row in rows if row["id"] in refused],
                    now,
                    "; ".join(sorted(set(refused.values()))),
                )
            sent = [row_id for row_id in ids if row_id not in refused]
            if sent:
                await connection.execute(
                    update(outbox).where(outbox.c.id.in_(sent)).values(dispatched_at=now)
                )
            return len(sent)

    async def _put_off(
        self, connection: AsyncConnection, rows: Sequence[Any], now: datetime, error: str
    ) -> None:
        """The rows count an attempt and wait, with backoff, for the next."""
        attempts = max(row["attempts"] for row in rows) + 1
        await connection.execute(
            update(outbox)
            .where(outbox.c.id.in_([row["id"] for row in rows]))
            .values(
                attempts=outbox.c.attempts + 1,
                available_at=now + relay_backoff(attempts, self._rng),
                last_error=error[:500],
            )
        )

    async def oldest_pending_age(self, now: datetime) -> float:
        """Seconds since the oldest undispatched row was written (0 when none): the relay lag."""
        query = select(func.min(outbox.c.created_at)).where(
            outbox.c.dispatched_at.is_(None), not_waiting_for_deadline(now)
        )
        async with self._engine.connect() as connection:
            oldest = (await connection.execute(query)).scalar_one_or_none()
        return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
