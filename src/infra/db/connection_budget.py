"""How many database connections one request may hold at once.

GraphQL resolves sibling fields concurrently: without a bound, one operation with many
aliases takes a pool connection per field and leaves none for anybody else. The request's
budget is a semaphore in a context variable, set around the operation's execution; the
tasks the execution starts inherit it. Reads outside any operation (the worker, probes)
have no budget and take connections as before.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_budget: ContextVar[asyncio.Semaphore | None] = ContextVar("connection_budget", default=None)


@contextmanager
def connection_budget(limit: int) -> Iterator[None]:
    """Inside the block (and the tasks started in it) at most ``limit`` connections at once."""
    token = _budget.set(asyncio.Semaphore(limit))
    try:
        yield
    finally:
        _budget.reset(token)


@asynccontextmanager
async def within_budget() -> AsyncIterator[None]:
    """Holds one of the current request's connections for the block, if it has a budget."""
    budget = _budget.get()
    if budget is None:
        yield
        return
    async with budget:
        yield


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """``engine.connect()``, within the current request's budget if there is one. Only for
    a read that opens no other connection while it holds this one."""
    async with within_budget(), engine.connect() as connection:
        yield connection
