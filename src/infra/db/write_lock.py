"""Serialising writers where the database cannot lock rows for us."""

import asyncio
from types import TracebackType


class WriteLock:
    """PostgreSQL locks rows itself, so there this is a no-op.

    SQLite (the single-process embedded mode) has no ``SELECT ... FOR UPDATE``: one
    in-process lock around each write transaction gives the same guarantee, since
    SQLite admits one writer at a time anyway.
    """

    def __init__(self, *, serialise: bool) -> None:
        self._lock = asyncio.Lock() if serialise else None

    async def __aenter__(self) -> None:
        if self._lock is not None:
            await self._lock.acquire()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._lock is not None:
            self._lock.release()

    @classmethod
    def for_dialect(cls, dialect: str) -> "WriteLock":
        return cls(serialise=dialect == "sqlite")
