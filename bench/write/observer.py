"""The benchmark's own reads of a deployment's database: statuses, decisions, commit times."""

import asyncio
import time
from collections.abc import Callable, Sequence
from uuid import UUID

from sqlalchemy import func, literal_column, select

from bench.errors import BenchError
from infra.db.engine import create_engine
from infra.db.tables import appointments

PENDING = "PENDING"
DRAIN_POLL_SECONDS = 0.2


class Observer:
    def __init__(self, database_url: str, *, on_postgres: bool) -> None:
        self._engine = create_engine(database_url, pool_size=2)
        self.on_postgres = on_postgres

    async def close(self) -> None:
        await self._engine.dispose()

    async def outcomes(self) -> dict[str, int]:
        """How many appointments have each status (REJECTED split by reason)."""
        query = select(
            appointments.c.status, appointments.c.rejection_reason, func.count()
        ).group_by(appointments.c.status, appointments.c.rejection_reason)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {f"{status} {reason}" if reason else status: count for status, reason, count in rows}

    async def pending(self) -> int:
        query = select(func.count()).where(appointments.c.status == PENDING)
        async with self._engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def decided(self, ids: Sequence[UUID]) -> dict[UUID, str]:
        """The status of each of ``ids`` that is no longer PENDING."""
        query = select(appointments.c.id, appointments.c.status).where(
            appointments.c.id.in_(ids), appointments.c.status != PENDING
        )
        async with self._engine.connect() as connection:
            return {row.id: row.status for row in (await connection.execute(query)).all()}

    async def commit_times(self, ids: Sequence[UUID]) -> dict[UUID, float]:
        """When the transaction that last wrote each row committed (PostgreSQL with
        track_commit_timestamp on): for a decided appointment, its decision's commit."""
        committed = func.pg_xact_commit_timestamp(literal_column("appointments.xmin"))
        found: dict[UUID, float] = {}
        async with self._engine.connect() as connection:
            for start in range(0, len(ids), 1000):
                query = select(appointments.c.id, committed).where(
                    appointments.c.id.in_(ids[start : start + 1000])
                )
                for row_id, at in (await connection.execute(query)).all():
                    if at is not None:
                        found[row_id] = at.timestamp()
        return found

    async def wait_until_decided(
        self, stall_seconds: float, check: Callable[[], None], *, limit: float | None = None
    ) -> tuple[float, int]:
        """Wait until no appointment is PENDING, or ``limit`` seconds have passed; returns
        the seconds waited and how many are still PENDING. Raises if none is decided for
        ``stall_seconds`` while some still wait; ``check`` raises if a process died."""
        started = time.monotonic()
        last, progress_at = await self.pending(), started
        while last and (limit is None or time.monotonic() - started < limit):
            await asyncio.sleep(DRAIN_POLL_SECONDS)
            check()
            now_pending = await self.pending()
            if now_pending < last:
                last, progress_at = now_pending, time.monotonic()
            elif time.monotonic() - progress_at > stall_seconds:
                raise BenchError(
                    f"{last} appointments still PENDING, none decided for {stall_seconds:g} s"
                )
        return time.monotonic() - started, last
