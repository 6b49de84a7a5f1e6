"""How far the outbox relay is behind: rows not yet sent, and the age of the oldest."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.outbox_store import not_waiting_for_deadline
from infra.db.tables import outbox


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    undispatched: int
    oldest_age_seconds: float


async def outbox_backlog(engine: AsyncEngine, *, now: datetime) -> OutboxBacklog:
    pending = and_(outbox.c.dispatched_at.is_(None), not_waiting_for_deadline(now))
    query = select(func.count(), func.min(outbox.c.created_at)).where(pending)
    async with engine.connect() as connection:
        count, oldest = (await connection.execute(query)).one()
    age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
    return OutboxBacklog(undispatched=int(count), oldest_age_seconds=age)
