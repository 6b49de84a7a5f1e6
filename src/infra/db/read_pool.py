"""Plain asyncpg connections for the prepared reads (PostgreSQL).

A prepared read needs a connection for one or two statements and nothing else: no
transaction, no ping, no SQLAlchemy connection around it. Checking one out of SQLAlchemy's
pool and back cost three greenlet switches and the pool's events, about a tenth of a page
read's CPU; asyncpg's own pool hands one out for a fraction of that. The connections are
set up as SQLAlchemy sets up its own (the dialect's JSON codecs, the statement timeout),
so a row reads the same through either.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.connection_budget import within_budget


class _Adapted:
    """What the dialect's codec set-up reads from the connections it adapts."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection


class ReadPool:
    """Opened on first use, closed with ``close``."""

    def __init__(self, engine: AsyncEngine, *, size: int, statement_timeout_ms: int = 0) -> None:
        self._dialect: Any = engine.dialect
        _, self._connect_args = self._dialect.create_connect_args(engine.url)
        self._size = size
        self._settings = (
            {"statement_timeout": str(statement_timeout_ms)} if statement_timeout_ms else {}
        )
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for the block, within the current request's connection budget."""
        pool = self._pool or await self._open()
        async with within_budget(), pool.acquire() as connection:
            yield connection

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    **self._connect_args,
                    min_size=0,
                    max_size=self._size,
                    server_settings=self._settings,
                    init=self._set_up,
                )
            return self._pool

    async def _set_up(self, connection: asyncpg.Connection) -> None:
        adapted = _Adapted(connection)
        await self._dialect.setup_asyncpg_json_codec(adapted)
        await self._dialect.setup_asyncpg_jsonb_codec(adapted)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
