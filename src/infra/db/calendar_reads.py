"""Reading calendars and the audit of their changes, outside any unit of work."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.practice_ports import RecordedChange
from domain.calendar import Calendar
from domain.schedule import Interval
from domain.viewer import Role
from infra.db.calendar_rows import load_calendars
from infra.db.connection_budget import connect
from infra.db.tables import schedule_changes


class SqlCalendarReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def calendars(self, ids: Sequence[UUID], around: Interval) -> dict[UUID, Calendar]:
        async with connect(self._engine) as connection:
            return await load_calendars(connection, ids, around)

    async def changes(
        self, psychologist_id: UUID, *, before: int | None, limit: int
    ) -> list[RecordedChange]:
        """The newest first, those older than ``before`` when given."""
        query = (
            select(schedule_changes)
            .where(schedule_changes.c.psychologist_id == psychologist_id)
            .order_by(schedule_changes.c.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(schedule_changes.c.id < before)
        async with connect(self._engine) as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            RecordedChange(
                sequence=row["id"],
                psychologist_id=row["psychologist_id"],
                action=row["action"],
                actor_role=Role(row["actor_role"]),
                actor_subject=row["actor_subject"],
                request_id=row["request_id"],
                occurred_at=row["occurred_at"],
                details=row["details"],
            )
            for row in rows
        ]
